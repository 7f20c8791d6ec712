// The prediction log's table: its name (validated, then quoted: identifiers cannot be query
// parameters), its idempotent DDL, and the columns a Dataset's postgres source maps by default.
import { UserError } from '../../lib/contract/errors.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A lowercase table name, optionally schema-qualified (the API's spec.predictionLog.table rule). */
export function checkTableName(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p)))
    throw new UserError(
      'ConfigInvalid',
      `prediction log table ${JSON.stringify(name)} must be a lowercase SQL name (letters, digits, "_", not starting with a digit, at most 63 characters), optionally schema.table`,
    );
  return name;
}

export function quoteTable(name: string): string {
  return checkTableName(name)
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');
}

/** Statements that create the table and its indexes when missing; safe to run on every start. */
export function createTableStatements(name: string): string[] {
  const table = quoteTable(name);
  const parts = checkTableName(name).split('.');
  const base = parts[parts.length - 1] as string;
  const statements: string[] = [];
  if (parts.length === 2) statements.push(`CREATE SCHEMA IF NOT EXISTS "${parts[0]}"`);
  statements.push(
    `CREATE TABLE IF NOT EXISTS ${table} (
      id text PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      model text NOT NULL,
      model_version text NOT NULL,
      request_id text,
      object_key text,
      input jsonb,
      output jsonb NOT NULL,
      predicted_label text,
      label text,
      confidence double precision,
      verified boolean NOT NULL DEFAULT false,
      verified_at timestamptz
    )`,
    `CREATE INDEX IF NOT EXISTS "${base}_created_at_idx" ON ${table} (created_at)`,
    `CREATE INDEX IF NOT EXISTS "${base}_verified_at_idx" ON ${table} (verified_at) WHERE verified`,
  );
  return statements;
}

/** One logged prediction: one row of the table. */
export interface PredictionRow {
  id: string;
  createdAt: Date;
  model: string;
  modelVersion: string;
  requestId: string;
  /** Key of the input image in the bucket (under objects/), once stored. */
  objectKey: string | null;
  /**
   * The `input` column as JSON text: inputs small enough to keep inline (a table row's values), as
   * name → value(s). Text rather than an object, so its size is known and it is serialised once.
   */
  inputJson: string | null;
  /** The `output` column as JSON text: name → value(s), capped (prediction-rows.ts). */
  outputJson: string;
  predictedLabel: string | null;
  confidence: number | null;
}

const COLUMNS = [
  'id',
  'created_at',
  'model',
  'model_version',
  'request_id',
  'object_key',
  'input',
  'output',
  'predicted_label',
  'label',
  'confidence',
] as const;

/** A multi-row INSERT with parameters only; a row already written (a retried batch) is skipped. */
export function insertStatement(name: string, rows: PredictionRow[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((r) => {
    const start = values.length;
    values.push(
      r.id,
      r.createdAt,
      r.model,
      r.modelVersion,
      r.requestId,
      r.objectKey,
      r.inputJson,
      r.outputJson,
      r.predictedLabel,
      r.predictedLabel,
      r.confidence,
    );
    return `(${COLUMNS.map((_, i) => `$${start + i + 1}`).join(', ')})`;
  });
  return {
    text: `INSERT INTO ${quoteTable(name)} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
    values,
  };
}

export function feedbackStatement(
  name: string,
  id: string,
  label: string,
): { text: string; values: unknown[] } {
  return {
    text: `UPDATE ${quoteTable(name)} SET label = $2, verified = true, verified_at = now() WHERE id = $1 RETURNING id, label, predicted_label, verified, verified_at`,
    values: [id, label],
  };
}
