// The operator SIGKILLed during a burst of 50 on-demand snapshot requests, on the real node: 50
// successive values of bosun.dev/snapshot-requested on one small gold-only Dataset, written as
// fast as the API server takes them, and the operator killed after the 25th and started again.
// Every request value the operator acted on has exactly one Job (named by the value, so a crash
// between creating it and recording the value finds it again), the last value always has one,
// and once the Jobs are done status.observedSnapshotRequest is the last value and no Job follows.
// The annotation is a level, not a queue: a value overwritten before the operator read it gets no
// Job, so only some of the 50 get one (the test logs how many).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SNAPSHOT_REQUESTED_ANNOTATION } from '../../../operator/api/group.ts';
import {
  SNAPSHOT_REQUEST_ANNOTATION,
  SNAPSHOT_VERSION_LABEL,
} from '../../../operator/controllers/dataset/names.ts';
import { eventually, sleep } from '../../integration/operator/harness.ts';
import {
  createDataset,
  type DatasetFixture,
  datasetCondition,
  datasetJobs,
  datasetWhen,
  readDataset,
  requestSnapshot,
  restartOperator,
  snapshotPublished,
  startDatasets,
  uploadImages,
} from './datasets.ts';
import { type JobCreations, watchJobCreations } from './job-creations.ts';
import { stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'burst';
const REQUESTS = 50;
const KILL_AFTER = 25;
const values = Array.from({ length: REQUESTS }, (_, i) => `burst-${String(i + 1).padStart(2, '0')}`);
const last = values.at(-1) as string;
let f: DatasetFixture;
let watch: JobCreations | undefined;

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  f = await startDatasets(env, 'ds-requests');
  const gold = `imports/${f.ns.watched}/gold/${NAME}/`;
  await uploadImages(
    f,
    gold,
    Array.from({ length: 6 }, (_, i) => ({ label: i % 2 === 0 ? 'cat' : 'dog', seed: 500 + i })),
  );
  await createDataset(f, NAME, {
    format: 'imagefolder',
    gold: { uri: `s3://${f.ns.bucket}/${gold}` },
    snapshot: { variants: ['verified', 'full'] },
  });
  // Settled before the burst: credentials minted, nothing requested yet.
  await datasetWhen(f, NAME, (ds) => {
    expect(datasetCondition(ds, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingSnapshot' });
  });
}, 180_000);

afterAll(async () => {
  try {
    watch?.stop();
  } catch {
    // The test has reported it already, if it mattered.
  }
  await stopServing(env, f);
});

describe('the operator killed during a burst of on-demand snapshot requests', () => {
  it('starts exactly one Job per request value it acted on, and one for the last value', async () => {
    watch = watchJobCreations(f.client, f.ns.watched);
    let restarted: Promise<void> = Promise.resolve();
    const started = Date.now();
    for (const [i, value] of values.entries()) {
      await requestSnapshot(f, NAME, value);
      if (i + 1 === KILL_AFTER) {
        const killed = f.operator;
        killed.kill('SIGKILL');
        // The burst goes on while the operator is gone and while the next one starts.
        restarted = (async () => {
          expect((await killed.exited).signal).toBe('SIGKILL');
          await restartOperator(env, f);
        })();
      }
    }
    const burstSeconds = (Date.now() - started) / 1000;
    await restarted;

    // The new operator takes over once the killed one's lease has expired, and acts on the last value.
    const ds = await datasetWhen(
      f,
      NAME,
      (d) => expect(d.status?.observedSnapshotRequest).toBe(last),
      180_000,
    );
    expect(ds.metadata.annotations?.[SNAPSHOT_REQUESTED_ANNOTATION]).toBe(last);
    const finished = await eventually(
      async () => {
        const jobs = await datasetJobs(f, NAME);
        if (!jobs.every((j) => j.succeeded)) throw new Error(`not all complete: ${JSON.stringify(jobs)}`);
        return jobs;
      },
      240_000,
      1000,
    );
    await snapshotPublished(f, NAME);
    // Nothing more comes: the last value is recorded and has its Job.
    const createdBefore = new Map(watch.created);
    await sleep(30_000);
    const after = await readDataset(f, NAME);
    expect(after.status?.observedSnapshotRequest).toBe(last);
    expect(datasetCondition(after, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    watch.stop();
    expect(watch.created).toEqual(createdBefore);
    expect(await datasetJobs(f, NAME)).toHaveLength(finished.length);

    // No Job name created twice, and no two Jobs for one value.
    const twice = [...watch.created].filter(([, n]) => n !== 1);
    expect(twice).toEqual([]);
    const byValue = new Map<string, string[]>();
    for (const [name, job] of watch.jobs) {
      const value = job.metadata?.annotations?.[SNAPSHOT_REQUEST_ANNOTATION] ?? '(none)';
      byValue.set(value, [...(byValue.get(value) ?? []), name]);
    }
    expect([...byValue].filter(([, names]) => names.length > 1)).toEqual([]);
    expect(byValue.get(last)).toHaveLength(1);
    expect([...byValue.keys()].filter((v) => !values.includes(v))).toEqual([]);
    // The watch and the API agree on the Jobs there are.
    expect(finished.map((j) => j.name).sort()).toEqual([...watch.jobs.keys()].sort());
    const served = values.filter((v) => byValue.has(v));
    const versions = new Set(
      [...watch.jobs.values()].map((j) => j.metadata?.labels?.[SNAPSHOT_VERSION_LABEL]),
    );
    console.log(
      `${served.length} of ${REQUESTS} request values got a Job (burst of ${burstSeconds.toFixed(1)} s, killed after ${KILL_AFTER}): ${served.join(', ')}; ${versions.size} distinct versions`,
    );
  }, 420_000);
});
