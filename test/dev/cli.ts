// `make dev` / `make dev-down`: the whole platform on this machine and the demo on it.
//
//   node test/dev/cli.ts up [--cluster=local|kind] [--dry-run]
//       start (or reuse) the local cluster — control plane, a node, MinIO, PostgreSQL — build and
//       import the images, install Bosun, run the demo, print where to look. Run again, it
//       reconciles: nothing that is there is started, built, installed or trained again.
//       --cluster=kind: the same on a kind cluster (Docker); --dry-run prints its commands.
//   node test/dev/cli.ts down [--cluster=local|kind]
//       stop everything `up` started and check that nothing is left behind.
//   node test/dev/cli.ts upload <file> <key>
//       put a file into the dev environment's bucket (the examples' CSV, say).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client as MinioClient } from 'minio';
import { ArtifactStore } from '../../lib/store/client.ts';
import {
  clusterUpEnvironment,
  type EnvironmentState,
  recordClusterUp,
  startEnvironment,
  stopEnvironment,
} from '../cluster/environment.ts';
import { canRunNode, mountsUnder } from '../cluster/host.ts';
import { buildLocalImages, imageRef, importImages } from '../cluster/local-images.ts';
import { NODE_BRIDGE, NODE_CHAIN, NODE_CHAIN_TABLES } from '../cluster/node.ts';
import { binaryPaths } from '../cluster/paths.ts';
import { isAlive } from '../cluster/process.ts';
import { adminClient } from '../integration/operator/harness.ts';
import { execute, render } from './commands.ts';
import {
  chartAvailable,
  type InstallSettings,
  installCommands,
  type Kubectl,
  operatorDeployment,
} from './install.ts';
import { kindDown, kindUp } from './kind.ts';
import { lineageTable } from './lineage.ts';
import { type DemoTarget, FULL_DEMO, runDemo } from './loop.ts';
import { consoleProgress, type Progress } from './progress.ts';
import { summary } from './summary.ts';

const run = promisify(execFile);

/** The dev environment's names: the operator's namespace, the demo's, and the bucket. */
export const DEV = {
  operatorNamespace: 'bosun-system',
  namespace: 'bosun-demo',
  bucket: 'bosun',
  release: 'bosun-dev',
  table: 'digits_predictions',
};
/** Steps before the demo's five: environment, images, install. */
const SETUP_STEPS = 3;
const DEMO_STEPS = 5;

const flag = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ??
  (process.argv.includes(`--${name}`) ? 'true' : undefined);

/** The helm binary the test tooling builds, when it builds one. */
export function helmBinary(): string | undefined {
  return (binaryPaths() as { helm?: string }).helm;
}

async function environment(progress: Progress): Promise<EnvironmentState> {
  const existing = clusterUpEnvironment();
  if (existing) {
    if (!existing.node)
      throw new Error(
        `the running environment (${existing.dir}) has no node: stop it with make cluster-down first`,
      );
    progress.info(`reusing the running environment ${existing.dir}`);
    return existing;
  }
  const problem = canRunNode();
  if (problem) throw new Error(`make dev needs a node: ${problem}`);
  const started = Date.now();
  const state = await startEnvironment({ persistent: true, node: true });
  recordClusterUp(state.dir);
  progress.info(
    `started control plane, node, MinIO and PostgreSQL in ${((Date.now() - started) / 1000).toFixed(1)} s (${state.dir})`,
  );
  return state;
}

export function localSettings(state: EnvironmentState, imageHash: string): InstallSettings {
  return {
    release: DEV.release,
    operatorNamespace: DEV.operatorNamespace,
    watchNamespace: DEV.namespace,
    store: {
      endpoint: state.minio.endpoint,
      bucket: DEV.bucket,
      accessKey: state.minio.accessKey,
      secretKey: state.minio.secretKey,
    },
    images: {
      operator: imageRef('operator'),
      inferenceServer: imageRef('inference-server'),
      dataJobs: imageRef('data-jobs'),
      trainer: imageRef('trainer'),
    },
    imagePullPolicy: 'Never',
    imageHash,
    workloadCredentials: 'shared',
  };
}

export async function ensureBucket(
  store: { host: string; port: number; accessKey: string; secretKey: string },
  bucket: string,
) {
  const minio = new MinioClient({
    endPoint: store.host,
    port: store.port,
    useSSL: false,
    accessKey: store.accessKey,
    secretKey: store.secretKey,
  });
  if (!(await minio.bucketExists(bucket))) await minio.makeBucket(bucket);
}

export function demoTarget(state: EnvironmentState, namespace: string, bucket: string): DemoTarget {
  const { endpoint, accessKey, secretKey } = state.minio;
  return {
    client: adminClient(state),
    namespace,
    bucket,
    table: DEV.table,
    store: new ArtifactStore({ endpoint, bucket, accessKey, secretKey }),
    // Every server of the environment listens on the node's address, which Pods reach too.
    database: { url: state.postgres.url, urlForPods: state.postgres.url },
  };
}

async function up(): Promise<void> {
  const started = Date.now();
  const progress = consoleProgress(SETUP_STEPS + DEMO_STEPS);
  progress.step('cluster: control plane, node, MinIO, PostgreSQL');
  const state = await environment(progress);
  progress.step('images: build what changed, import into the node');
  const images = await buildLocalImages();
  const imported = await importImages(state.node?.containerdSocket as string, images);
  progress.info(
    `${images.length} images; ${imported.length ? `imported ${imported.join(', ')}` : 'the node has them all'}`,
  );
  progress.step(`Bosun: operator in ${DEV.operatorNamespace}, watching ${DEV.namespace}`);
  await ensureBucket(state.minio, DEV.bucket);
  const hash = images.map((i) => i.hash).join('');
  const kubectl: Kubectl = { program: state.kubectl, flags: ['--kubeconfig', state.controlPlane.kubeconfig] };
  for (const command of installCommands(localSettings(state, hash), kubectl, helmBinary())) {
    if (command.why) progress.info(command.why);
    await execute(command);
  }
  const target = demoTarget(state, DEV.namespace, DEV.bucket);
  const result = await runDemo(target, FULL_DEMO, progress);
  const hostUrl = await hostReachableUrl(state, result.service.status?.url);
  console.log(
    `\n${lineageTable(
      {
        url: result.service.status?.url ?? '',
        ...(hostUrl ? { hostUrl } : {}),
        serving: result.service.status?.primary?.modelVersion ?? '',
      },
      result.lineage,
    )}\n`,
  );
  console.log(
    summary({
      state,
      namespace: DEV.namespace,
      operatorNamespace: DEV.operatorNamespace,
      operatorDeployment: operatorDeployment(
        localSettings(state, hash),
        helmBinary() !== undefined && chartAvailable(),
      ),
      bucket: DEV.bucket,
      hostUrl,
    }),
  );
  console.log(`\nmake dev finished in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

/** The Service's ClusterIP URL: kube-proxy routes it on this machine, so curl works from here. */
async function hostReachableUrl(
  state: EnvironmentState,
  url: string | undefined,
): Promise<string | undefined> {
  const match = /^http:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(:\d+)?(\/.*)?$/.exec(url ?? '');
  if (!match) return undefined;
  const { stdout } = await run(state.kubectl, [
    '--kubeconfig',
    state.controlPlane.kubeconfig,
    '-n',
    match[2] as string,
    'get',
    'service',
    match[1] as string,
    '-o',
    'jsonpath={.spec.clusterIP}',
  ]);
  return `http://${stdout.trim()}${match[3] ?? ''}${match[4] ?? ''}`;
}

/** What a stopped environment may leave: processes, listening ports, mounts, iptables chains. */
async function leftovers(state: EnvironmentState): Promise<string[]> {
  const found: string[] = [];
  for (const p of state.processes) if (isAlive(p.pid)) found.push(`process ${p.name} (${p.pid})`);
  const ports = [Number(new URL(state.controlPlane.server).port), state.minio.port, state.postgres.port];
  const { stdout: listening } = await run('ss', ['-Hltn']);
  for (const port of ports)
    if (new RegExp(`:${port}\\s`).test(listening)) found.push(`port ${port} still listening`);
  for (const point of mountsUnder(state.dir)) found.push(`mount ${point}`);
  const { stdout: links } = await run('ip', ['-o', 'link', 'show']).catch(() => ({ stdout: '' }));
  if (links.includes(` ${NODE_BRIDGE}:`)) found.push(`network interface ${NODE_BRIDGE}`);
  for (const tool of ['iptables', 'ip6tables'])
    for (const table of NODE_CHAIN_TABLES) {
      const { stdout } = await run(`${tool}-save`, ['-t', table]).catch(() => ({ stdout: '' }));
      for (const line of stdout.split('\n')) {
        const chain = line.startsWith(':') ? (line.slice(1).split(' ')[0] as string) : '';
        if (NODE_CHAIN.test(chain)) found.push(`${tool} ${table} chain ${chain}`);
      }
    }
  return found;
}

async function down(): Promise<void> {
  const state = clusterUpEnvironment();
  if (!state) {
    console.log('No dev environment is running.');
    recordClusterUp(undefined);
    return;
  }
  await stopEnvironment(state);
  recordClusterUp(undefined);
  const left = await leftovers(state);
  if (left.length > 0) throw new Error(`stopped, but left behind:\n  ${left.join('\n  ')}`);
  console.log(
    `Stopped ${state.processes.map((p) => p.name).join(', ')}; removed ${state.dir}. No process, port, mount, iptables chain or network interface is left.`,
  );
}

async function upload(file: string | undefined, key: string | undefined): Promise<void> {
  const state = clusterUpEnvironment();
  if (!state) throw new Error('no dev environment is running: start it with make dev');
  if (!file || !key) throw new Error('usage: node test/dev/cli.ts upload <file> <key>');
  const target = demoTarget(state, DEV.namespace, DEV.bucket);
  await target.store.putObject(key, readFileSync(file));
  console.log(`uploaded ${file} to s3://${DEV.bucket}/${key}`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const kind = flag('cluster') === 'kind';
  const dryRun = flag('dry-run') === 'true';
  if (command === 'up' && kind) {
    for (const line of await kindUp({ dryRun, helm: helmBinary() })) console.log(line);
    return;
  }
  if (command === 'down' && kind) {
    for (const line of await kindDown({ dryRun })) console.log(line);
    return;
  }
  if (dryRun) {
    const state = clusterUpEnvironment();
    const settings = state ? localSettings(state, '<image hashes>') : undefined;
    if (!settings)
      throw new Error('--dry-run of the local cluster needs a running environment (make cluster-up)');
    const kubectl: Kubectl = {
      program: state?.kubectl ?? 'kubectl',
      flags: ['--kubeconfig', state?.controlPlane.kubeconfig ?? ''],
    };
    for (const c of installCommands(settings, kubectl, helmBinary())) console.log(render(c));
    return;
  }
  if (command === 'up') return up();
  if (command === 'down') return down();
  if (command === 'upload') return upload(rest[0], rest[1]);
  throw new Error('usage: node test/dev/cli.ts up|down|upload [--cluster=local|kind] [--dry-run]');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`make dev: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
