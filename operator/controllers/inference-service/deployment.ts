// The Deployment of one served version (the primary, or the canary), as a pure function of the
// InferenceService, the ModelVersion it serves, the links it reads the model through and the
// operator's settings. It runs the inference server with the environment of
// docs/inference-server.md. Rollouts never lose a request: a new Pod takes traffic only once ready
// (the model downloaded, its digest checked, warmed up), no old Pod stops before (maxUnavailable 0,
// maxSurge 1), and an old Pod fails readiness first, waits for the Service to drop it, then lets
// its requests finish and flushes its prediction log, all within the grace period.
import type { V1Container, V1Deployment, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/inference-service.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import { verifierMemoryLimitBytes, verifierWorkDirBytes } from '../../verifier/job-contract.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { RESTRICTED_CONTAINER, RESTRICTED_POD } from '../shared/pod-security.ts';
import { storeCredentialsEnv } from '../shared/scoped-credentials-secret.ts';
import {
  deploymentName,
  MODEL_VERSION_LABEL,
  ROLE_LABEL,
  roleSelectorLabels,
  type ServingRole,
  servingLabels,
} from './serving-names.ts';

export interface ServerSettings {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

/** Where the server stores input images (content-addressed, under objects/<namespace>/). */
export interface InputImageStore {
  endpoint: string;
  bucket: string;
  region: string;
  /** A Secret of the InferenceService's namespace with accessKeyId and secretAccessKey. */
  credentialsSecret: string;
}

export interface DeploymentInputs {
  role: ServingRole;
  model: ModelVersion;
  /** A presigned GET link to the model file. */
  modelLink: string;
  /** A presigned GET link to signature.json beside it, when the store has one. */
  signatureLink?: string;
  /** Omitted when the autoscaler sets the number. */
  replicas: number | undefined;
  /** Set when input images are to be stored and the Pods may write them. */
  inputImageStore?: InputImageStore;
  /** A digest of the prediction log's connection: a new one (a rotated Secret) restarts the Pods. */
  predictionLogRevision?: string;
}

export const CONTAINER_NAME = 'server';
export const SERVER_PORT = 8080;
export const WORK_DIR = '/tmp';
export const AUTH_TOKENS_DIR = '/var/run/bosun/auth-tokens';
export const PREDICTION_LOG_REVISION_ANNOTATION = 'bosun.dev/prediction-log-revision';
/** The key of the prediction log's connection Secret (spec.predictionLog.connectionSecret). */
export const PREDICTION_LOG_URL_KEY = 'url';

/** How long a stopping server fails readiness before it stops accepting: endpoint propagation. */
export const SHUTDOWN_DELAY_SECONDS = 5;
/** After the requests in flight: the last prediction-log write (connect 5 s + statement 10 s + 2 s). */
const FLUSH_SECONDS = 20;
const MIB = 1024 * 1024;
/** Beyond what loading the model takes (as the verifier measured it): requests in flight, batches. */
const SERVING_HEADROOM_BYTES = 256 * MIB;
const DEFAULT_CPU_REQUEST = '250m';
/** A Secret volume's files: readable by the server's group (fsGroup) only. */
const SECRET_FILE_MODE = 0o440;

/**
 * Bytes as the API server writes a quantity back (1024Mi is stored as 1Gi), so that a live
 * Deployment compares equal to the rendered one and a settled reconcile applies nothing.
 */
export function binaryQuantity(bytes: number): string {
  const mi = Math.ceil(bytes / MIB);
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

/** The grace period: the shutdown delay, the longest request, then the log's last flush. */
export function terminationGracePeriodSeconds(isvc: InferenceService): number {
  return SHUTDOWN_DELAY_SECONDS + (isvc.spec.server?.timeoutSeconds ?? 30) + FLUSH_SECONDS;
}

/**
 * The container's resources: what the spec says, and where it is silent a CPU request (the
 * autoscaler's utilisation is a share of it) and as much memory as loading this model takes.
 */
export function servingResources(isvc: InferenceService, modelSize: number) {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [k, v] of Object.entries(isvc.spec.server?.resources?.requests ?? {})) requests[k] = String(v);
  for (const [k, v] of Object.entries(isvc.spec.server?.resources?.limits ?? {})) limits[k] = String(v);
  // A limit alone makes Kubernetes use it as the request too; only fill what neither names.
  if (requests.cpu === undefined && limits.cpu === undefined) requests.cpu = DEFAULT_CPU_REQUEST;
  if (requests.memory === undefined && limits.memory === undefined) {
    const memory = binaryQuantity(verifierMemoryLimitBytes(modelSize) + SERVING_HEADROOM_BYTES);
    requests.memory = memory;
    limits.memory = memory;
  }
  return { requests, limits };
}

function serverEnv(isvc: InferenceService, inputs: DeploymentInputs): V1EnvVar[] {
  const { spec } = isvc;
  const server = spec.server ?? {};
  const value = (name: string, v: string | number | boolean): V1EnvVar => ({ name, value: String(v) });
  const env: V1EnvVar[] = [
    // From the downward API, as the workload contract asks: the Pod's own namespace.
    { name: 'BOSUN_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    value('BOSUN_MODEL_NAME', inputs.model.spec.model),
    value('BOSUN_MODEL_VERSION', inputs.model.spec.version),
    value('BOSUN_MODEL_URI', inputs.modelLink),
    value('BOSUN_MODEL_SHA256', inputs.model.spec.artifact.sha256),
  ];
  if (inputs.signatureLink) env.push(value('BOSUN_SIGNATURE_URI', inputs.signatureLink));
  // Only what the user wrote: the signature's own preprocessing applies otherwise.
  if (spec.preprocessing) env.push(value('BOSUN_PREPROCESSING', JSON.stringify(spec.preprocessing)));
  env.push(
    value('BOSUN_PORT', SERVER_PORT),
    value('BOSUN_WORK_DIR', WORK_DIR),
    value('BOSUN_INTRA_OP_THREADS', server.threads?.intraOp ?? 1),
    value('BOSUN_INTER_OP_THREADS', server.threads?.interOp ?? 1),
    value('BOSUN_MAX_BATCH_SIZE', server.batching?.maxBatchSize ?? 1),
    value('BOSUN_BATCH_WINDOW_MS', server.batching?.maxLatencyMilliseconds ?? 5),
    value('BOSUN_MAX_REQUEST_BYTES', server.maxRequestBytes ?? 10485760),
    value('BOSUN_MAX_CONCURRENCY', server.maxConcurrency ?? 64),
    value('BOSUN_TIMEOUT_SECONDS', server.timeoutSeconds ?? 30),
    value('BOSUN_SHUTDOWN_DELAY_SECONDS', SHUTDOWN_DELAY_SECONDS),
  );
  if (spec.auth) env.push(value('BOSUN_AUTH_TOKENS_DIR', AUTH_TOKENS_DIR));
  const log = spec.predictionLog;
  if (log) {
    env.push(
      {
        name: 'BOSUN_PREDICTION_LOG_URL',
        valueFrom: { secretKeyRef: { name: log.connectionSecret.name, key: PREDICTION_LOG_URL_KEY } },
      },
      value('BOSUN_PREDICTION_LOG_TABLE', log.table ?? 'predictions'),
    );
    const store = inputs.inputImageStore;
    const storeInputs = (log.storeInputs ?? true) && store !== undefined;
    env.push(value('BOSUN_PREDICTION_LOG_STORE_INPUTS', storeInputs));
    if (storeInputs && store)
      env.push(
        value('BOSUN_STORE_ENDPOINT', store.endpoint),
        value('BOSUN_STORE_BUCKET', store.bucket),
        value('BOSUN_STORE_REGION', store.region),
        ...storeCredentialsEnv(store.credentialsSecret, false),
      );
  }
  return env;
}

export function renderDeployment(
  isvc: InferenceService,
  inputs: DeploymentInputs,
  settings: ServerSettings,
): V1Deployment {
  const { role, model } = inputs;
  const size = model.status?.artifact?.size ?? 0;
  const selector = roleSelectorLabels(isvc, role);
  const labels = {
    ...servingLabels(isvc),
    [ROLE_LABEL]: role,
    [MODEL_VERSION_LABEL]: model.metadata.name as string,
  };
  const mounts: V1VolumeMount[] = [{ name: 'work', mountPath: WORK_DIR }];
  const volumes: V1Volume[] = [
    { name: 'work', emptyDir: { sizeLimit: binaryQuantity(verifierWorkDirBytes(size)) } },
  ];
  if (isvc.spec.auth) {
    // The whole Secret as a directory: the kubelet updates it in place when the Secret changes,
    // and the server re-reads it, so a rotated token needs no restart.
    mounts.push({ name: 'auth-tokens', mountPath: AUTH_TOKENS_DIR, readOnly: true });
    volumes.push({
      name: 'auth-tokens',
      secret: { secretName: isvc.spec.auth.bearerTokenSecret.name, defaultMode: SECRET_FILE_MODE },
    });
  }
  const probe = (path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds,
  });
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    env: serverEnv(isvc, inputs),
    ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
    // Live while the model loads; ready only once it is loaded and warm, and no more once draining.
    readinessProbe: probe('/v2/health/ready', 2, 2, 1),
    livenessProbe: probe('/v2/health/live', 10, 3, 5),
    resources: servingResources(isvc, size),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: mounts,
  };
  const server = isvc.spec.server ?? {};
  const annotations: Record<string, string> = {};
  if (inputs.predictionLogRevision)
    annotations[PREDICTION_LOG_REVISION_ANNOTATION] = inputs.predictionLogRevision;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(isvc, role),
      namespace: isvc.metadata.namespace as string,
      labels,
      ownerReferences: [controllerReference(isvc)],
    },
    spec: {
      ...(inputs.replicas === undefined ? {} : { replicas: inputs.replicas }),
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      revisionHistoryLimit: 3,
      template: {
        metadata: {
          labels,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: terminationGracePeriodSeconds(isvc),
          securityContext: RESTRICTED_POD,
          ...(server.nodeSelector ? { nodeSelector: server.nodeSelector } : {}),
          ...(server.tolerations ? { tolerations: server.tolerations } : {}),
          containers: [container],
          volumes,
        },
      },
    },
  };
}

/** What a live Deployment runs, read back from its template (for one the controller leaves as it is). */
export function servedByDeployment(
  deployment: V1Deployment | undefined,
): { modelVersion: string; version: number; sha256: string } | undefined {
  const modelVersion = deployment?.spec?.template.metadata?.labels?.[MODEL_VERSION_LABEL];
  const version = Number(liveEnv(deployment, 'BOSUN_MODEL_VERSION'));
  const sha256 = liveEnv(deployment, 'BOSUN_MODEL_SHA256');
  if (!modelVersion || !Number.isInteger(version) || !sha256) return undefined;
  return { modelVersion, version, sha256 };
}

/** The env value a live Deployment's server container has (e.g. its current model link). */
export function liveEnv(deployment: V1Deployment | undefined, name: string): string | undefined {
  const container = deployment?.spec?.template.spec?.containers.find((c) => c.name === CONTAINER_NAME);
  return container?.env?.find((e) => e.name === name)?.value;
}
