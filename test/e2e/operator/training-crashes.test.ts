// The operator SIGKILLed five times at random moments while 20 TrainingRuns of one model train and
// register on the real node, restarted each time (same identity, as the kubelet restarts a killed
// container). In the end every run Succeeded, the model has exactly the versions 1..20 (no gap
// left by a crash), each run names its own ModelVersion and that version names the run, and every
// Job (training and verification) was created once.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { TrainingRun } from '../../../operator/api/training-run.ts';
import {
  condition,
  eventually,
  listModelVersions,
  metricValue,
  sleep,
  startOperator,
} from '../../integration/operator/harness.ts';
import { DATA_JOBS_ARGS, type DatasetFixture } from './datasets.ts';
import { type JobCreations, watchJobCreations } from './job-creations.ts';
import { SERVING_ARGS, stopServing } from './serving.ts';
import {
  createTrainingRun,
  finishedRun,
  runCondition,
  startTraining,
  TRAINER_ARGS,
  tabularDataset,
  tabularRunSpec,
} from './training.ts';

const env = inject('environment');
const RUNS = 20;
const KILLS = 5;
const MODEL = 'crash';
const DATASET = 'crash';
/** Before each kill, at least this many runs have claimed their version. */
const CLAIMS_BEFORE_KILL = [0, 0, 1, 7, 14];
/** Small requests, so that the 20 Pods fit the node at once; a tiny table and few iterations. */
const FAST_RUN = {
  resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } },
};
const runNames = Array.from({ length: RUNS }, (_, i) => `crash-${i + 1}`);
let f: DatasetFixture;
let trainingJobs: JobCreations;
let verificationJobs: JobCreations;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the TrainingRun fault tests need a node: ${noNode}`);
  f = await startTraining(env, 'tr-crash');
  await tabularDataset(f, DATASET, { rows: 120 });
}, 240_000);

afterAll(async () => {
  // Already stopped when the test got to its end; a watch that failed was reported there.
  for (const watch of [trainingJobs, verificationJobs])
    try {
      watch?.stop();
    } catch {}
  await stopServing(env, f);
});

async function listRuns(): Promise<TrainingRun[]> {
  const list = await f.client.request<{ items: TrainingRun[] }>(
    'GET',
    `/apis/${API_VERSION}/namespaces/${f.ns.watched}/trainingruns`,
  );
  return list.items;
}

/** Where the runs stand: how many by Succeeded reason, how many claimed a version, how many ModelVersions exist. */
async function standing(): Promise<string> {
  const reasons = new Map<string, number>();
  const runs = await listRuns();
  for (const run of runs) {
    const reason = runCondition(run)?.reason ?? 'none';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const versions = (await listModelVersions(f.client, f.ns.watched)).length;
  const claimed = runs.filter((r) => r.status?.modelVersion).length;
  return `${[...reasons].map(([r, n]) => `${r} ${n}`).join(', ')}; ${claimed} claimed, ${versions} ModelVersions`;
}

/** Resolves once the running operator leads (its controllers are working): a kill before that would test nothing. */
function leading(): Promise<void> {
  const operator = f.operator;
  return eventually(
    async () => expect(metricValue(await operator.metrics(), 'leader_election_master_status')).toBe(1),
    60_000,
    100,
  );
}

async function killAndRestart(): Promise<void> {
  const killed = f.operator;
  killed.kill('SIGKILL');
  expect((await killed.exited).signal).toBe('SIGKILL');
  f.operator = await startOperator(env, f.ns, {
    identity: killed.identity,
    extraArgs: [...SERVING_ARGS, ...DATA_JOBS_ARGS, ...TRAINER_ARGS],
  });
  await leading();
}

/** Runs that have claimed their version (registering or registered). */
async function claimedRuns(): Promise<number> {
  return (await listRuns()).filter((r) => r.status?.modelVersion).length;
}

describe('the operator SIGKILLed during 20 concurrent runs of one model', () => {
  it('registers 20 distinct versions 1..20, one per run, with every Job created once', async () => {
    trainingJobs = watchJobCreations(f.client, f.ns.watched);
    verificationJobs = watchJobCreations(f.client, f.ns.operator);
    await leading();
    const started = Date.now();
    await Promise.all(
      runNames.map((name) =>
        createTrainingRun(
          f,
          name,
          tabularRunSpec(DATASET, MODEL, {
            ...FAST_RUN,
            trainer: {
              builtin: {
                task: 'tabular-classification',
                algorithm: 'logistic',
                hyperparameters: { target: 'cls', columns: { score: 'ignore' }, maxIterations: 20 },
              },
            },
          }),
        ),
      ),
    );
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      // The first two while the runs are pinned, their Jobs created and training; the other three
      // spread over the registrations (after the first, the 7th and the 14th claim), while versions
      // are claimed, outputs copied and ModelVersions created and verified.
      const claims = CLAIMS_BEFORE_KILL[k] ?? 0;
      if (claims > 0)
        await eventually(
          async () => {
            if ((await claimedRuns()) < claims)
              throw new Error(`fewer than ${claims} runs have claimed a version: ${await standing()}`);
          },
          300_000,
          250,
        );
      await sleep(Math.random() * (claims > 0 ? 2000 : 4000));
      kills.push(`kill ${k + 1} at ${((Date.now() - started) / 1000).toFixed(1)} s: ${await standing()}`);
      await killAndRestart();
    }
    console.log(kills.join('\n'));

    const runs = await Promise.all(runNames.map((name) => finishedRun(f, name, 360_000)));
    console.log(`all ${RUNS} runs finished ${((Date.now() - started) / 1000).toFixed(1)} s after creation`);
    for (const run of runs)
      expect(runCondition(run), run.metadata.name).toMatchObject({ status: 'True', reason: 'Succeeded' });

    const versions = await listModelVersions(f.client, f.ns.watched);
    // Exactly 1..20: distinct, and no gap left by a claim that a crash cut short.
    expect(versions.map((mv) => mv.spec.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: RUNS }, (_, i) => i + 1),
    );
    const byName = new Map(versions.map((mv) => [mv.metadata.name as string, mv]));
    const claimed = runs.map((run) => run.status?.modelVersion?.name);
    expect(new Set(claimed).size).toBe(RUNS);
    for (const run of runs) {
      const mv = byName.get(run.status?.modelVersion?.name as string);
      expect(mv, `${run.metadata.name} names ${run.status?.modelVersion?.name}`).toBeDefined();
      expect(mv?.metadata.name).toBe(`${MODEL}-v${run.status?.modelVersion?.version}`);
      expect(mv?.spec).toMatchObject({
        model: MODEL,
        version: run.status?.modelVersion?.version,
        source: { trainingRun: run.metadata.name },
      });
      expect(mv && condition(mv, 'Ready')?.status).toBe('True');
    }
    // No ModelVersion without its run: every one is the one a run names.
    expect(versions.map((mv) => mv.spec.source?.trainingRun).sort()).toEqual([...runNames].sort());

    trainingJobs.stop();
    verificationJobs.stop();
    const training = [...trainingJobs.created].filter(([name]) => name.endsWith('-train'));
    expect(training.map(([name]) => name).sort()).toEqual(runNames.map((n) => `${n}-train`).sort());
    expect([...trainingJobs.created].filter(([, n]) => n !== 1)).toEqual([]);
    expect(verificationJobs.created.size).toBe(RUNS);
    expect([...verificationJobs.created].filter(([, n]) => n !== 1)).toEqual([]);
  }, 540_000);
});
