// Figures for the controller runtime on this machine: time until 1,000 ModelVersions sharing 10
// artifacts are Ready after one burst, the operator's RSS once synced, and the API writes a full
// resync of settled objects makes (a restarted operator's initial sync, and a periodic resync).
import { readFileSync } from 'node:fs';
import {
  type EnvironmentState,
  nodeOwner,
  startEnvironment,
  stopEnvironment,
} from '../../cluster/environment.ts';
import { canRunNode } from '../../cluster/host.ts';
import { buildLocalImages, importImages } from '../../cluster/local-images.ts';
import {
  adminClient,
  cleanup,
  condition,
  createModelVersion,
  eventually,
  installCrds,
  listModelVersions,
  metricValue,
  modelVersionBody,
  onnxModel,
  prepareOperator,
  type RunningOperator,
  sha256,
  sleep,
  startOperator,
  upload,
  writeCalls,
} from '../../integration/operator/harness.ts';
import { useRunTempDir } from '../../integration/run-dirs.ts';

const total = Number(process.env.BENCH_MODEL_VERSIONS ?? 1000);
const artifactCount = 10;
const inFlight = 50;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function settledReconciles(op: RunningOperator, atLeast: number): Promise<string> {
  return eventually(
    async () => {
      const text = await op.metrics();
      const reconciles = metricValue(text, 'controller_runtime_reconcile_total', {
        controller: 'modelversion',
      });
      if (reconciles < atLeast) throw new Error(`${reconciles} reconciles`);
      if (
        metricValue(text, 'workqueue_depth') !== 0 ||
        metricValue(text, 'controller_runtime_active_workers') !== 0
      )
        throw new Error('queue busy');
      return text;
    },
    300_000,
    500,
  );
}

async function main(): Promise<void> {
  const reason =
    canRunNode() ??
    (nodeOwner() ? `another environment runs this machine's node (${nodeOwner()})` : undefined);
  if (reason) throw new Error(`the benchmark needs the node for the verification Jobs: ${reason}`);
  const images = buildLocalImages();
  const env: EnvironmentState = await startEnvironment({ node: true });
  // The operator ServiceAccount's kubeconfig (a token) and other temporary files: removed at the end.
  const removeRunTempDir = useRunTempDir();
  const operators: RunningOperator[] = [];
  try {
    await importImages(env.node?.containerdSocket as string, await images);
    const client = adminClient(env);
    await installCrds(env);
    const ns = await prepareOperator(env, 'bench');
    const artifacts: { uri: string; sha256: string }[] = [];
    for (let i = 0; i < artifactCount; i++) {
      const model = onnxModel(1000 + i);
      artifacts.push({
        uri: await upload(env, ns.bucket, `models/${ns.watched}/m${i}/model.onnx`, model),
        sha256: sha256(model),
      });
    }
    const first = await startOperator(env, ns, { identity: 'bench' });
    operators.push(first);
    await eventually(async () => {
      if ((await first.probe('/readyz')) !== 200) throw new Error('not ready');
    }, 60_000);
    await eventually(async () => {
      if (metricValue(await first.metrics(), 'leader_election_master_status') !== 1)
        throw new Error('not leader');
    }, 30_000);

    console.log(
      `creating ${total} ModelVersions sharing ${artifactCount} artifacts (${inFlight} requests in flight)`,
    );
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          const i = next++;
          const artifact = artifacts[i % artifactCount] as { uri: string; sha256: string };
          await createModelVersion(
            client,
            modelVersionBody(ns.watched, `bench${i % 100}`, Math.floor(i / 100) + 1, artifact),
          );
        }
      }),
    );
    const created = (Date.now() - started) / 1000;
    let lastReport = 0;
    await eventually(
      async () => {
        const list = await listModelVersions(client, ns.watched);
        const ready = list.filter((mv) => condition(mv, 'Ready')?.status === 'True').length;
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          console.log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${ready}/${total} Ready`);
        }
        if (ready < total) throw new Error(`${ready}/${total} Ready`);
      },
      600_000,
      500,
    );
    const allReady = (Date.now() - started) / 1000;
    const synced = await settledReconciles(first, total);
    await sleep(2000);
    const rss = rssMiB(first.pid);
    const jobs = await client.request<{ items: unknown[] }>(
      'GET',
      `/apis/batch/v1/namespaces/${ns.operator}/jobs`,
    );
    const burstWrites = writeCalls(synced);

    // A full resync of settled objects, twice: a fresh process's initial sync, then its periodic resync.
    first.kill('SIGTERM');
    await first.exited;
    const second = await startOperator(env, ns, { identity: 'bench', extraArgs: ['--resync-period=15s'] });
    operators.push(second);
    const afterStart = await settledReconciles(second, total);
    const restartWrites = writeCalls(afterStart, true);
    const afterResync = await settledReconciles(second, 2 * total);
    const resyncWrites = writeCalls(afterResync, true) - restartWrites;

    const row = (name: string, value: string, target: string) =>
      console.log(`${name.padEnd(48)} ${value.padStart(10)}   ${target}`);
    console.log(
      `\nruntime benchmark: ${total} ModelVersions, ${artifactCount} artifacts, ${env.node ? 'real node' : ''}`,
    );
    row('burst created in', `${created.toFixed(1)} s`, '');
    row('time until all Ready (from the first create)', `${allReady.toFixed(1)} s`, 'target ≤ 60 s');
    row('operator RSS after sync', `${rss.toFixed(0)} MiB`, 'target ≤ 150 MB');
    row('verification Jobs', String(jobs.items.length), `expected ${artifactCount}`);
    row('API writes to settle the burst', String(burstWrites), '');
    row(
      'object writes in a restarted operator’s initial sync',
      String(restartWrites),
      'target 0 (Lease renewals not counted)',
    );
    row('object writes in a periodic resync of settled objects', String(resyncWrites), 'target 0');
    await cleanup(env, ns);
  } finally {
    for (const op of operators) op.kill('SIGKILL');
    await stopEnvironment(env);
    removeRunTempDir();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
