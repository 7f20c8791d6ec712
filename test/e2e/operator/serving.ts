// Shared steps for the InferenceService end-to-end tests and the serving benchmark: the operator
// as a host process (harness.ts) serving with the locally built inference server image, models
// trained by the built-in trainer and registered as Ready ModelVersions, InferenceServices, and
// a client Pod (the e2e-client image) that sends requests through the Service from inside the
// cluster, as a user's workload would.
import type { V1Pod } from '@kubernetes/client-node';
import { ArtifactStore } from '../../../lib/store/client.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { imageRef } from '../../cluster/local-images.ts';
import type { BucketFixture } from '../../integration/clients.ts';
import {
  adminClient,
  cleanup,
  condition,
  createModelVersion,
  type Env,
  eventually,
  installCrds,
  modelVersionBody,
  modelVersionPath,
  type OperatorNamespaces,
  prepareOperator,
  type RunningOperator,
  settledModelVersion,
  sha256,
  sleep,
  startOperator,
} from '../../integration/operator/harness.ts';
import { publishDataset, runTrainer } from '../../integration/trainer/helpers.ts';
import { syntheticRows, toCsv } from '../../unit/trainer/synthetic.ts';
import { stripeImages } from '../../unit/trainer/synthetic-images.ts';
import { restrictedSecurityContext } from '../pod-security.ts';

export type ServingEnv = Env & { minio: Env['minio'] & { endpoint: string } };

/** The arguments every serving test gives the operator: the locally built server image. */
export const SERVING_ARGS = [`--inference-server-image=${imageRef('inference-server')}`];

export interface ServingFixture {
  client: KubeClient;
  ns: OperatorNamespaces;
  operator: RunningOperator;
  /** The store of the operator's bucket, with the admin credentials. */
  bucket: BucketFixture;
}

export async function startServing(
  env: ServingEnv,
  prefix: string,
  extraArgs: string[] = [],
): Promise<ServingFixture> {
  await installCrds(env);
  const ns = await prepareOperator(env, prefix);
  const operator = await startOperator(env, ns, { extraArgs: [...SERVING_ARGS, ...extraArgs] });
  const { endpoint, accessKey, secretKey } = env.minio;
  const bucket: BucketFixture = {
    store: new ArtifactStore({ endpoint, bucket: ns.bucket, accessKey, secretKey }),
    bucket: ns.bucket,
    env: {
      BOSUN_STORE_ENDPOINT: endpoint,
      BOSUN_STORE_BUCKET: ns.bucket,
      BOSUN_STORE_ACCESS_KEY: accessKey,
      BOSUN_STORE_SECRET_KEY: secretKey,
    },
  };
  return { client: adminClient(env), ns, operator, bucket };
}

/** Stops the fixture's operator (SIGTERM, waiting for it to exit) and removes its namespaces. */
export async function stopServing(env: ServingEnv, f: ServingFixture | undefined): Promise<void> {
  if (!f) return;
  f.operator.kill('SIGTERM');
  await f.operator.exited;
  await cleanup(env, f.ns);
}

export const TABULAR_COLUMNS = ['x1', 'x2', 'city', 'cls', 'score'] as const;

/** One row the tabular models take, as an OIP v2 infer request body. */
export const TABULAR_REQUEST = JSON.stringify({
  inputs: [
    { name: 'x1', shape: [1, 1], datatype: 'FP32', data: [1.5] },
    { name: 'x2', shape: [1, 1], datatype: 'FP32', data: [-1] },
    { name: 'city', shape: [1, 1], datatype: 'BYTES', data: ['oslo'] },
  ],
});

export type ModelKind = 'tabular' | 'image';

/**
 * Trains a model with the built-in trainer (host process, as its Job runs it) straight into
 * `models/<ns>/<model>/<version>/`, and registers it as a ModelVersion; resolves once it is Ready.
 * `seed` changes the data, hence the weights and the digest.
 */
export async function trainedModelVersion(
  f: ServingFixture,
  model: string,
  version: number,
  options: { kind?: ModelKind; seed?: number; stage?: 'none' | 'dev' | 'staging' | 'production' } = {},
): Promise<ModelVersion> {
  const { kind = 'tabular', seed = version } = options;
  const namespace = f.ns.watched;
  const dataName = `${model}-${kind}-${seed}`;
  const manifest =
    kind === 'tabular'
      ? await publishDataset(
          f.bucket,
          dataName,
          [{ path: 'rows/part-1.csv', data: toCsv(syntheticRows(600, seed, 3), [...TABULAR_COLUMNS]) }],
          namespace,
        )
      : await publishDataset(f.bucket, dataName, await stripeImages(30, seed), namespace);
  const prefix = `models/${namespace}/${model}/${version}/`;
  const run = await runTrainer({
    ...f.bucket.env,
    BOSUN_NAMESPACE: namespace,
    BOSUN_TASK: kind === 'tabular' ? 'tabular-classification' : 'image-classification',
    BOSUN_ALGORITHM: kind === 'tabular' ? 'logistic' : 'cnn',
    BOSUN_INPUT_MANIFEST: manifest.uri,
    BOSUN_INPUT_MANIFEST_SHA256: manifest.sha256,
    BOSUN_OUTPUT_PREFIX: `s3://${f.ns.bucket}/${prefix}`,
    BOSUN_HYPERPARAMETERS: JSON.stringify(
      kind === 'tabular' ? { target: 'cls', columns: { score: 'ignore' } } : { imageSize: 16, epochs: 3 },
    ),
  });
  if (run.code !== 0) throw new Error(`the trainer failed: ${run.stderr || run.stdout.slice(-2000)}`);
  const digest = sha256(await f.bucket.store.getObject(`${prefix}model.onnx`));
  const body = modelVersionBody(
    namespace,
    model,
    version,
    { uri: `s3://${f.ns.bucket}/${prefix}model.onnx`, sha256: digest },
    { stage: options.stage ?? 'none' },
  );
  await createModelVersion(f.client, body);
  const mv = await settledModelVersion(f.client, namespace, body.metadata.name, 180_000);
  if (condition(mv, 'Ready')?.status !== 'True')
    throw new Error(`${body.metadata.name} is not Ready: ${JSON.stringify(mv.status?.conditions)}`);
  return mv;
}

/** Moves a ModelVersion to `stage` (a promotion, or `archived`/`none` to leave one). */
export async function setStage(f: ServingFixture, name: string, stage: string): Promise<void> {
  await f.client.request('PATCH', modelVersionPath(f.ns.watched, name), {
    body: { spec: { stage } },
    contentType: 'application/merge-patch+json',
  });
}

export const inferenceServicePath = (namespace: string, name: string) =>
  `/apis/${API_VERSION}/namespaces/${namespace}/inferenceservices/${name}`;

export async function createInferenceService(
  f: ServingFixture,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await f.client.request('POST', `/apis/${API_VERSION}/namespaces/${f.ns.watched}/inferenceservices`, {
    body: { apiVersion: API_VERSION, kind: 'InferenceService', metadata: { name }, spec },
  });
}

export async function patchInferenceService(
  f: ServingFixture,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await f.client.request('PATCH', inferenceServicePath(f.ns.watched, name), {
    body: { spec },
    contentType: 'application/merge-patch+json',
  });
}

export const readInferenceService = (f: ServingFixture, name: string) =>
  f.client.request<InferenceService>('GET', inferenceServicePath(f.ns.watched, name));

export function isvcCondition(isvc: InferenceService, type: string) {
  return isvc.status?.conditions?.find((c) => c.type === type);
}

/**
 * Waits until the InferenceService is Ready for its current generation, serving `version` (when
 * given) on every primary replica.
 */
export async function readyInferenceService(
  f: ServingFixture,
  name: string,
  version?: number,
  timeoutMs = 180_000,
): Promise<InferenceService> {
  return eventually(async () => {
    const isvc = await readInferenceService(f, name);
    const ready = isvcCondition(isvc, 'Ready');
    const serving = isvc.status?.primary?.version;
    if (
      ready?.status !== 'True' ||
      ready.observedGeneration !== isvc.metadata.generation ||
      (version !== undefined && serving !== version)
    )
      throw new Error(
        `${name} is not Ready with version ${version ?? 'any'}: serving ${serving}, ${JSON.stringify(isvc.status?.conditions)}`,
      );
    return isvc;
  }, timeoutMs);
}

/** The admin's Secret of the watched namespace, with string values. */
export async function createSecret(
  f: ServingFixture,
  name: string,
  data: Record<string, string>,
): Promise<void> {
  await f.client.request('POST', `/api/v1/namespaces/${f.ns.watched}/secrets`, {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: data },
  });
}

let clients = 0;

export interface ClientPod {
  name: string;
  /** Its log so far. */
  logs(): Promise<string>;
  /** Resolves with the log once the Pod has finished; rejects if it failed. */
  finished(timeoutMs?: number): Promise<string>;
}

/**
 * The test cluster runs no cluster DNS: each `<service>.<namespace>.svc` host among `args` is
 * given to the Pod as a host alias of that Service's ClusterIP, so the client uses status.url as
 * it is and still goes through the Service (kube-proxy).
 */
async function serviceHostAliases(f: ServingFixture, args: string[]) {
  const hosts = new Set<string>();
  for (const arg of args) {
    const host = /^https?:\/\/([a-z0-9-]+\.[a-z0-9-]+\.svc)(?::\d+)?\//.exec(arg)?.[1];
    if (host) hosts.add(host);
  }
  const aliases = [];
  for (const host of hosts) {
    const [service, namespace] = host.split('.');
    const svc = await f.client.request<{ spec: { clusterIP: string } }>(
      'GET',
      `/api/v1/namespaces/${namespace}/services/${service}`,
    );
    aliases.push({ ip: svc.spec.clusterIP, hostnames: [host] });
  }
  return aliases;
}

/** Starts a client Pod (the e2e-client image) in the watched namespace with `args`. */
export async function startClient(f: ServingFixture, args: string[]): Promise<ClientPod> {
  const name = `client-${++clients}-${Date.now().toString(36)}`;
  const namespace = f.ns.watched;
  const hostAliases = await serviceHostAliases(f, args);
  await f.client.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { 'app.kubernetes.io/name': 'e2e-client' } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        hostAliases,
        containers: [
          {
            name: 'client',
            image: imageRef('e2e-client'),
            imagePullPolicy: 'Never',
            args,
            securityContext: restrictedSecurityContext,
            resources: { requests: { cpu: '50m', memory: '64Mi' } },
          },
        ],
      },
    },
  });
  // The client parses any body that is JSON, and a log of one JSON line is: give it back as text.
  const readLog = () =>
    f.client
      .request<unknown>('GET', `/api/v1/namespaces/${namespace}/pods/${name}/log`)
      .then((body) =>
        body === undefined ? '' : typeof body === 'string' ? body : `${JSON.stringify(body)}\n`,
      );
  return {
    name,
    // While the container is still being created there is no log yet: that reads as empty.
    logs: () => readLog().catch(() => ''),
    finished: async (timeoutMs = 180_000) => {
      const pod = await eventually(
        async () => {
          const pod = await f.client.request<V1Pod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
          if (pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
            throw new Error(`client ${name} is ${pod.status?.phase}`);
          return pod;
        },
        timeoutMs,
        500,
      );
      // A finished Pod's log is what the caller asserts on: failing to read it must not read as empty.
      const text = await readLog();
      if (pod.status?.phase === 'Failed') throw new Error(`client ${name} failed: ${text}`);
      return text;
    },
  };
}

export interface ClientAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request from a client Pod; its answer whatever the status. */
export async function requestFromPod(
  f: ServingFixture,
  method: string,
  url: string,
  options: { json?: string; bodyBase64?: string; headers?: Record<string, string> } = {},
): Promise<ClientAnswer> {
  const args = ['request', method, url];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('--header', `${k}=${v}`);
  if (options.json !== undefined) args.push('--json', options.json);
  if (options.bodyBase64 !== undefined) args.push('--body-base64', options.bodyBase64);
  const pod = await startClient(f, args);
  const lines = (await pod.finished()).trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as ClientAnswer;
}

/** The last JSON line of a client's log. */
export function lastLine<T>(log: string): T {
  const lines = log.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as T;
}

export { sleep };

export interface ServingEvent {
  type: string;
  reason: string;
  note: string;
  regarding: { kind: string; name: string };
  /** Set when the same Event was recorded again within minutes (runtime/events.ts). */
  series?: { count: number };
  eventTime?: string;
  metadata: { creationTimestamp?: string };
}

/** The Events about the object `name` of `kind` (an InferenceService) in the watched namespace, oldest first. */
export async function servingEvents(
  f: ServingFixture,
  name: string,
  kind = 'InferenceService',
): Promise<ServingEvent[]> {
  const list = await f.client.request<{ items: ServingEvent[] }>(
    'GET',
    `/apis/events.k8s.io/v1/namespaces/${f.ns.watched}/events`,
  );
  return list.items
    .filter((e) => e.regarding.kind === kind && e.regarding.name === name)
    .sort((a, b) =>
      (a.eventTime ?? a.metadata.creationTimestamp ?? '').localeCompare(
        b.eventTime ?? b.metadata.creationTimestamp ?? '',
      ),
    );
}
