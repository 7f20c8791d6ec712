// What a data job (`collect`, `snapshot`) is given and what it answers: the contract between the
// operator, which renders the Dataset's Jobs, and this image. Everything comes from BOSUN_* env
// (docs/workload-contract.md, docs/datasets.md); the outcome is the exit code and one line in the
// termination message.
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseNamespace, parseStoreConfig } from '../../lib/contract/env.ts';
import { UserError } from '../../lib/contract/errors.ts';
import {
  encodeFailure,
  parseFailure,
  TERMINATION_MESSAGE_LIMIT,
} from '../../lib/contract/termination-message.ts';
import { checkSchedule, latestTick } from '../../lib/dataset/schedule.ts';
import { snapshotVersionAt } from '../../lib/dataset/snapshot-version.ts';
import type { StoreConfig } from '../../lib/store/client.ts';
import { checkName } from '../../lib/store/keys.ts';
import { DEFAULT_TIME_ZONE, SNAPSHOT_VERSION_REGEX } from '../../operator/api/common.ts';
import { DatasetSpec, MAX_DATASET_NAME_LENGTH } from '../../operator/api/dataset.ts';

/** The image's commands: `node images/data-jobs/main.ts <command>`. */
export const DATA_JOB_COMMANDS = ['collect', 'snapshot'] as const;
export type DataJobCommand = (typeof DATA_JOB_COMMANDS)[number];

/** The environment of every data job (besides the store's BOSUN_STORE_* of lib/contract/env.ts). */
export const DATA_JOB_ENV = {
  /** The Dataset's namespace (downward API): every key read or written lies under its prefixes. */
  namespace: 'BOSUN_NAMESPACE',
  /** metadata.name of the Dataset. */
  dataset: 'BOSUN_DATASET',
  /** The Dataset's spec as JSON, as the API server stored it (defaults applied). */
  datasetSpec: 'BOSUN_DATASET_SPEC',
  /** Tests only: the time the job takes as now (RFC 3339); otherwise the clock. */
  now: 'BOSUN_NOW',
  /** collect: how many missed windows one run catches up, oldest first (default below). */
  maxWindowsPerRun: 'BOSUN_MAX_WINDOWS_PER_RUN',
  /** spec.gold.credentialsSecret's accessKeyId, when gold lies in another bucket or store. */
  goldAccessKeyId: 'BOSUN_GOLD_ACCESS_KEY_ID',
  /** spec.gold.credentialsSecret's secretAccessKey. */
  goldSecretAccessKey: 'BOSUN_GOLD_SECRET_ACCESS_KEY',
  /** pino level, default info. */
  logLevel: 'BOSUN_LOG_LEVEL',
  /** Where the termination message goes; default /dev/termination-log. */
  terminationLog: 'BOSUN_TERMINATION_LOG',
} as const;

/**
 * The environment of spec.sources[index], each from the source's Secret:
 * - `url`: a postgres source's connectionSecret key `url` (secretKeyRef);
 * - `accessKeyId`, `secretAccessKey`: an s3 source's credentialsSecret, or a postgres source's
 *   images.credentialsSecret (secretKeyRef of its keys accessKeyId and secretAccessKey);
 * - `headerPrefix`: an http source's headersSecret as `envFrom` with this prefix, so each key of
 *   the Secret is one variable `<prefix><key>` and one header `<key>` (an `_` in the key is sent
 *   as `-`: `X_Api_Key` becomes `X-Api-Key`, for clusters that refuse `-` in variable names).
 */
export function sourceEnv(index: number) {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`source index ${index}`);
  const base = `BOSUN_SOURCE_${index}_`;
  return {
    url: `${base}URL`,
    accessKeyId: `${base}ACCESS_KEY_ID`,
    secretAccessKey: `${base}SECRET_ACCESS_KEY`,
    headerPrefix: `${base}HEADER_`,
  } as const;
}

export const DEFAULT_MAX_WINDOWS_PER_RUN = 24;
/** A run that catches up more windows than this would outlive any sensible Job deadline. */
export const MAX_WINDOWS_PER_RUN_LIMIT = 1000;

/**
 * Exit codes: the Job's podFailurePolicy fails the Job at once on USER_ERROR; RETRY lets the Job
 * try again (backoffLimit). Every failure also leaves `<Reason>: <message>` in the termination message.
 */
export const EXIT = {
  /** Everything is published. */
  PUBLISHED: 0,
  /** The spec, the data or the configuration is wrong: the same Job would fail the same way. */
  USER_ERROR: 1,
  /** Anything else (a source or the store unreachable, a timeout): a retry may succeed. */
  RETRY: 2,
} as const;

/** Reasons a data job fails with (besides those of lib/store, e.g. OutsideNamespace, InvalidName). */
export const DATA_JOB_REASONS = {
  /** An environment variable is missing or malformed (USER_ERROR). */
  ConfigInvalid: 'ConfigInvalid',
  /** BOSUN_DATASET_SPEC is not a valid Dataset spec (USER_ERROR). */
  DatasetSpecInvalid: 'DatasetSpecInvalid',
  /**
   * collect: spec.collection is missing; either job: the schedule it reads (spec.collection, or
   * spec.snapshot for a scheduled snapshot) cannot be read or its time zone is unknown (USER_ERROR).
   */
  ScheduleInvalid: 'ScheduleInvalid',
  /** A source's server cannot be reached or refused the connection for now (RETRY). */
  SourceUnavailable: 'SourceUnavailable',
  /** A source refused the job's credentials, or the database does not exist (USER_ERROR). */
  SourceAccessDenied: 'SourceAccessDenied',
  /** PostgreSQL refused the query: the message is PostgreSQL's (USER_ERROR). */
  QueryInvalid: 'QueryInvalid',
  /** The query ran longer than the statement timeout (USER_ERROR: the same query will again). */
  QueryTimeout: 'QueryTimeout',
  /** A window holds more than the job collects at once (USER_ERROR; collect more often). */
  WindowTooLarge: 'WindowTooLarge',
  /** A location in another bucket or store has no credentials Secret (USER_ERROR). */
  CredentialsRequired: 'CredentialsRequired',
  /** snapshot: spec.gold is set but holds no usable item (USER_ERROR). */
  GoldEmpty: 'GoldEmpty',
  /** snapshot: its pinned inputs or gold index in the store cannot be read back (USER_ERROR). */
  SnapshotInputsInvalid: 'SnapshotInputsInvalid',
  /** The artifact store failed a request (RETRY). */
  StoreUnavailable: 'StoreUnavailable',
  /** Any other failure (RETRY); its log line has the details. */
  InternalError: 'InternalError',
} as const;

/** The PostgreSQL statement timeout of a postgres source's query. */
export const QUERY_TIMEOUT_MS = 5 * 60_000;
/** How long connecting to a source's server may take. */
export const CONNECT_TIMEOUT_MS = 15_000;
/** An http source's fetch: whole answer within this time, at most this many bytes. */
export const HTTP_TIMEOUT_MS = 60_000;
export const HTTP_MAX_BYTES = 64 * 1024 * 1024;
/** The largest single item (an image, a table file) the collector reads. */
export const MAX_ITEM_BYTES = 256 * 1024 * 1024;
/**
 * The most candidate items of one source in one window: a window's items are held in memory to be
 * sorted (about 2 KB each with their query rows; 10,000 items peaked at 243 MB RSS in the benchmark).
 */
export const MAX_ITEMS_PER_WINDOW = 250_000;

type Env = Record<string, string | undefined>;

export interface DataJobConfig {
  namespace: string;
  dataset: string;
  spec: DatasetSpec;
  store: StoreConfig;
  now: Date;
  /** The whole environment, for the per-source and gold variables. */
  env: Env;
}

export interface CollectConfig extends DataJobConfig {
  maxWindowsPerRun: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

// typebox checks `format` only for formats it has been told about; the Dataset schema uses one.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isRfc3339);

const SPEC_LIMIT = 1024 * 1024;

/** BOSUN_DATASET_SPEC checked against the Dataset schema (the API server's CEL rules it relies on, too). */
export function parseDatasetSpec(text: string | undefined): DatasetSpec {
  const name = DATA_JOB_ENV.datasetSpec;
  if (!text?.trim()) throw new UserError('ConfigInvalid', `${name} is not set: the Dataset's spec as JSON`);
  if (text.length > SPEC_LIMIT)
    throw new UserError('ConfigInvalid', `${name} is longer than ${SPEC_LIMIT} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError('ConfigInvalid', `${name} is not valid JSON: ${(e as Error).message}`);
  }
  const spec = Value.Default(DatasetSpec, value) as DatasetSpec;
  const problems = [...Value.Errors(DatasetSpec, spec)].map(
    (e) => `${e.path.slice(1).replaceAll('/', '.') || '(root)'}: ${e.message}`,
  );
  // The rules the API server enforces with CEL that the jobs depend on; a spec from elsewhere
  // (another tool, an old operator) must not get past them.
  const names = new Set<string>();
  (spec.sources ?? []).forEach((source, i) => {
    if (source.name === 'gold') problems.push(`sources.${i}.name: gold names the curated base data`);
    if (names.has(source.name)) problems.push(`sources.${i}.name: ${source.name} names two sources`);
    names.add(source.name);
    const kinds = (['postgres', 's3', 'http'] as const).filter((k) => source[k] !== undefined);
    if (kinds.length !== 1) problems.push(`sources.${i}: must set exactly one of postgres, s3, http`);
    const pg = source.postgres;
    if (pg) {
      if (!pg.query.includes('$1') || !pg.query.includes('$2'))
        problems.push(`sources.${i}.postgres.query: must select one window with $1 (start) and $2 (end)`);
      if ((pg.columns.objectKey === undefined) === (pg.columns.values === undefined))
        problems.push(`sources.${i}.postgres.columns: must map exactly one of objectKey or values`);
      if (pg.columns.objectKey !== undefined && !pg.images)
        problems.push(`sources.${i}.postgres.images: required with columns.objectKey`);
      if (spec.format === 'imagefolder' && pg.columns.objectKey === undefined)
        problems.push(`sources.${i}.postgres.columns.objectKey: required for an imagefolder Dataset`);
      if (spec.format === 'tabular' && pg.columns.values === undefined)
        problems.push(`sources.${i}.postgres.columns.values: required for a tabular Dataset`);
    }
    if (source.http && spec.format === 'imagefolder')
      source.http.urls.forEach((u, j) => {
        if (u.label === undefined || u.label === '')
          problems.push(`sources.${i}.http.urls.${j}.label: required for an imagefolder Dataset`);
      });
  });
  if (spec.format === 'tabular' && !spec.tabular) problems.push('tabular: required for format tabular');
  if (problems.length > 0)
    throw new UserError(
      'DatasetSpecInvalid',
      `the Dataset spec is invalid: ${[...new Set(problems)].join('; ')}`,
    );
  return spec;
}

function parseNow(env: Env): Date {
  const text = env[DATA_JOB_ENV.now]?.trim();
  if (!text) return new Date();
  if (!isRfc3339(text))
    throw new UserError(
      'ConfigInvalid',
      `${DATA_JOB_ENV.now} must be an RFC 3339 time, got ${JSON.stringify(text)}`,
    );
  return new Date(text);
}

export function parseDataJobConfig(env: Env): DataJobConfig {
  const namespace = parseNamespace(env);
  const dataset = env[DATA_JOB_ENV.dataset]?.trim();
  if (!dataset)
    throw new UserError('ConfigInvalid', `${DATA_JOB_ENV.dataset} is not set: the Dataset's name`);
  try {
    checkName(DATA_JOB_ENV.dataset, dataset);
  } catch (e) {
    throw new UserError('ConfigInvalid', (e as Error).message);
  }
  if (dataset.length > MAX_DATASET_NAME_LENGTH || dataset.includes('.'))
    throw new UserError(
      'ConfigInvalid',
      `${DATA_JOB_ENV.dataset} must be a DNS label of at most ${MAX_DATASET_NAME_LENGTH} characters`,
    );
  return {
    namespace,
    dataset,
    spec: parseDatasetSpec(env[DATA_JOB_ENV.datasetSpec]),
    store: parseStoreConfig(env),
    now: parseNow(env),
    env,
  };
}

export function parseCollectConfig(env: Env): CollectConfig {
  const config = parseDataJobConfig(env);
  const text = env[DATA_JOB_ENV.maxWindowsPerRun]?.trim();
  let maxWindowsPerRun = DEFAULT_MAX_WINDOWS_PER_RUN;
  if (text) {
    maxWindowsPerRun = Number(text);
    if (!/^\d+$/.test(text) || maxWindowsPerRun < 1 || maxWindowsPerRun > MAX_WINDOWS_PER_RUN_LIMIT)
      throw new UserError(
        'ConfigInvalid',
        `${DATA_JOB_ENV.maxWindowsPerRun} must be a whole number from 1 to ${MAX_WINDOWS_PER_RUN_LIMIT}, got ${JSON.stringify(text)}`,
      );
  }
  return { ...config, maxWindowsPerRun };
}

/** A published batch as the controller records it (status.lastCollection). */
export interface CollectedWindow {
  start: string;
  end: string;
  items: number;
  /** The batch manifest: s3://<bucket>/datasets/<ns>/<dataset>/batches/<window>.jsonl.gz */
  batch: { uri: string; sha256: string };
}

/** What a successful `collect` leaves in its termination message: one compact JSON object. */
export interface CollectResult {
  ok: true;
  command: 'collect';
  /** Batches this run published (0: every window due was already collected). */
  windows: number;
  /** Items, corrupt files left out and duplicates dropped, over those batches. */
  items: number;
  corrupt: number;
  duplicates: number;
  /** The newest batch this run published. */
  lastWindow?: CollectedWindow;
  /** False when windows are still due after this run (more than BOSUN_MAX_WINDOWS_PER_RUN were missed). */
  caughtUp: boolean;
}

export interface DataJobFailure {
  ok: false;
  reason: string;
  message: string;
}

export function encodeCollectResult(result: CollectResult): string {
  const text = JSON.stringify(result);
  // A handful of numbers and two URIs under validated keys: far below the limit.
  if (Buffer.byteLength(text) > TERMINATION_MESSAGE_LIMIT) throw new RangeError('collect result too long');
  return text;
}

export function encodeDataJobFailure(reason: string, message: string): string {
  return encodeFailure(reason, message);
}

function isCollectedWindow(v: unknown): v is CollectedWindow {
  const w = v as CollectedWindow;
  return (
    typeof w === 'object' &&
    w !== null &&
    typeof w.start === 'string' &&
    typeof w.end === 'string' &&
    Number.isSafeInteger(w.items) &&
    typeof w.batch?.uri === 'string' &&
    typeof w.batch?.sha256 === 'string'
  );
}

/** Reads a collect Job's termination message back; undefined when it is neither form. */
export function parseCollectMessage(message: string | undefined): CollectResult | DataJobFailure | undefined {
  const text = message?.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    let value: CollectResult;
    try {
      value = JSON.parse(text) as CollectResult;
    } catch {
      return undefined;
    }
    const counts = [value.windows, value.items, value.corrupt, value.duplicates];
    if (
      value.ok !== true ||
      value.command !== 'collect' ||
      !counts.every((n) => Number.isSafeInteger(n) && n >= 0) ||
      typeof value.caughtUp !== 'boolean' ||
      (value.lastWindow !== undefined && !isCollectedWindow(value.lastWindow))
    )
      return undefined;
    return value;
  }
  const failure = parseFailure(text);
  return failure && { ok: false, ...failure };
}

/**
 * The environment of a `snapshot` job, besides DATA_JOB_ENV. An on-demand Job is given its
 * version and time (and parent). A scheduled one (the `<dataset>-snapshot` CronJob, whose Job
 * template is fixed) is given none of them: its version is the latest tick of
 * spec.snapshot.schedule at or before now, and its parent is looked up in the store.
 */
export const SNAPSHOT_ENV = {
  /** The version the controller chose: the UTC time it stands for, YYYYMMDD-HHMMSS. */
  version: 'BOSUN_SNAPSHOT_VERSION',
  /** RFC 3339: the batches whose window ends at or before this time are in the snapshot. */
  time: 'BOSUN_SNAPSHOT_TIME',
  /** Optional: the version this one follows (the Dataset's latest snapshot), recorded in its summary. */
  parent: 'BOSUN_SNAPSHOT_PARENT',
} as const;

const SNAPSHOT_VERSION = new RegExp(SNAPSHOT_VERSION_REGEX);

export interface SnapshotConfig extends DataJobConfig {
  version: string;
  time: Date;
  /** BOSUN_SNAPSHOT_PARENT; null for a scheduled run until the job has looked its parent up. */
  parent: string | null;
  /**
   * The version is the latest tick of spec.snapshot.schedule; the parent is the newest accepted
   * version before it in the store (lib/dataset/published-snapshots.ts latestAccepted).
   */
  scheduled: boolean;
}

function snapshotVersion(name: string, text: string): string {
  if (!SNAPSHOT_VERSION.test(text))
    throw new UserError(
      'ConfigInvalid',
      `${name} must be a snapshot version YYYYMMDD-HHMMSS (UTC), got ${JSON.stringify(text)}`,
    );
  return text;
}

/** A scheduled run's version and time: the latest tick of spec.snapshot.schedule at or before now. */
function scheduledSnapshot(config: DataJobConfig, env: Env): SnapshotConfig {
  const given = [SNAPSHOT_ENV.time, SNAPSHOT_ENV.parent].filter((name) => env[name]?.trim());
  if (given.length > 0)
    throw new UserError(
      'ConfigInvalid',
      `${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} set without ${SNAPSHOT_ENV.version}: an on-demand snapshot is given its version and time together, a scheduled one neither (they come from spec.snapshot.schedule, its parent from the store)`,
    );
  const { schedule, timeZone } = config.spec.snapshot;
  if (!schedule)
    throw new UserError(
      'ConfigInvalid',
      `${SNAPSHOT_ENV.version} is not set and the Dataset has no spec.snapshot.schedule: give the version to build, or a schedule whose latest tick names it`,
    );
  const checked = checkSchedule({
    field: 'spec.snapshot',
    cron: schedule,
    timeZone: timeZone ?? DEFAULT_TIME_ZONE,
  });
  const tick = latestTick(checked, config.now);
  if (!tick)
    throw new UserError(
      'ScheduleInvalid',
      `spec.snapshot.schedule ${JSON.stringify(schedule)} has no tick at or before ${config.now.toISOString()}`,
    );
  return { ...config, version: snapshotVersionAt(tick), time: tick, parent: null, scheduled: true };
}

export function parseSnapshotConfig(env: Env): SnapshotConfig {
  const config = parseDataJobConfig(env);
  const versionText = env[SNAPSHOT_ENV.version]?.trim();
  if (!versionText) return scheduledSnapshot(config, env);
  const version = snapshotVersion(SNAPSHOT_ENV.version, versionText);
  const timeText = env[SNAPSHOT_ENV.time]?.trim();
  if (!timeText || !isRfc3339(timeText))
    throw new UserError(
      'ConfigInvalid',
      `${SNAPSHOT_ENV.time} must be an RFC 3339 time (batches whose window ends by then are included), got ${JSON.stringify(timeText ?? '')}`,
    );
  const parentText = env[SNAPSHOT_ENV.parent]?.trim();
  const parent = parentText ? snapshotVersion(SNAPSHOT_ENV.parent, parentText) : null;
  if (parent !== null && parent >= version)
    throw new UserError(
      'ConfigInvalid',
      `${SNAPSHOT_ENV.parent} ${parent} must be older than ${SNAPSHOT_ENV.version} ${version}`,
    );
  return { ...config, version, time: new Date(timeText), parent, scheduled: false };
}

/** One variant of a published snapshot, as the controller records it (status.snapshots[]). */
export interface SnapshotVariantResult {
  items: number;
  /** How many distinct labels; the per-label counts are in the summary (`labels`). */
  labels: number;
  manifest: { uri: string; sha256: string };
  /** The variant's summary: s3://<bucket>/datasets/<ns>/<dataset>/snapshots/<version>/<variant>.json */
  summary: string;
  /** Failed a quality gate (or holds no item): never the Dataset's latest snapshot. */
  rejected: boolean;
  /** Why, one sentence per gate failed; empty when accepted. */
  reasons: string[];
}

/** What a successful `snapshot` leaves in its termination message: one compact JSON object. */
export interface SnapshotResult {
  ok: true;
  command: 'snapshot';
  version: string;
  parent: string | null;
  /** True when any variant is rejected. */
  rejected: boolean;
  /** One entry per variant built. */
  variants: Partial<Record<'verified' | 'full', SnapshotVariantResult>>;
  /** The card: s3://<bucket>/datasets/<ns>/<dataset>/snapshots/<version>/README.md */
  card: string;
}

/** Reasons are cut to this length, then dropped from the end, until the result fits its limit. */
const RESULT_REASON_CHARS = 300;

export function encodeSnapshotResult(result: SnapshotResult): string {
  const copy: SnapshotResult = structuredClone(result);
  for (const v of Object.values(copy.variants))
    v.reasons = v.reasons.map((r) =>
      r.length > RESULT_REASON_CHARS ? `${r.slice(0, RESULT_REASON_CHARS - 3)}...` : r,
    );
  let text = JSON.stringify(copy);
  // The summaries hold every reason in full; the message keeps what fits.
  while (Buffer.byteLength(text) > TERMINATION_MESSAGE_LIMIT) {
    const longest = Object.values(copy.variants).reduce<SnapshotVariantResult | undefined>(
      (a, v) => (v.reasons.length > (a?.reasons.length ?? 0) ? v : a),
      undefined,
    );
    if (!longest) throw new RangeError('snapshot result too long');
    longest.reasons.pop();
    text = JSON.stringify(copy);
  }
  return text;
}

function isVariantResult(v: unknown): v is SnapshotVariantResult {
  const r = v as SnapshotVariantResult;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.items) &&
    r.items >= 0 &&
    Number.isSafeInteger(r.labels) &&
    r.labels >= 0 &&
    typeof r.manifest?.uri === 'string' &&
    typeof r.manifest?.sha256 === 'string' &&
    typeof r.summary === 'string' &&
    typeof r.rejected === 'boolean' &&
    Array.isArray(r.reasons) &&
    r.reasons.every((x) => typeof x === 'string')
  );
}

/** Reads a snapshot Job's termination message back; undefined when it is neither form. */
export function parseSnapshotMessage(
  message: string | undefined,
): SnapshotResult | DataJobFailure | undefined {
  const text = message?.trim();
  if (!text) return undefined;
  if (text.startsWith('{')) {
    let value: SnapshotResult;
    try {
      value = JSON.parse(text) as SnapshotResult;
    } catch {
      return undefined;
    }
    const variants = Object.entries(value.variants ?? {});
    if (
      value.ok !== true ||
      value.command !== 'snapshot' ||
      typeof value.version !== 'string' ||
      !SNAPSHOT_VERSION.test(value.version) ||
      (value.parent !== null && typeof value.parent !== 'string') ||
      typeof value.rejected !== 'boolean' ||
      typeof value.card !== 'string' ||
      variants.length === 0 ||
      !variants.every(([k, v]) => (k === 'verified' || k === 'full') && isVariantResult(v))
    )
      return undefined;
    return value;
  }
  const failure = parseFailure(text);
  return failure && { ok: false, ...failure };
}
