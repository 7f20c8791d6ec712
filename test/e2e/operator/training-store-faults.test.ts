// MinIO cut off for 45 s while a TrainingRun registers, on the real node: the operator reaches the
// store only through a TCP proxy on the node's address (--store-endpoint; the last flag wins), so
// its data and training Pods do too. The proxy goes down the moment the training Pod has exited 0
// (its outputs are complete: the workload contract's exit 0), before the Job controller has marked
// the Job Complete and so before the operator can start registering. Meanwhile the run says
// Succeeded=Unknown, Registering, and why, in words; no ModelVersion appears. Once the store is
// back the run registers <model>-v1 within 30 s, which is verified, and the run Succeeds.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Condition } from '../../../operator/api/common.ts';
import { trainingJobName } from '../../../operator/controllers/training-run/names.ts';
import { condition, eventually, listModelVersions, sleep } from '../../integration/operator/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../integration/tcp-proxy.ts';
import type { DatasetFixture } from './datasets.ts';
import { watchJobCreations } from './job-creations.ts';
import { stopServing } from './serving.ts';
import {
  createTrainingRun,
  finishedRun,
  readTrainingRun,
  runCondition,
  startTraining,
  tabularDataset,
  tabularRunSpec,
} from './training.ts';

const env = inject('environment');
const OUTAGE_MS = 45_000;
/** The operator tries the store again every 10 s while registering. */
const REGISTERED_WITHIN_MS = 30_000;
const RUN = 'outage-1';
const MODEL = 'outage';
let f: DatasetFixture;
let proxy: TcpProxy;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode || !env.node) throw new Error(`the TrainingRun fault tests need a node: ${noNode}`);
  // Pods reach host services at the node's address only.
  proxy = await startTcpProxy({ host: env.minio.host, port: env.minio.port }, env.node.address);
  f = await startTraining(env, 'tr-store', [`--store-endpoint=http://${proxy.host}:${proxy.port}`]);
  await tabularDataset(f, 'outage', { rows: 120 });
}, 240_000);

afterAll(async () => {
  await stopServing(env, f);
  await proxy?.close();
});

/** Resolves (with the time) once the training container has exited 0, after cutting the store off. */
function cutWhenTrained(job: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    let cut = false;
    f.client
      .watch<V1Pod>(
        `/api/v1/namespaces/${f.ns.watched}/pods`,
        { resourceVersion: '0', labelSelector: `batch.kubernetes.io/job-name=${job}` },
        (event) => {
          const terminated = event.object.status?.containerStatuses?.find((c) => c.name === 'train')?.state
            ?.terminated;
          if (cut || terminated?.exitCode !== 0) return;
          cut = true;
          // At once, in the watch's callback: the operator learns of it only from the Job's update.
          proxy.down().then(() => resolve(Date.now()), reject);
        },
        { signal, idleMs: 600_000 },
      )
      .then(
        () => cut || reject(new Error('the Pod watch ended before the training container exited 0')),
        (error: unknown) => cut || signal.aborted || reject(error),
      );
  });
}

interface Seen {
  at: number;
  succeeded?: Condition;
  modelVersions: number;
}

describe('MinIO down while a TrainingRun registers', () => {
  it('waits in Registering, saying why, and registers and succeeds once the store is back', async () => {
    const jobs = watchJobCreations(f.client, f.ns.watched);
    const abort = new AbortController();
    const run = await createTrainingRun(f, RUN, tabularRunSpec('outage', MODEL));
    const cutAt = await cutWhenTrained(trainingJobName(run), abort.signal);
    abort.abort();
    // Cut before registration began, or this would test nothing.
    expect(await listModelVersions(f.client, f.ns.watched)).toEqual([]);

    const seen: Seen[] = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      const current = await readTrainingRun(f, RUN);
      const c = runCondition(current);
      seen.push({
        at: Date.now() - cutAt,
        ...(c ? { succeeded: c } : {}),
        modelVersions: (await listModelVersions(f.client, f.ns.watched)).length,
      });
      await sleep(1000);
    }
    await proxy.up();
    const upAt = Date.now();
    // Retried on a short timer, not after a backoff grown through the outage.
    const registeredAfter = await eventually(
      async () => {
        if ((await listModelVersions(f.client, f.ns.watched)).length === 0)
          throw new Error(`${RUN} has not registered its version since the store came back`);
        return Date.now() - upAt;
      },
      REGISTERED_WITHIN_MS,
      250,
    );
    const finished = await finishedRun(f, RUN, 180_000);
    console.log(
      `ModelVersion created ${(registeredAfter / 1000).toFixed(1)} s and the run Succeeded ${((Date.now() - upAt) / 1000).toFixed(1)} s after the store came back; while it was cut:\n  ${[
        ...new Set(seen.map((s) => `${s.succeeded?.status} ${s.succeeded?.reason}: ${s.succeeded?.message}`)),
      ].join('\n  ')}`,
    );

    // While the store was gone: no ModelVersion, and the run waited in Registering, saying why.
    expect(seen.map((s) => s.modelVersions).filter((n) => n > 0)).toEqual([]);
    const registering = seen.findIndex((s) => s.succeeded?.reason === 'Registering');
    expect(registering).toBeGreaterThanOrEqual(0);
    expect(seen[registering]?.at).toBeLessThan(20_000);
    // Until the operator saw the Job complete, the run was Running: its Pod has run and exited 0,
    // so it is not Pending (waiting for its Pod to start) again.
    for (const s of seen.slice(0, registering))
      expect(s.succeeded, `${s.at} ms after the training Pod exited 0`).toMatchObject({
        status: 'Unknown',
        reason: 'Running',
      });
    for (const s of seen.slice(registering)) {
      expect(s.succeeded).toMatchObject({ status: 'Unknown', reason: 'Registering' });
      expect(s.succeeded?.message).not.toMatch(/\n|\bat .*\.ts:\d+/);
      expect(s.succeeded?.message).not.toContain(env.minio.secretKey);
    }
    expect(seen.map((s) => s.succeeded?.message)).toContainEqual(
      expect.stringMatching(/^waiting for the store to register .+: \S/),
    );

    // Back: registered once, verified, Succeeded.
    expect(runCondition(finished)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(finished.status?.modelVersion).toEqual({ name: `${MODEL}-v1`, version: 1 });
    const versions = await listModelVersions(f.client, f.ns.watched);
    expect(versions.map((mv) => mv.metadata.name)).toEqual([`${MODEL}-v1`]);
    const mv = versions[0];
    expect(mv?.spec.source?.trainingRun).toBe(RUN);
    expect(mv && condition(mv, 'Ready')).toMatchObject({ status: 'True' });
    jobs.stop();
    expect(jobs.created.get(trainingJobName(run))).toBe(1);
  }, 420_000);
});
