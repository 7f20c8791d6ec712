import { describe, expect, it } from 'vitest';
import {
  checkTableName,
  createTableStatements,
  feedbackStatement,
  insertStatement,
} from '../../../images/inference-server/prediction-table.ts';

describe('the prediction table', () => {
  it.each(['predictions', 'ml.predictions', '_p1'])('accepts %s', (name) =>
    expect(checkTableName(name)).toBe(name),
  );

  it.each(['Predictions', 'a.b.c', '1table', 'p; DROP TABLE x', 'p"', '', 'a'.repeat(64), 'a.'])(
    'refuses %j',
    (name) => {
      expect(() => checkTableName(name)).toThrow(/must be a lowercase SQL name/);
    },
  );

  it('creates the schema, table and indexes idempotently, quoting every name', () => {
    const statements = createTableStatements('ml.predictions');
    expect(statements[0]).toBe('CREATE SCHEMA IF NOT EXISTS "ml"');
    expect(statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS "ml"."predictions" \(/);
    expect(statements.every((s) => s.includes('IF NOT EXISTS'))).toBe(true);
    for (const column of [
      'id text PRIMARY KEY',
      'label text',
      'verified boolean',
      'confidence double precision',
      'object_key text',
    ])
      expect(statements[1]).toContain(column);
  });

  it('passes every value as a parameter', () => {
    const row = {
      id: "x'); DROP TABLE p; --",
      createdAt: new Date(0),
      model: 'm',
      modelVersion: '1',
      requestId: 'r',
      objectKey: null,
      inputJson: '{"a":1}',
      outputJson: '{"label":"cat"}',
      predictedLabel: 'cat',
      confidence: 0.9,
    };
    const insert = insertStatement('predictions', [row, { ...row, id: 'b' }]);
    expect(insert.text).not.toContain('DROP');
    expect(insert.text).toContain('($12, $13,');
    expect(insert.values).toHaveLength(22);
    expect(insert.values[0]).toBe(row.id);
    const feedback = feedbackStatement('predictions', row.id, 'dog');
    expect(feedback.text).not.toContain('DROP');
    expect(feedback.values).toEqual([row.id, 'dog']);
  });
});
