// The workload contract's environment (DESIGN §3, docs/workload-contract.md): every BOSUN_*
// variable a Job or Deployment receives, parsed into a typed config with clear errors.
import type { StoreConfig } from '../store/client.ts';
import { checkBucket, checkName, checkTenantKey, parseS3Uri, type S3Location } from '../store/keys.ts';
import { UserError } from './errors.ts';

export interface WorkloadConfig {
  /** The namespace the workload runs for: every key it reads or writes lies under its prefixes. */
  namespace: string;
  store: StoreConfig;
  /** The input manifest, in the store's bucket. */
  inputManifest: S3Location;
  /** When set, the manifest's sha256 must match (the digest pinned in the resource's status). */
  inputManifestSha256?: string;
  /** Where outputs go; always ends with '/'. */
  outputPrefix: S3Location;
  hyperparameters: Record<string, unknown>;
}

export interface BuiltinTrainerConfig extends WorkloadConfig {
  task: string;
  algorithm: string;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, hint: string): string {
  const value = env[name]?.trim();
  if (!value) throw new UserError('ConfigInvalid', `${name} is not set: ${hint}`);
  return value;
}

export function parseStoreConfig(env: Env): StoreConfig {
  const endpoint = required(env, 'BOSUN_STORE_ENDPOINT', 'the artifact store URL, e.g. http://minio:9000');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UserError('ConfigInvalid', `BOSUN_STORE_ENDPOINT ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError(
      'ConfigInvalid',
      `BOSUN_STORE_ENDPOINT must be an http:// or https:// URL, got ${endpoint}`,
    );
  if (url.pathname !== '/' || url.search || url.username)
    throw new UserError('ConfigInvalid', 'BOSUN_STORE_ENDPOINT must be scheme://host[:port] only');
  const bucket = required(env, 'BOSUN_STORE_BUCKET', 'the bucket that holds datasets and models');
  checkBucket(bucket);
  const config: StoreConfig = {
    endpoint: url.origin,
    bucket,
    accessKey: required(env, 'BOSUN_STORE_ACCESS_KEY', 'provide it from the store credentials Secret'),
    secretKey: required(env, 'BOSUN_STORE_SECRET_KEY', 'provide it from the store credentials Secret'),
  };
  const region = env.BOSUN_STORE_REGION?.trim();
  if (region) config.region = region;
  // Scoped credentials minted by STS for this workload come with a session token (see
  // operator/controllers/shared/scoped-credentials-secret.ts); long-lived ones have none.
  const sessionToken = env.BOSUN_STORE_SESSION_TOKEN?.trim();
  if (sessionToken) config.sessionToken = sessionToken;
  return config;
}

/**
 * BOSUN_NAMESPACE: the namespace of the resource a workload runs for (the operator sets it from the
 * downward API). A workload builds every store key from it and refuses keys outside its prefixes.
 */
export function parseNamespace(env: Env): string {
  const namespace = required(
    env,
    'BOSUN_NAMESPACE',
    "the workload's Kubernetes namespace, e.g. from the downward API's metadata.namespace",
  );
  try {
    return checkName('BOSUN_NAMESPACE', namespace);
  } catch (e) {
    throw new UserError('ConfigInvalid', (e as Error).message);
  }
}

function parseHyperparameters(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError('ConfigInvalid', `BOSUN_HYPERPARAMETERS is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError('ConfigInvalid', 'BOSUN_HYPERPARAMETERS must be a JSON object');
  return value as Record<string, unknown>;
}

export function parseWorkloadConfig(env: Env): WorkloadConfig {
  const namespace = parseNamespace(env);
  const store = parseStoreConfig(env);
  const inputManifest = parseS3Uri(
    'BOSUN_INPUT_MANIFEST',
    required(env, 'BOSUN_INPUT_MANIFEST', 'the s3:// URI of the dataset snapshot manifest'),
  );
  const outputPrefix = parseS3Uri(
    'BOSUN_OUTPUT_PREFIX',
    required(env, 'BOSUN_OUTPUT_PREFIX', 'the s3:// prefix (ending with "/") the outputs go to'),
  );
  if (!outputPrefix.key.endsWith('/'))
    throw new UserError('ConfigInvalid', 'BOSUN_OUTPUT_PREFIX must end with "/"');
  for (const [name, loc] of [
    ['BOSUN_INPUT_MANIFEST', inputManifest],
    ['BOSUN_OUTPUT_PREFIX', outputPrefix],
  ] as const) {
    if (loc.bucket !== store.bucket)
      throw new UserError(
        'ConfigInvalid',
        `${name} must be in the bucket ${store.bucket}, got ${loc.bucket}`,
      );
    checkTenantKey(name, namespace, loc.key);
  }
  const config: WorkloadConfig = {
    namespace,
    store,
    inputManifest,
    outputPrefix,
    hyperparameters: parseHyperparameters(env.BOSUN_HYPERPARAMETERS),
  };
  const sha = env.BOSUN_INPUT_MANIFEST_SHA256?.trim();
  if (sha) {
    if (!/^[0-9a-f]{64}$/.test(sha))
      throw new UserError('ConfigInvalid', 'BOSUN_INPUT_MANIFEST_SHA256 must be 64 lowercase hex digits');
    config.inputManifestSha256 = sha;
  }
  return config;
}

export function parseBuiltinTrainerConfig(env: Env): BuiltinTrainerConfig {
  return {
    ...parseWorkloadConfig(env),
    task: required(
      env,
      'BOSUN_TASK',
      'one of tabular-classification, tabular-regression, image-classification',
    ),
    algorithm: required(env, 'BOSUN_ALGORITHM', 'the built-in algorithm, e.g. logistic, linear, gbdt, cnn'),
  };
}
