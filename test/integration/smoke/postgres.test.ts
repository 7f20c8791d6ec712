// Proves PostgreSQL is real: a parameterised round trip through `pg`.
import { describe, expect, it } from 'vitest';
import { postgresClient, uniqueName } from '../clients.ts';

describe('PostgreSQL', () => {
  it('creates a table, inserts with parameters and reads back', async () => {
    const client = postgresClient();
    await client.connect();
    try {
      const table = uniqueName('smoke').replaceAll('-', '_');
      await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, label text NOT NULL)`);
      await client.query(`INSERT INTO ${table} (label) VALUES ($1), ($2)`, [
        'cat',
        "dog'); DROP TABLE x; --",
      ]);
      const { rows } = await client.query<{ label: string }>(`SELECT label FROM ${table} ORDER BY id`);
      expect(rows.map((r) => r.label)).toEqual(['cat', "dog'); DROP TABLE x; --"]);
      const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
      expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
    } finally {
      await client.end();
    }
  });
});
