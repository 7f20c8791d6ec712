// What the TrainingRun's Job gives the trainer: the BOSUN_* environment of the workload contract
// (docs/workload-contract.md), checked before any request is made.
import { parseArgs } from 'node:util';
import { UserError } from './errors.ts';

export interface StoreSettings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  region: string;
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
}

export interface Hyperparameters {
  /** The column that holds each row's class. */
  target: string;
  /** Numeric columns to learn from; default: every numeric column but the target. */
  features?: string[];
}

export interface Config {
  namespace: string;
  bucket: string;
  store: StoreSettings;
  manifestKey: string;
  /** The digest pinned in the TrainingRun's status, when the operator passes one. */
  manifestSha256?: string;
  /** Ends with '/'. */
  outputPrefix: string;
  hyperparameters: Hyperparameters;
}

/** The prefixes a namespace owns in the bucket; every key the trainer touches lies under one. */
const TENANT_ROOTS = ['models', 'runs', 'datasets', 'objects', 'imports'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const KEY_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._=+-]{0,254}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function invalid(message: string): never {
  throw new UserError('ConfigInvalid', message);
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) invalid(`${name} is not set`);
  return value;
}

function storeSettings(env: NodeJS.ProcessEnv): StoreSettings {
  const raw = required(env, 'BOSUN_STORE_ENDPOINT');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    invalid(`BOSUN_STORE_ENDPOINT ${JSON.stringify(raw)} is not a URL`);
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '')
  )
    invalid(`BOSUN_STORE_ENDPOINT must be http(s)://host[:port] without a path, got ${JSON.stringify(raw)}`);
  const useSSL = url.protocol === 'https:';
  const settings: StoreSettings = {
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    region: env.BOSUN_STORE_REGION || 'us-east-1',
    accessKey: required(env, 'BOSUN_STORE_ACCESS_KEY'),
    secretKey: required(env, 'BOSUN_STORE_SECRET_KEY'),
  };
  if (env.BOSUN_STORE_SESSION_TOKEN) settings.sessionToken = env.BOSUN_STORE_SESSION_TOKEN;
  return settings;
}

/**
 * The key of an s3://<bucket>/<key> URI in the store's bucket, made of plain segments and under
 * one of the namespace's prefixes: user data never forms a key that escapes them.
 */
function tenantKey(name: string, uri: string, bucket: string, namespace: string): string {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) invalid(`${name} must be s3://<bucket>/<key>, got ${JSON.stringify(uri)}`);
  const [, uriBucket, key] = match as unknown as [string, string, string];
  if (uriBucket !== bucket) invalid(`${name} must be in the bucket ${bucket}, got ${uriBucket}`);
  const segments = key.endsWith('/') ? key.slice(0, -1).split('/') : key.split('/');
  if (!segments.every((s) => KEY_SEGMENT.test(s) && !s.includes('..')))
    invalid(`${name}: ${JSON.stringify(key)} is not a key of plain segments (letters, digits, "._=+-")`);
  const prefixes = TENANT_ROOTS.map((root) => `${root}/${namespace}/`);
  if (!prefixes.some((p) => key.startsWith(p) && key.length > p.length))
    throw new UserError(
      'OutsideNamespace',
      `${name} must lie under the namespace's own prefixes (${prefixes.join(', ')})`,
    );
  return key;
}

function hyperparameters(json: string | undefined): Hyperparameters {
  if (json === undefined || json.trim() === '') return { target: 'label' };
  const fail = (message: string): never => {
    throw new UserError('HyperparametersInvalid', `invalid hyperparameters: ${message}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('expected a JSON object');
  const { target = 'label', features, ...unknown } = value as Record<string, unknown>;
  const extra = Object.keys(unknown);
  if (extra.length > 0)
    fail(
      `unknown ${extra.map((k) => JSON.stringify(k)).join(', ')}; this trainer reads "target" and "features"`,
    );
  if (typeof target !== 'string' || target === '') fail('"target" must be a column name');
  const result: Hyperparameters = { target: target as string };
  if (features !== undefined) {
    if (
      !Array.isArray(features) ||
      features.length === 0 ||
      !features.every((f) => typeof f === 'string' && f !== '')
    )
      fail('"features" must be a non-empty list of column names');
    result.features = features as string[];
  }
  return result;
}

/** `--hyperparameters JSON` overrides BOSUN_HYPERPARAMETERS (a container's args are the user's own). */
export function readConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
  let flags: { hyperparameters?: string | undefined };
  try {
    flags = parseArgs({ args: argv, options: { hyperparameters: { type: 'string' } } }).values;
  } catch (e) {
    invalid(`${(e as Error).message}; usage: main.ts [--hyperparameters JSON]`);
  }
  const namespace = required(env, 'BOSUN_NAMESPACE');
  if (!DNS_LABEL.test(namespace))
    invalid(`BOSUN_NAMESPACE ${JSON.stringify(namespace)} is not a namespace name`);
  const bucket = required(env, 'BOSUN_STORE_BUCKET');
  const store = storeSettings(env);
  const manifestKey = tenantKey(
    'BOSUN_INPUT_MANIFEST',
    required(env, 'BOSUN_INPUT_MANIFEST'),
    bucket,
    namespace,
  );
  const outputPrefix = tenantKey(
    'BOSUN_OUTPUT_PREFIX',
    required(env, 'BOSUN_OUTPUT_PREFIX'),
    bucket,
    namespace,
  );
  if (!outputPrefix.endsWith('/')) invalid('BOSUN_OUTPUT_PREFIX must end with "/"');
  const config: Config = {
    namespace,
    bucket,
    store,
    manifestKey,
    outputPrefix,
    hyperparameters: hyperparameters(flags.hyperparameters ?? env.BOSUN_HYPERPARAMETERS),
  };
  const pinned = env.BOSUN_INPUT_MANIFEST_SHA256;
  if (pinned) {
    if (!SHA256.test(pinned)) invalid('BOSUN_INPUT_MANIFEST_SHA256 must be 64 lowercase hex digits');
    config.manifestSha256 = pinned;
  }
  return config;
}
