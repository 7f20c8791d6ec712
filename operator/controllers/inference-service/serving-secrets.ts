// What the Secrets an InferenceService names are worth to its Pods, from the cache: whether the
// auth and prediction-log Secrets exist with what the server needs (a Pod would otherwise wait
// silently in ContainerCreating), a revision of the prediction log's connection (read once, at
// start, as env: a rotated connection must restart the Pods), and whether input images can be
// stored. Pure; no Secret value is ever copied anywhere but into the check.
import type { V1Secret } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/inference-service.ts';
import { SCOPED_CREDENTIALS_KEYS } from '../shared/scoped-credentials-secret.ts';
import { type InputImageStore, PREDICTION_LOG_URL_KEY } from './deployment.ts';
import { REASONS } from './reasons.ts';

export interface SecretProblem {
  /** What needs the Secret: the spec's auth or prediction log, or the served artifact's store. */
  field: 'auth' | 'predictionLog' | 'artifact';
  reason: string;
  message: string;
}

/** How the operator hands out store credentials (--workload-credentials), and its store. */
export interface StoreAccess {
  workloadCredentials: 'sts' | 'shared';
  endpoint: string;
  bucket: string;
  region: string;
  /** The long-lived store Secret's name (--store-credentials-secret). */
  credentialsSecret: string;
}

export interface SecretsState {
  problems: SecretProblem[];
  /** Changes whenever the prediction log's Secret does. */
  predictionLogRevision?: string;
  /** Where input images go; undefined when they are not stored. */
  inputImageStore?: InputImageStore;
  /** Why input images are not stored although spec.predictionLog.storeInputs asks for it. */
  inputImagesNotStored?: string;
}

export const SERVING_STORE_ACCESS_DECISION = 'docs/decisions/0012-serving-inference-services.md';

const hasValue = (secret: V1Secret, key: string) =>
  Boolean(secret.data?.[key]) || Boolean(secret.stringData?.[key]);

export function checkSecrets(
  isvc: InferenceService,
  secret: (name: string) => V1Secret | undefined,
  store: StoreAccess,
): SecretsState {
  const namespace = isvc.metadata.namespace as string;
  const state: SecretsState = { problems: [] };
  const missing = (name: string, field: SecretProblem['field'], path: string): SecretProblem => ({
    field,
    reason: REASONS.SecretNotFound,
    message: `${path} names Secret ${name}, which does not exist in namespace ${namespace}`,
  });
  const auth = isvc.spec.auth?.bearerTokenSecret.name;
  if (auth) {
    const s = secret(auth);
    if (!s) state.problems.push(missing(auth, 'auth', 'spec.auth.bearerTokenSecret'));
    else if (![...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})].some((k) => hasValue(s, k)))
      state.problems.push({
        field: 'auth',
        reason: REASONS.SecretInvalid,
        message: `Secret ${auth} (spec.auth.bearerTokenSecret) holds no token: each key is a client, its value the token`,
      });
  }
  const log = isvc.spec.predictionLog;
  if (!log) return state;
  const name = log.connectionSecret.name;
  const s = secret(name);
  if (!s) state.problems.push(missing(name, 'predictionLog', 'spec.predictionLog.connectionSecret'));
  else if (!hasValue(s, PREDICTION_LOG_URL_KEY))
    state.problems.push({
      field: 'predictionLog',
      reason: REASONS.SecretInvalid,
      message: `Secret ${name} (spec.predictionLog.connectionSecret) has no key ${PREDICTION_LOG_URL_KEY} with a postgres:// connection URI`,
    });
  // Names the Secret's version, not its content: nothing derived from a password leaves it.
  else state.predictionLogRevision = `${s.metadata?.uid ?? ''}/${s.metadata?.resourceVersion ?? ''}`;
  if (!(log.storeInputs ?? true)) return state;
  if (store.workloadCredentials !== 'shared') {
    state.inputImagesNotStored = `input images are not stored: serving Pods get no store credentials while the operator mints only short-lived ones (--workload-credentials=sts), which a long-running server cannot renew (${SERVING_STORE_ACCESS_DECISION})`;
    return state;
  }
  const credentials = secret(store.credentialsSecret);
  if (
    !credentials ||
    !hasValue(credentials, SCOPED_CREDENTIALS_KEYS.accessKeyId) ||
    !hasValue(credentials, SCOPED_CREDENTIALS_KEYS.secretAccessKey)
  ) {
    state.inputImagesNotStored = `input images are not stored: with --workload-credentials=shared the store Secret ${store.credentialsSecret} must exist in namespace ${namespace} with the keys ${SCOPED_CREDENTIALS_KEYS.accessKeyId} and ${SCOPED_CREDENTIALS_KEYS.secretAccessKey}`;
    return state;
  }
  state.inputImageStore = {
    endpoint: store.endpoint,
    bucket: store.bucket,
    region: store.region,
    credentialsSecret: store.credentialsSecret,
  };
  return state;
}

/**
 * The credentials of a served artifact that lies in another bucket (its ModelVersion's
 * spec.artifact.credentialsSecret), from the cached Secret: the operator signs the serving Pods'
 * links with them, never with its own.
 */
export function artifactCredentials(
  mv: { metadata: { name?: string; namespace?: string } },
  secretName: string,
  secret: V1Secret | undefined,
): { accessKey: string; secretKey: string } | SecretProblem {
  const where = `spec.artifact.credentialsSecret of ModelVersion ${mv.metadata.name} names Secret ${secretName}`;
  if (!secret)
    return {
      field: 'artifact',
      reason: REASONS.SecretNotFound,
      message: `${where}, which does not exist in namespace ${mv.metadata.namespace}`,
    };
  const value = (key: string) => {
    const data = secret.data?.[key];
    return data ? Buffer.from(data, 'base64').toString('utf8') : secret.stringData?.[key];
  };
  const accessKey = value(SCOPED_CREDENTIALS_KEYS.accessKeyId);
  const secretKey = value(SCOPED_CREDENTIALS_KEYS.secretAccessKey);
  if (!accessKey || !secretKey)
    return {
      field: 'artifact',
      reason: REASONS.SecretInvalid,
      message: `${where}, which needs the keys ${SCOPED_CREDENTIALS_KEYS.accessKeyId} and ${SCOPED_CREDENTIALS_KEYS.secretAccessKey}`,
    };
  return { accessKey, secretKey };
}
