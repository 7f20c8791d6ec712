// Runs the operator the way the fault tests need it: as a separate host process (`node
// operator/main.ts`) that can be SIGKILLed, authenticated as a ServiceAccount bound to the RBAC of
// config/rbac (so every test also proves the operator needs no more), with the store credentials
// in a Secret of its own namespace. Works against the shared environment or a private one.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Client as MinioClient } from 'minio';
import { parseAllDocuments, stringify } from 'yaml';
import { floatTensor, GraphBuilder } from '../../../lib/onnx/builder.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { apply } from '../../../operator/runtime/server-side-apply.ts';
import { imageStage, nodeFlags } from '../../cluster/dockerfile.ts';
import type { EnvironmentState } from '../../cluster/environment.ts';
import { imageRef } from '../../cluster/local-images.ts';
import { repoRoot } from '../../cluster/paths.ts';
import { operatorLogsDir } from '../run-dirs.ts';

export type Env = Pick<EnvironmentState, 'kubectl' | 'controlPlane' | 'minio' | 'logsDir'>;

export function adminClient(env: Env): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(env.controlPlane.kubeconfig);
  return new KubeClient(kc);
}

export function minio(env: Env): MinioClient {
  const { host, port, accessKey, secretKey } = env.minio;
  return new MinioClient({ endPoint: host, port, useSSL: false, accessKey, secretKey });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns without throwing. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

export function kubectl(env: Env, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      env.kubectl,
      ['--kubeconfig', env.controlPlane.kubeconfig, ...args],
      { timeout: 180_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

export async function installCrds(env: Env): Promise<void> {
  const run = async (args: string[]) => {
    const r = await kubectl(env, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  };
  await run([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=bosun-tests',
    '-f',
    join(repoRoot, 'crds'),
  ]);
  await run(['wait', '--for=condition=Established', '--timeout=60s', 'crd/modelversions.bosun.dev']);
  const client = adminClient(env);
  await eventually(
    () => client.request('GET', `/apis/${API_VERSION}/modelversions`, { query: { limit: 1 } }),
    30_000,
  );
}

function rbacDocuments(): Record<string, unknown>[] {
  const dir = join(repoRoot, 'config', 'rbac');
  const files = [
    'service_account.yaml',
    'role.yaml',
    'operator_namespace_role.yaml',
    'operator_namespace_role_binding.yaml',
  ];
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as Record<string, unknown>),
  );
}

export interface OperatorNamespaces {
  /** The operator's namespace: its Lease, the store Secret, the verification Jobs. */
  operator: string;
  /** The namespace it watches, where the test creates ModelVersions. */
  watched: string;
  bucket: string;
  /** A kubeconfig of the operator's ServiceAccount. */
  kubeconfig: string;
}

/**
 * Namespaces, the store Secret, a bucket, and the RBAC of config/rbac bound to the operator's
 * ServiceAccount (the ClusterRole through a RoleBinding in the watched namespace, as for
 * --watch-namespace); returns a kubeconfig with that ServiceAccount's token.
 */
export async function prepareOperator(env: Env, prefix: string): Promise<OperatorNamespaces> {
  const client = adminClient(env);
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const operator = `${prefix}-op-${suffix}`;
  const watched = `${prefix}-${suffix}`;
  const restricted = {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  };
  for (const name of [operator, watched])
    await client.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: restricted } },
    });
  const bucket = `${prefix}-${suffix}`.slice(0, 63);
  await minio(env).makeBucket(bucket);
  await client.request('POST', `/api/v1/namespaces/${operator}/secrets`, {
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bosun-store' },
      stringData: { accessKeyId: env.minio.accessKey, secretAccessKey: env.minio.secretKey },
    },
  });
  for (const doc of rbacDocuments()) {
    const meta = doc.metadata as { name: string; namespace?: string };
    const kind = doc.kind as string;
    if (meta.namespace) meta.namespace = operator;
    for (const s of (doc.subjects as { namespace?: string }[] | undefined) ?? []) s.namespace = operator;
    const path =
      kind === 'ClusterRole'
        ? `/apis/rbac.authorization.k8s.io/v1/clusterroles/${meta.name}`
        : kind === 'ServiceAccount'
          ? `/api/v1/namespaces/${operator}/serviceaccounts/${meta.name}`
          : `/apis/rbac.authorization.k8s.io/v1/namespaces/${operator}/${kind === 'Role' ? 'roles' : 'rolebindings'}/${meta.name}`;
    await apply(client, path, doc);
  }
  await apply(
    client,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${watched}/rolebindings/bosun-operator`,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bosun-operator', namespace: watched },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bosun-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'bosun-operator', namespace: operator }],
    },
  );
  const token = await client.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${operator}/serviceaccounts/bosun-operator/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 7200 },
      },
    },
  );
  const admin = new KubeConfig();
  admin.loadFromFile(env.controlPlane.kubeconfig);
  const cluster = admin.getCurrentCluster();
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'bosun-operator-sa-')), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'test', cluster: { server: cluster?.server, 'certificate-authority-data': cluster?.caData } },
      ],
      users: [{ name: 'bosun-operator', user: { token: token.status.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'bosun-operator', namespace: operator } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  return { operator, watched, bucket, kubeconfig };
}

export async function cleanup(env: Env, ns: OperatorNamespaces): Promise<void> {
  const client = adminClient(env);
  // Finalizers would hold the namespace once no operator runs: drop them first.
  for (const plural of ['modelversions', 'inferenceservices']) {
    const base = `/apis/${API_VERSION}/namespaces/${ns.watched}/${plural}`;
    const list = await client
      .request<{ items: { metadata: { name: string } }[] }>('GET', base)
      .catch(() => ({ items: [] }));
    await Promise.all(
      list.items.map((o) =>
        client
          .request('PATCH', `${base}/${o.metadata.name}`, {
            body: { metadata: { finalizers: null } },
            contentType: 'application/merge-patch+json',
          })
          .catch(() => undefined),
      ),
    );
  }
  for (const name of [ns.watched, ns.operator])
    await client.request('DELETE', `/api/v1/namespaces/${name}`).catch(() => undefined);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface RunningOperator {
  pid: number;
  identity: string;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  metrics(): Promise<string>;
  /** HTTP status of /readyz or /healthz, or 0 when nothing answers. */
  probe(path: '/readyz' | '/healthz'): Promise<number>;
}

let started = 0;
// The image's V8 settings (environment and the node flags of its entry point), so memory figures
// match a deployed operator.
const operatorImage = imageStage('operator');
const imageEnv = operatorImage.env;
const imageNodeFlags = nodeFlags(operatorImage);

export async function startOperator(
  env: Env,
  ns: OperatorNamespaces,
  options: { leaderElect?: boolean; identity?: string; extraArgs?: string[] } = {},
): Promise<RunningOperator> {
  const metricsPort = await freePort();
  const probePort = await freePort();
  const identity = options.identity ?? `test-operator-${++started}-${process.pid}`;
  // Outside the environment's directory and the run's temporary one, both removed at the end of
  // the run.
  const logsDir = operatorLogsDir();
  mkdirSync(logsDir, { recursive: true });
  const logFile = join(logsDir, `${ns.watched}-${identity}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [
      ...imageNodeFlags,
      join(repoRoot, 'operator', 'main.ts'),
      `--kubeconfig=${ns.kubeconfig}`,
      `--watch-namespace=${ns.watched}`,
      `--operator-namespace=${ns.operator}`,
      `--store-endpoint=${env.minio.endpoint}`,
      `--store-bucket=${ns.bucket}`,
      `--image=${imageRef('operator')}`,
      '--image-pull-policy=Never',
      `--leader-elect=${options.leaderElect ?? true}`,
      `--identity=${identity}`,
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      ...(options.extraArgs ?? []),
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        ...imageEnv,
        BOSUN_STORE_ACCESS_KEY: env.minio.accessKey,
        BOSUN_STORE_SECRET_KEY: env.minio.secretKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const get = async (port: number, path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, text: await res.text() };
  };
  return {
    pid: child.pid as number,
    identity,
    logFile,
    exited,
    kill: (signal) => child.kill(signal),
    metrics: async () => (await get(metricsPort, '/metrics')).text,
    probe: async (path) => (await get(probePort, path).catch(() => ({ status: 0 }))).status,
  };
}

/** A metric's value from Prometheus text, summed over the series whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** API write calls (anything but GET and WATCH) the operator has made; `objectsOnly` leaves out Lease renewals. */
export function writeCalls(text: string, objectsOnly = false): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('bosun_api_requests_total{')) continue;
    if (objectsOnly && line.includes('resource="leases"')) continue;
    const method = /method="([A-Z]+)"/.exec(line)?.[1];
    if (method && method !== 'GET' && method !== 'WATCH')
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A small valid ONNX model; `seed` changes its weights, hence its digest. */
export function onnxModel(seed = 1): Uint8Array {
  const g = new GraphBuilder(`affine-${seed}`);
  const x = g.input('features', 'float', ['N', 4]);
  const w = g.constant('w', floatTensor([seed, 2, 3, 4], [4, 1]));
  g.op('MatMul', [x, w], { outputs: ['score'] });
  g.output('score', 'float', ['N', 1]);
  return g.toBytes();
}

export async function upload(
  env: Env,
  bucket: string,
  key: string,
  data: Uint8Array | string,
): Promise<string> {
  await minio(env).putObject(bucket, key, Buffer.from(data));
  return `s3://${bucket}/${key}`;
}

export function modelVersionBody(
  namespace: string,
  model: string,
  version: number,
  artifact: { uri: string; sha256: string },
  extra: Partial<ModelVersion['spec']> = {},
) {
  return {
    apiVersion: API_VERSION,
    kind: 'ModelVersion',
    metadata: { name: `${model}-v${version}`, namespace },
    spec: { model, version, artifact: { ...artifact, format: 'onnx' }, stage: 'none', ...extra },
  };
}

export async function createModelVersion(
  client: KubeClient,
  body: ReturnType<typeof modelVersionBody>,
): Promise<void> {
  await client.request('POST', `/apis/${API_VERSION}/namespaces/${body.metadata.namespace}/modelversions`, {
    body,
  });
}

export async function listModelVersions(client: KubeClient, namespace: string): Promise<ModelVersion[]> {
  return (
    await client.request<{ items: ModelVersion[] }>(
      'GET',
      `/apis/${API_VERSION}/namespaces/${namespace}/modelversions`,
    )
  ).items;
}

export function condition(mv: ModelVersion, type: string) {
  return mv.status?.conditions?.find((c) => c.type === type);
}

export function modelVersionPath(namespace: string, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${namespace}/modelversions/${name}`;
}

/** Waits until the ModelVersion's Ready condition is True or False (not missing, not Unknown). */
export async function settledModelVersion(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<ModelVersion> {
  return eventually(async () => {
    const mv = await client.request<ModelVersion>('GET', modelVersionPath(namespace, name));
    const ready = condition(mv, 'Ready');
    if (!ready || ready.status === 'Unknown')
      throw new Error(`${name} not settled: ${JSON.stringify(mv.status?.conditions)}`);
    return mv;
  }, timeoutMs);
}
