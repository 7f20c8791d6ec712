// The inference server's configuration, from the BOSUN_* environment the operator renders into the
// Deployment (docs/inference-server.md lists every variable).
import { tmpdir } from 'node:os';
import { parseNamespace, parseStoreConfig } from '../../lib/contract/env.ts';
import { UserError } from '../../lib/contract/errors.ts';
import type { StoreConfig } from '../../lib/store/client.ts';
import { type ModelSource, parseModelSource } from './model-source.ts';
import { checkTableName } from './prediction-table.ts';

export interface ServerConfig {
  host: string;
  port: number;
  modelName: string;
  modelVersion: string;
  model: ModelSource;
  /** Where the model is fetched from: a presigned link, s3:// (the store), file:// (development, benchmarks). */
  modelSha256: string;
  /** BOSUN_PREPROCESSING: spec.preprocessing as JSON. */
  preprocessing?: string;
  /** BOSUN_NAMESPACE: the store keys the server writes (logged input images) are this namespace's. */
  namespace: string;
  store?: StoreConfig;
  workDir: string;
  intraOpThreads: number;
  interOpThreads: number;
  maxBatchSize: number;
  batchWindowMs: number;
  maxRequestBytes: number;
  maxConcurrency: number;
  timeoutMs: number;
  maxTensorElements: number;
  authTokensDir?: string;
  predictionLog?: {
    url: string;
    table: string;
    storeInputs: boolean;
    maxQueue: number;
    /** Longest wait for a connection, new or from the pool. */
    connectTimeoutMs: number;
    /** Longest one statement may run (PostgreSQL's statement_timeout). */
    statementTimeoutMs: number;
  };
  shutdownDelayMs: number;
}

type Env = Record<string, string | undefined>;

const invalid = (message: string): never => {
  throw new UserError('ConfigInvalid', message);
};

function required(env: Env, name: string, hint: string): string {
  const value = env[name]?.trim();
  return value ? value : invalid(`${name} is not set: ${hint}`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    invalid(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return invalid(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

export function parseServerConfig(env: Env): ServerConfig {
  const modelUri = required(
    env,
    'BOSUN_MODEL_URI',
    'a link to, or the s3:// URI of, the model.onnx to serve',
  );
  const namespace = parseNamespace(env);
  const model = parseModelSource(modelUri, env.BOSUN_SIGNATURE_URI?.trim() || undefined, namespace);
  const modelSha256 = required(env, 'BOSUN_MODEL_SHA256', "the artifact's sha256 from the ModelVersion");
  if (!/^[0-9a-f]{64}$/.test(modelSha256)) invalid('BOSUN_MODEL_SHA256 must be 64 lowercase hex digits');
  const modelName = required(env, 'BOSUN_MODEL_NAME', 'the name clients use in /v2/models/<name>');
  if (!/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/.test(modelName))
    invalid(
      'BOSUN_MODEL_NAME must be a model name: lowercase letters, digits and "-", at most 50 characters',
    );
  const modelVersion = env.BOSUN_MODEL_VERSION?.trim() || '1';
  if (!/^[1-9][0-9]{0,5}$/.test(modelVersion))
    invalid('BOSUN_MODEL_VERSION must be a version number from 1 to 999999');
  const logUrl = env.BOSUN_PREDICTION_LOG_URL?.trim();
  const storeInputs = boolean(env, 'BOSUN_PREDICTION_LOG_STORE_INPUTS', true);
  const config: ServerConfig = {
    host: env.BOSUN_HOST?.trim() || '0.0.0.0',
    port: integer(env, 'BOSUN_PORT', 8080, 0, 65535),
    modelName,
    modelVersion,
    model,
    modelSha256,
    namespace,
    workDir: env.BOSUN_WORK_DIR?.trim() || tmpdir(),
    intraOpThreads: integer(env, 'BOSUN_INTRA_OP_THREADS', 1, 1, 256),
    interOpThreads: integer(env, 'BOSUN_INTER_OP_THREADS', 1, 1, 256),
    maxBatchSize: integer(env, 'BOSUN_MAX_BATCH_SIZE', 1, 1, 1024),
    batchWindowMs: integer(env, 'BOSUN_BATCH_WINDOW_MS', 5, 0, 10_000),
    maxRequestBytes: integer(env, 'BOSUN_MAX_REQUEST_BYTES', 10 * 1024 * 1024, 1024, 1024 ** 3),
    maxConcurrency: integer(env, 'BOSUN_MAX_CONCURRENCY', 64, 1, 100_000),
    timeoutMs: integer(env, 'BOSUN_TIMEOUT_SECONDS', 30, 1, 3600) * 1000,
    maxTensorElements: integer(env, 'BOSUN_MAX_TENSOR_ELEMENTS', 16 * 1024 * 1024, 1, 2 ** 31),
    shutdownDelayMs: integer(env, 'BOSUN_SHUTDOWN_DELAY_SECONDS', 5, 0, 300) * 1000,
  };
  const preprocessing = env.BOSUN_PREPROCESSING?.trim();
  if (preprocessing) config.preprocessing = preprocessing;
  const tokens = env.BOSUN_AUTH_TOKENS_DIR?.trim();
  if (tokens) config.authTokensDir = tokens;
  if (logUrl) {
    if (!/^postgres(ql)?:\/\//.test(logUrl))
      invalid('BOSUN_PREDICTION_LOG_URL must be a postgres:// connection URI (the Secret key url)');
    config.predictionLog = {
      url: logUrl,
      table: checkTableName(env.BOSUN_PREDICTION_LOG_TABLE?.trim() || 'predictions'),
      storeInputs,
      maxQueue: integer(env, 'BOSUN_PREDICTION_LOG_QUEUE', 10_000, 1, 1_000_000),
      connectTimeoutMs: integer(env, 'BOSUN_PREDICTION_LOG_CONNECT_TIMEOUT_SECONDS', 5, 1, 300) * 1000,
      statementTimeoutMs: integer(env, 'BOSUN_PREDICTION_LOG_STATEMENT_TIMEOUT_SECONDS', 10, 1, 3600) * 1000,
    };
  }
  if (model.kind === 's3' || (config.predictionLog?.storeInputs ?? false))
    config.store = parseStoreConfig(env);
  return config;
}
