// A postgres source: the Dataset's query with $1/$2 bound to the window, in a READ ONLY transaction
// with a statement timeout. Each row is an image named by its object key (imagefolder) or a table
// row (tabular), written with the window's other rows as one JSON lines file per window and
// verified flag. The connection URL comes from the Secret and never appears in a message.
import type { Static } from '@sinclair/typebox';
import pg from 'pg';
import { RetryableError, UserError } from '../../../lib/contract/errors.ts';
import { type CollectionWindow, windowSegment } from '../../../lib/dataset/batch-window.ts';
import { checkTenantKey } from '../../../lib/store/keys.ts';
import type { AttributeValue } from '../../../lib/store/manifest.ts';
import type { PostgresSource as PostgresSourceSpec } from '../../../operator/api/dataset.ts';
import {
  CONNECT_TIMEOUT_MS,
  MAX_ITEM_BYTES,
  MAX_ITEMS_PER_WINDOW,
  QUERY_TIMEOUT_MS,
  sourceEnv,
} from '../job-contract.ts';
import { blobOfKey, type ResolvedLocation, resolveLocation } from './s3-location.ts';
import {
  type Candidate,
  ItemLeftOut,
  type LeftOut,
  readCapped,
  type Source,
  type SourceContext,
} from './source.ts';

type Spec = Static<typeof PostgresSourceSpec>;
type Row = Record<string, unknown>;

const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;

/** Numbers as numbers (pg returns int8 and numeric as text), dates as their text. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC)
      return (text: string) => {
        const n = Number(text);
        return Number.isFinite(n) && (oid !== INT8 || Number.isSafeInteger(n)) ? n : text;
      };
    if (oid === DATE) return (text: string) => text;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** Network failures: the server may be back on the next try. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Maps a pg error to the contract's reasons. SQLSTATE classes: 08 connection, 53 resources, 57P0x
 * shutdown → SourceUnavailable (retry); 28 authorization, 3D000 no such database →
 * SourceAccessDenied; 57014 the statement timeout → QueryTimeout; everything else the query
 * caused → QueryInvalid, with PostgreSQL's message.
 */
export function classifyPostgresError(error: unknown, source: string, secrets: string[]): Error {
  const e = error as { code?: unknown; message?: unknown; hint?: unknown; position?: unknown };
  let message = typeof e.message === 'string' ? e.message : String(error);
  for (const secret of secrets) if (secret) message = message.replaceAll(secret, '***');
  const code = typeof e.code === 'string' ? e.code : '';
  const where = `postgres source ${source}`;
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (code.startsWith('08') || code.startsWith('53') || /^57P0[1-3]$/.test(code))
      return new RetryableError('SourceUnavailable', `${where}: the database is unavailable: ${message}`);
    if (code.startsWith('28') || code === '3D000')
      return new UserError('SourceAccessDenied', `${where}: the database refused the connection: ${message}`);
    if (code === '57014')
      return new UserError(
        'QueryTimeout',
        `${where}: the query ran longer than ${QUERY_TIMEOUT_MS / 1000} s (statement timeout); select less per window or add an index`,
      );
    if (code === '25006')
      return new UserError('QueryInvalid', `${where}: the query must only read: ${message}`);
    const hint = typeof e.hint === 'string' ? ` (hint: ${e.hint})` : '';
    const position = typeof e.position === 'string' ? ` at character ${e.position}` : '';
    return new UserError(
      'QueryInvalid',
      `${where}: PostgreSQL refused the query${position}: ${message}${hint}`,
    );
  }
  // The server's certificate does not verify (sslmode=require verifies it in node-postgres):
  // retrying will not change it.
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code) || /does not support SSL/i.test(message))
    return new UserError(
      'SourceAccessDenied',
      `${where}: the TLS connection to the database failed: ${message}`,
    );
  if (NETWORK_CODES.has(code) || /connection|timeout|terminated/i.test(message))
    return new RetryableError('SourceUnavailable', `${where}: cannot reach the database: ${message}`);
  return new RetryableError('SourceUnavailable', `${where}: ${message}`);
}

function connectionUrl(ctx: SourceContext, spec: Spec): { url: string; secrets: string[] } {
  const name = sourceEnv(ctx.index).url;
  const url = ctx.env[name]?.trim();
  const secret = spec.connectionSecret.name;
  if (!url)
    throw new UserError(
      'ConfigInvalid',
      `${name} is not set: the url key of the Secret ${secret} (postgres source ${ctx.name})`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError('ConfigInvalid', `the url key of the Secret ${secret} is not a postgres:// URL`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new UserError('ConfigInvalid', `the url key of the Secret ${secret} is not a postgres:// URL`);
  const password = decodeURIComponent(parsed.password);
  return { url, secrets: [url, parsed.password, password].filter((s) => s.length >= 3) };
}

function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  return s === '' ? undefined : s;
}

/** A row value as a JSON scalar: a table row holds no nested values. */
function scalar(value: unknown): AttributeValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function countLabels(rows: { label: string | undefined }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { label } of rows) if (label !== undefined) counts.set(label, (counts.get(label) ?? 0) + 1);
  return counts;
}

export function postgresSource(spec: Spec, ctx: SourceContext): Source {
  const { url, secrets } = connectionUrl(ctx, spec);
  const images: ResolvedLocation | undefined = spec.images
    ? resolveLocation(`spec.sources[${ctx.index}].postgres.images`, spec.images, {
        namespace: ctx.namespace,
        store: ctx.store,
        storeConfig: ctx.storeConfig,
        env: ctx.env,
        credentials: sourceEnv(ctx.index),
        // The keys are checked one by one: the inference server's are relative to the bucket root.
        tenantPrefix: false,
      })
    : undefined;
  const fail = (e: unknown) => classifyPostgresError(e, ctx.name, secrets);
  let client: pg.Client | undefined;
  /** A connection lost between windows: reported on the next use. */
  let broken: unknown;

  async function connect(): Promise<pg.Client> {
    if (client && broken === undefined) return client;
    if (client) await client.end().catch(() => undefined);
    broken = undefined;
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'bosun-collect',
      types: TYPES,
    });
    c.on('error', (e) => {
      broken = e;
    });
    try {
      await c.connect();
    } catch (e) {
      await c.end().catch(() => undefined);
      throw fail(e);
    }
    client = c;
    return c;
  }

  async function query(window: CollectionWindow): Promise<{ rows: Row[]; columns: string[] }> {
    const c = await connect();
    try {
      await c.query('BEGIN READ ONLY');
      await c.query("SELECT set_config('statement_timeout', $1, true)", [String(QUERY_TIMEOUT_MS)]);
      const result = await c.query<Row>({ text: spec.query, values: [window.start, window.end] });
      await c.query('COMMIT');
      return { rows: result.rows, columns: result.fields.map((f) => f.name) };
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw fail(broken ?? e);
    }
  }

  function checkColumns(columns: string[]): void {
    const mapped = Object.entries(spec.columns).flatMap(([field, value]) =>
      (Array.isArray(value) ? value : [value]).map((column) => ({ field, column: String(column) })),
    );
    const have = new Set(columns);
    const missing = mapped.filter((m) => !have.has(m.column));
    if (missing.length > 0)
      throw new UserError(
        'QueryInvalid',
        `postgres source ${ctx.name}: the query returns no column ${missing.map((m) => `"${m.column}" (columns.${m.field})`).join(', ')}; it returns ${columns.map((c) => `"${c}"`).join(', ') || 'no columns'}`,
      );
  }

  function imageCandidate(row: Row, location: ResolvedLocation): Candidate | LeftOut {
    const id = text(row[spec.columns.id]);
    if (id === undefined) return { leftOut: 'unlabelled', detail: 'a row has no id' };
    const label = text(row[spec.columns.label]);
    if (label === undefined) return { leftOut: 'unlabelled', detail: `row ${id} has no label` };
    const objectKey = text(row[spec.columns.objectKey as string]);
    if (objectKey === undefined) return { leftOut: 'missing', detail: `row ${id} has no object key` };
    const key = location.prefix + objectKey.replace(/^\/+/, '');
    if (location.own) {
      try {
        checkTenantKey('object key', ctx.namespace, key);
      } catch {
        return {
          leftOut: 'outsideNamespace',
          detail: `row ${id}: its object key is not under the namespace's prefixes`,
        };
      }
    } else if (key.length > 1024 || /\p{Cc}/u.test(key)) {
      return { leftOut: 'missing', detail: `row ${id}: its object key is not a valid key` };
    }
    const attributes: Record<string, AttributeValue> = { id };
    const confidence =
      spec.columns.confidence === undefined ? undefined : Number(row[spec.columns.confidence]);
    if (
      confidence !== undefined &&
      row[spec.columns.confidence as string] !== null &&
      Number.isFinite(confidence)
    )
      attributes.confidence = confidence;
    const blob = location.own ? blobOfKey(ctx.namespace, key) : undefined;
    const what = `row ${id}: s3://${location.bucket}/${key}`;
    const candidate: Candidate = {
      id,
      kind: 'image',
      label,
      verified: spec.columns.verified !== undefined && row[spec.columns.verified] === true,
      attributes,
      name: id,
      read: async () => {
        try {
          // A blob's digest is checked where every item's is (collect/items.ts).
          return await readCapped(await location.store.openObject(key), MAX_ITEM_BYTES, what);
        } catch (e) {
          if (e instanceof UserError && e.reason === 'NotFound')
            throw new ItemLeftOut('missing', `${what} does not exist`);
          throw e;
        }
      },
    };
    if (blob) candidate.blobSha256 = blob;
    return candidate;
  }

  /** The window's rows as JSON lines files: one of verified rows, one of the others. */
  function tableCandidates(rows: Row[], window: CollectionWindow): (Candidate | LeftOut)[] {
    const tabular = ctx.tabular;
    if (!tabular) throw new UserError('DatasetSpecInvalid', 'format tabular needs tabular.labelColumn');
    const lines: { id: string; line: string; verified: boolean; label: string | undefined }[] = [];
    let withoutId = 0;
    for (const row of rows) {
      const id = text(row[spec.columns.id]);
      if (id === undefined) {
        withoutId++;
        continue;
      }
      const record: Record<string, AttributeValue> = {};
      if (tabular.idColumn) record[tabular.idColumn] = scalar(row[spec.columns.id]);
      for (const column of spec.columns.values ?? []) record[column] = scalar(row[column]);
      record[tabular.labelColumn] = scalar(row[spec.columns.label]);
      const verified = spec.columns.verified !== undefined && row[spec.columns.verified] === true;
      const label = record[tabular.labelColumn];
      lines.push({
        id,
        line: JSON.stringify(record),
        verified,
        label: typeof label === 'string' ? label : undefined,
      });
    }
    // Sorted by id (then content), and the first row of an id kept: the query's order may vary.
    lines.sort((a, b) => byText(a.id, b.id) || byText(a.line, b.line));
    const seen = new Set<string>();
    const kept = lines.filter((l) => !seen.has(l.id) && seen.add(l.id));
    const out: (Candidate | LeftOut)[] = Array.from({ length: withoutId }, () => ({
      leftOut: 'unlabelled' as const,
      detail: 'a row has no id',
    }));
    let duplicates = lines.length - kept.length;
    const segment = windowSegment(window);
    for (const verified of [false, true]) {
      const group = kept.filter((l) => l.verified === verified);
      if (group.length === 0) continue;
      const bytes = Buffer.from(group.map((l) => `${l.line}\n`).join(''));
      const name = `rows-${segment}${verified ? '-verified' : ''}`;
      out.push({
        id: name,
        kind: 'table',
        label: null,
        verified,
        attributes: { rows: group.length },
        name: `${name}.jsonl`,
        read: async () => bytes,
        droppedDuplicates: duplicates,
        rowLabels: countLabels(group),
      });
      duplicates = 0;
    }
    return out;
  }

  return {
    async *candidates(window) {
      const { rows, columns } = await query(window);
      checkColumns(columns);
      if (rows.length > MAX_ITEMS_PER_WINDOW)
        throw new UserError(
          'WindowTooLarge',
          `postgres source ${ctx.name}: the window ${window.start.toISOString()}..${window.end.toISOString()} has ${rows.length} rows, more than ${MAX_ITEMS_PER_WINDOW}; collect more often`,
        );
      ctx.log.debug({ source: ctx.name, rows: rows.length }, 'query returned');
      if (spec.columns.values) {
        yield* tableCandidates(rows, window);
        return;
      }
      for (const row of rows) yield imageCandidate(row, images as ResolvedLocation);
    },
    async close() {
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
