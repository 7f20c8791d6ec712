// The collect job against a real PostgreSQL holding a prediction log like the inference server's
// and its input images in the real MinIO, run as its Job runs it.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseCollectMessage } from '../../../images/data-jobs/job-contract.ts';
import { createTableStatements } from '../../../images/inference-server/prediction-table.ts';
import { batchManifestKey, batchSummaryKey } from '../../../lib/store/keys.ts';
import { type BucketFixture, freshBucket, postgresClient } from '../clients.ts';
import { collectEnv, jpeg, readItems, readJson, runDataJob } from './helpers.ts';

const NS = 'default';
const table = `predictions_${Math.random().toString(36).slice(2, 8)}`;
const DAY1 = '20260101T000000Z-20260102T000000Z';

let db: pg.Client;
let t: BucketFixture;

interface Row {
  id: string;
  at: string;
  label: string;
  verified: boolean;
  confidence: number;
  objectKey: string;
}

async function insert(rows: Row[], model = 'pets'): Promise<void> {
  for (const r of rows)
    await db.query(
      `INSERT INTO ${table} (id, created_at, model, model_version, object_key, output, predicted_label, label, confidence, verified)
       VALUES ($1, $2, $7, '1', $3, '{}', $4, $4, $5, $6)`,
      [r.id, r.at, r.objectKey, r.label, r.confidence, r.verified, model],
    );
}

/** A row whose image is stored as the inference server stores it: among the namespace's blobs. */
async function row(id: string, at: string, label: string, seed: number, verified = false): Promise<Row> {
  const blob = await t.store.putBlob(NS, await jpeg(seed));
  return { id, at, label, verified, confidence: 0.5 + (seed % 5) / 10, objectKey: blob.key };
}

function spec(
  query = `SELECT id, label, verified, confidence, object_key FROM ${table} WHERE created_at >= $1 AND created_at < $2`,
) {
  return {
    format: 'imagefolder',
    sources: [
      {
        name: 'served',
        postgres: {
          connectionSecret: { name: 'predictions-db' },
          query,
          columns: {
            id: 'id',
            label: 'label',
            verified: 'verified',
            confidence: 'confidence',
            objectKey: 'object_key',
          },
          images: { uri: `s3://${t.bucket}/` },
        },
      },
    ],
    collection: { schedule: '0 0 * * *', timeZone: 'Etc/UTC' },
  };
}

function env(dataset: string, extra: Record<string, string> = {}, s: Record<string, unknown> = spec()) {
  return collectEnv(t.env, dataset, s, {
    BOSUN_SOURCE_0_URL: inject('environment').postgres.url,
    BOSUN_NOW: '2026-01-02T06:00:00Z',
    ...extra,
  });
}

beforeAll(async () => {
  t = await freshBucket('collect-pg');
  db = postgresClient();
  await db.connect();
  for (const statement of createTableStatements(table)) await db.query(statement);
  const rows: Row[] = [];
  for (let i = 0; i < 20; i++)
    rows.push(
      await row(
        `p${String(i).padStart(3, '0')}`,
        `2026-01-01T${String(i).padStart(2, '0')}:30:00Z`,
        i % 3 === 0 ? 'dog' : 'cat',
        i,
        i % 4 === 0,
      ),
    );
  // Outside the first window: before it and after it.
  rows.push(await row('early', '2025-12-31T23:59:59Z', 'cat', 100));
  rows.push(await row('late', '2026-01-02T00:00:00Z', 'cat', 101));
  // The same photo logged twice, and a stored input that is no image.
  rows.push({ ...(rows[1] as Row), id: 'p900', at: '2026-01-01T22:00:00Z' });
  const garbage = await t.store.putBlob(NS, Buffer.from('this is not a picture'));
  rows.push({
    id: 'p901',
    at: '2026-01-01T23:00:00Z',
    label: 'cat',
    verified: false,
    confidence: 0.1,
    objectKey: garbage.key,
  });
  await insert(rows);
});

afterAll(async () => {
  await db?.query(`DROP TABLE IF EXISTS ${table}, ${table}_rows`);
  await db?.end();
});

describe('collect from a postgres source', () => {
  it('collects the window of the latest tick: every row once, the corrupt image left out and counted', async () => {
    const run = await runDataJob('collect', env('pets'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = parseCollectMessage(run.message);
    expect(result).toMatchObject({
      ok: true,
      windows: 1,
      items: 20,
      corrupt: 1,
      duplicates: 1,
      caughtUp: true,
    });
    expect(run.stdout).toContain(run.message);
    const key = batchManifestKey(NS, 'pets', DAY1);
    const items = await readItems(t.store, key);
    expect(items).toHaveLength(20);
    expect(items.map((i) => i.attributes.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(3, '0')}`),
    );
    const first = items[0];
    expect(first).toMatchObject({
      path: 'dog/served/p000.jpg',
      label: 'dog',
      source: 'served',
      verified: true,
      collectedAt: '2026-01-02T00:00:00.000Z',
    });
    // Referenced, not copied: the item's blob is the image the server stored.
    const rowKey = (await db.query(`SELECT object_key FROM ${table} WHERE id = 'p000'`)).rows[0]
      .object_key as string;
    expect(rowKey).toBe(`objects/${NS}/sha256/${first?.sha256.slice(0, 2)}/${first?.sha256}`);
    expect(items.filter((i) => i.verified)).toHaveLength(5);
    const summary = await readJson(t.store, batchSummaryKey(NS, 'pets', DAY1));
    expect(summary).toMatchObject({
      window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
      items: 20,
      verified: 5,
      labels: { cat: 13, dog: 7 },
      duplicates: 1,
      corrupt: 1,
      sources: { served: { candidates: 22, items: 20, verified: 5, duplicates: 1, leftOut: { corrupt: 1 } } },
    });
    const manifestSha = createHash('sha256')
      .update(await t.store.getObject(key))
      .digest('hex');
    expect(summary.manifest).toEqual({ uri: `s3://${t.bucket}/${key}`, sha256: manifestSha });
    expect(result).toMatchObject({
      lastWindow: { items: 20, batch: { uri: `s3://${t.bucket}/${key}`, sha256: manifestSha } },
    });
  });

  it('writes a byte-identical batch when the window is collected again, and nothing when it is there', async () => {
    const key = batchManifestKey(NS, 'pets', DAY1);
    const before = await t.store.getObject(key);
    const again = await runDataJob('collect', env('pets'));
    expect(parseCollectMessage(again.message)).toMatchObject({ ok: true, windows: 0, items: 0 });
    await t.store.remove([key, batchSummaryKey(NS, 'pets', DAY1)]);
    const rerun = await runDataJob('collect', env('pets'));
    expect(rerun.code).toBe(0);
    expect(parseCollectMessage(rerun.message)).toMatchObject({ ok: true, windows: 1, items: 20 });
    expect((await t.store.getObject(key)).equals(before)).toBe(true);
  });

  it('rebuilds the summary of a batch whose run stopped after its manifest', async () => {
    await t.store.remove([batchSummaryKey(NS, 'pets', DAY1)]);
    const run = await runDataJob('collect', env('pets'));
    expect(parseCollectMessage(run.message)).toMatchObject({ ok: true, windows: 0 });
    expect(await readJson(t.store, batchSummaryKey(NS, 'pets', DAY1))).toMatchObject({
      items: 20,
      labels: { cat: 13, dog: 7 },
      corrupt: null,
      recovered: expect.stringContaining('stopped before its summary'),
    });
  });

  it('catches up a gap of three windows as three batches, one per tick', async () => {
    await insert([
      await row('d2', '2026-01-02T10:00:00Z', 'cat', 200),
      await row('d3a', '2026-01-03T10:00:00Z', 'dog', 201),
      await row('d3b', '2026-01-03T11:00:00Z', 'cat', 202, true),
    ]);
    const run = await runDataJob('collect', env('pets', { BOSUN_NOW: '2026-01-05T00:10:00Z' }));
    expect(run.code).toBe(0);
    expect(parseCollectMessage(run.message)).toMatchObject({
      windows: 3,
      items: 4,
      lastWindow: { start: '2026-01-04T00:00:00.000Z', end: '2026-01-05T00:00:00.000Z', items: 0 },
    });
    const day = (d: number) => `2026010${d}T000000Z-2026010${d + 1}T000000Z`;
    expect(
      (await readItems(t.store, batchManifestKey(NS, 'pets', day(2)))).map((i) => i.attributes.id),
    ).toEqual(['d2', 'late']);
    expect(
      (await readItems(t.store, batchManifestKey(NS, 'pets', day(3)))).map((i) => i.attributes.id),
    ).toEqual(['d3a', 'd3b']);
    // An empty window is a recorded empty batch.
    expect(await readItems(t.store, batchManifestKey(NS, 'pets', day(4)))).toEqual([]);
    expect(await readJson(t.store, batchSummaryKey(NS, 'pets', day(4)))).toMatchObject({
      items: 0,
      labels: {},
    });
  });

  it('catches up at most BOSUN_MAX_WINDOWS_PER_RUN windows, and says that more are due', async () => {
    const run = await runDataJob(
      'collect',
      env(
        'bounded',
        { BOSUN_NOW: '2026-01-05T00:10:00Z', BOSUN_MAX_WINDOWS_PER_RUN: '2' },
        {
          ...spec(),
          collection: { schedule: '0 0 * * *', timeZone: 'Etc/UTC', since: '2026-01-01T00:00:00Z' },
        },
      ),
    );
    expect(parseCollectMessage(run.message)).toMatchObject({
      windows: 2,
      items: 22,
      caughtUp: false,
      lastWindow: { start: '2026-01-02T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' },
    });
  });

  it('fails with SourceUnavailable (retry) when PostgreSQL cannot be reached, naming no password', async () => {
    const { user, password } = inject('environment').postgres;
    const run = await runDataJob(
      'collect',
      env('down', { BOSUN_SOURCE_0_URL: `postgres://${user}:${password}@127.0.0.1:1/postgres` }),
    );
    expect(run.code).toBe(2);
    expect(run.message).toMatch(/^SourceUnavailable: postgres source served: cannot reach the database: /);
    for (const text of [run.message, run.stdout, run.stderr]) expect(text).not.toContain(password);
    expect(await t.store.list('datasets/default/down/')).toEqual([]);
  });

  it('fails with SourceAccessDenied when the password is wrong', async () => {
    const { user, host, port } = inject('environment').postgres;
    const run = await runDataJob(
      'collect',
      env('denied', { BOSUN_SOURCE_0_URL: `postgres://${user}:wrong-secret@${host}:${port}/postgres` }),
    );
    expect(run.code).toBe(1);
    expect(run.message).toMatch(
      /^SourceAccessDenied: postgres source served: the database refused the connection: password authentication failed/,
    );
    expect(run.message + run.stdout + run.stderr).not.toContain('wrong-secret');
  });

  it("fails with QueryInvalid and PostgreSQL's message for a query it refuses", async () => {
    const bad = await runDataJob(
      'collect',
      env(
        'bad',
        {},
        spec(`SELECT id, label FROM ${table}_missing WHERE created_at >= $1 AND created_at < $2`),
      ),
    );
    expect(bad.code).toBe(1);
    expect(bad.message).toMatch(
      new RegExp(
        `^QueryInvalid: postgres source served: PostgreSQL refused the query at character \\d+: relation "${table}_missing" does not exist`,
      ),
    );
    const columns = await runDataJob(
      'collect',
      env('cols', {}, spec(`SELECT id, label FROM ${table} WHERE created_at >= $1 AND created_at < $2`)),
    );
    expect(columns.message).toBe(
      'QueryInvalid: postgres source served: the query returns no column "verified" (columns.verified), "confidence" (columns.confidence), "object_key" (columns.objectKey); it returns "id", "label"',
    );
    const write = await runDataJob(
      'collect',
      env(
        'write',
        {},
        spec(
          `DELETE FROM ${table} WHERE created_at >= $1 AND created_at < $2 RETURNING id, label, verified, confidence, object_key`,
        ),
      ),
    );
    expect(write.message).toMatch(
      /^QueryInvalid: postgres source served: the query must only read: cannot execute DELETE in a read-only transaction/,
    );
    expect((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(27);
  });
});

describe('rows whose image cannot be collected', () => {
  it('are left out and counted: a key of another namespace, a key that is gone, no label, a copy from imports', async () => {
    const other = await t.store.putBlob('other-team', await jpeg(300));
    const imported = 'imports/default/camera/7.jpg';
    await t.store.putObject(imported, await jpeg(301));
    const at = '2026-01-01T12:00:00Z';
    await insert(
      [
        await row('e1', at, 'cat', 302),
        { id: 'e2', at, label: 'cat', verified: false, confidence: 1, objectKey: other.key },
        {
          id: 'e3',
          at,
          label: 'cat',
          verified: false,
          confidence: 1,
          objectKey: `objects/default/sha256/ab/${'ab'.repeat(32)}`,
        },
        { ...(await row('e4', at, 'cat', 303)), label: '' },
        { id: 'e5', at, label: 'dog', verified: true, confidence: 1, objectKey: imported },
        { id: 'e6', at, label: 'dog', verified: false, confidence: 1, objectKey: '../outside' },
      ],
      'edge',
    );
    const query = `SELECT id, nullif(label, '') AS label, verified, confidence, object_key FROM ${table} WHERE model = 'edge' AND created_at >= $1 AND created_at < $2`;
    const run = await runDataJob('collect', env('edge', {}, spec(query)));
    expect(run.code).toBe(0);
    expect(parseCollectMessage(run.message)).toMatchObject({ items: 2 });
    const items = await readItems(t.store, batchManifestKey(NS, 'edge', DAY1));
    expect(items.map((i) => i.attributes.id)).toEqual(['e1', 'e5']);
    // The imported photo is copied into the namespace's blobs; the log's blob is referenced.
    expect(
      await t.store.exists(`objects/${NS}/sha256/${items[1]?.sha256.slice(0, 2)}/${items[1]?.sha256}`),
    ).toBe(true);
    expect(await readJson(t.store, batchSummaryKey(NS, 'edge', DAY1))).toMatchObject({
      leftOut: { outsideNamespace: 2, missing: 1, unlabelled: 1, corrupt: 0 },
    });
  });
});

describe('collect table rows from a postgres source', () => {
  const rows = `${table}_rows`;

  beforeAll(async () => {
    await db.query(
      `CREATE TABLE ${rows} (id bigint, at timestamptz, a numeric, b text, species text, checked boolean)`,
    );
    await db.query(
      `INSERT INTO ${rows} VALUES
        (3, '2026-01-01T03:00:00Z', 1.5, 'x', 'setosa', true),
        (1, '2026-01-01T01:00:00Z', 2.25, 'y', 'virginica', false),
        (2, '2026-01-01T02:00:00Z', NULL, 'z', 'setosa', false),
        (2, '2026-01-01T02:30:00Z', 9, 'again', 'setosa', false),
        (4, '2026-01-02T04:00:00Z', 3, 'w', 'setosa', false)`,
    );
  });

  it('writes the window’s rows as JSON lines files, verified rows apart, one row per id', async () => {
    const tabular = {
      format: 'tabular',
      tabular: { labelColumn: 'species', idColumn: 'sample' },
      sources: [
        {
          name: 'lab',
          postgres: {
            connectionSecret: { name: 'lab-db' },
            query: `SELECT id, a, b, species, checked FROM ${rows} WHERE at >= $1 AND at < $2`,
            columns: { id: 'id', label: 'species', verified: 'checked', values: ['a', 'b'] },
          },
        },
      ],
      collection: { schedule: '@daily', timeZone: 'Etc/UTC' },
    };
    const run = await runDataJob('collect', env('lab', {}, tabular));
    expect(run.stderr).toBe('');
    expect(parseCollectMessage(run.message)).toMatchObject({ ok: true, items: 2, duplicates: 1 });
    const items = await readItems(t.store, batchManifestKey(NS, 'lab', DAY1));
    expect(items.map((i) => [i.path, i.label, i.verified, i.attributes.rows])).toEqual([
      [`lab/rows-${DAY1}.jsonl`, null, false, 2],
      [`lab/rows-${DAY1}-verified.jsonl`, null, true, 1],
    ]);
    const text = (await t.store.getBlob(NS, items[0]?.sha256 as string)).toString('utf8');
    expect(text).toBe(
      '{"sample":1,"a":2.25,"b":"y","species":"virginica"}\n{"sample":2,"a":9,"b":"again","species":"setosa"}\n',
    );
    expect(await readJson(t.store, batchSummaryKey(NS, 'lab', DAY1))).toMatchObject({
      items: 2,
      rows: 3,
      labels: { setosa: 2, virginica: 1 },
      duplicates: 1,
    });
  });
});
