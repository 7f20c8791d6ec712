// Champion/challenger on the real node. One tabular Dataset has three snapshots whose gold differs
// only in its labels: clean, half of them shuffled, all of them shuffled. Each run pins one by
// version, so how good its model is, and so every decision, is known before it runs. A better
// second version takes `production`, one held back by minDelta and a worse one do not, and a
// minimized metric (log_loss) promotes the lower value; each decision is in status.promotion, in
// one Promoted/NotPromoted Event and in the ModelVersions' spec.stage.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TrainingRun } from '../../../operator/api/training-run.ts';
import { eventually } from '../../integration/operator/harness.ts';
import { syntheticRows } from '../../unit/trainer/synthetic.ts';
import type { DatasetFixture } from './datasets.ts';
import { type ServingEvent, stopServing } from './serving.ts';
import {
  createTrainingRun,
  finishedRun,
  readModelVersion,
  runCondition,
  startTraining,
  tabularDataset,
  tabularRunSpec,
  tabularSnapshot,
  trainingRunEvents,
  withShuffledLabels,
} from './training.ts';

const env = inject('environment');
const DATASET = 'churn';
const PROMOTION_EVENTS = ['Promoted', 'NotPromoted'];
let f: DatasetFixture;
/** Snapshot versions of DATASET by how much their labels say. */
const snapshots = { clean: '', noisy: '', shuffled: '' };

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the TrainingRun tests need a node: ${noNode}`);
  f = await startTraining(env, 'train-promo');
  // tabularDataset's gold: 600 rows of seed 1 with their true labels.
  snapshots.clean = await tabularDataset(f, DATASET);
  const rows = syntheticRows(600, 1, 3);
  snapshots.noisy = await tabularSnapshot(f, DATASET, withShuffledLabels(rows, 0.5, 7), snapshots.clean);
  snapshots.shuffled = await tabularSnapshot(f, DATASET, withShuffledLabels(rows, 1, 8), snapshots.noisy);
}, 300_000);

afterAll(async () => {
  await stopServing(env, f);
});

interface Decision {
  run: TrainingRun;
  promotion: NonNullable<NonNullable<TrainingRun['status']>['promotion']>;
  metrics: Record<string, number>;
  /** The stage of the version the run registered. */
  stage: string;
  event: ServingEvent;
}

/** Trains `model` on the snapshot `snapshot` of DATASET with `promotion`, and reads its decision. */
async function decide(
  name: string,
  model: string,
  snapshot: keyof typeof snapshots,
  promotion: Record<string, unknown>,
): Promise<Decision> {
  await createTrainingRun(
    f,
    name,
    tabularRunSpec(DATASET, model, {
      dataset: { name: DATASET, snapshot: snapshots[snapshot], variant: 'full' },
      promotion,
    }),
  );
  const run = await finishedRun(f, name);
  expect(runCondition(run), JSON.stringify(run.status?.conditions)).toMatchObject({
    status: 'True',
    reason: 'Succeeded',
  });
  expect(run.status?.snapshot?.version).toBe(snapshots[snapshot]);
  const decision = run.status?.promotion;
  if (!decision) throw new Error(`${name} succeeded without a promotion decision`);
  expect(runCondition(run)?.message).toContain(decision.message);
  const mvName = run.status?.modelVersion?.name as string;
  const mv = await readModelVersion(f, mvName);
  const events = await eventually(async () => {
    const found = (await trainingRunEvents(f, name)).filter((e) => PROMOTION_EVENTS.includes(e.reason));
    if (found.length === 0) throw new Error(`no promotion Event for ${name} yet`);
    return found;
  }, 30_000);
  expect(events, 'one decision, one Event').toHaveLength(1);
  const event = events[0] as ServingEvent;
  expect(event).toMatchObject({
    type: 'Normal',
    reason: decision.promoted ? 'Promoted' : 'NotPromoted',
    note: `${mvName}: ${decision.message}`,
  });
  return { run, promotion: decision, metrics: run.status?.metrics ?? {}, stage: mv.spec.stage, event };
}

describe('champion/challenger on accuracy (maximize)', () => {
  const model = 'churn';
  const promotion = { metric: 'accuracy', stage: 'production' };
  const accuracy: Record<string, number> = {};

  it('gives production to the first version, as no version holds it', async () => {
    const d = await decide('churn-1', model, 'noisy', promotion);
    expect(d.run.status?.modelVersion).toEqual({ name: 'churn-v1', version: 1 });
    accuracy.v1 = d.metrics.accuracy as number;
    expect(d.promotion).toEqual({
      promoted: true,
      stage: 'production',
      value: accuracy.v1,
      message: 'promoted to production: no Ready version held it',
    });
    expect(d.stage).toBe('production');
  }, 400_000);

  it('keeps a better version out of production when it does not gain minDelta', async () => {
    const d = await decide('churn-2', model, 'clean', { ...promotion, minDelta: 0.5 });
    accuracy.v2 = d.metrics.accuracy as number;
    // Better, by less than minDelta: clean labels against half of them shuffled.
    expect(accuracy.v2).toBeGreaterThan(accuracy.v1 as number);
    expect(accuracy.v2 - (accuracy.v1 as number)).toBeLessThan(0.5);
    expect(d.promotion).toEqual({
      promoted: false,
      stage: 'production',
      champion: 'churn-v1',
      value: accuracy.v2,
      championValue: accuracy.v1,
      message: `not promoted: accuracy ${accuracy.v2} against ${accuracy.v1} of churn-v1 (maximize, minDelta 0.5)`,
    });
    expect(d.stage).toBe('none');
  }, 400_000);

  it('gives production to a better second challenger; the champion keeps its stage', async () => {
    const d = await decide('churn-3', model, 'clean', { ...promotion, minDelta: 0.05 });
    accuracy.v3 = d.metrics.accuracy as number;
    expect(accuracy.v3 - (accuracy.v1 as number)).toBeGreaterThanOrEqual(0.05);
    expect(d.promotion).toEqual({
      promoted: true,
      stage: 'production',
      champion: 'churn-v1',
      value: accuracy.v3,
      championValue: accuracy.v1,
      message: `promoted to production: accuracy ${accuracy.v3} against ${accuracy.v1} of churn-v1 (maximize, minDelta 0.05)`,
    });
    expect(d.stage).toBe('production');
    expect((await readModelVersion(f, 'churn-v1')).spec.stage).toBe('production');
    expect((await readModelVersion(f, 'churn-v2')).spec.stage).toBe('none');
  }, 400_000);

  it('keeps a worse third version out: the champion is now the newest version in production', async () => {
    const d = await decide('churn-4', model, 'shuffled', promotion);
    const value = d.metrics.accuracy as number;
    expect(value).toBeLessThan(accuracy.v3 as number);
    expect(d.promotion).toEqual({
      promoted: false,
      stage: 'production',
      champion: 'churn-v3',
      value,
      championValue: accuracy.v3,
      message: `not promoted: accuracy ${value} against ${accuracy.v3} of churn-v3 (maximize, minDelta 0)`,
    });
    expect(d.stage).toBe('none');
  }, 400_000);
});

describe('champion/challenger on log_loss (minimize)', () => {
  const model = 'churn-loss';
  const promotion = { metric: 'log_loss', direction: 'minimize', stage: 'staging' };
  const loss: Record<string, number> = {};

  it('gives staging to the first version', async () => {
    const d = await decide('loss-1', model, 'noisy', promotion);
    expect(d.run.status?.modelVersion).toEqual({ name: 'churn-loss-v1', version: 1 });
    loss.v1 = d.metrics.log_loss as number;
    expect(d.promotion).toMatchObject({ promoted: true, stage: 'staging', value: loss.v1 });
    expect(d.run.status?.keyMetric).toBe(`log_loss=${loss.v1}`);
    expect(d.stage).toBe('staging');
  }, 400_000);

  it('gives staging to a version with a lower loss', async () => {
    const d = await decide('loss-2', model, 'clean', promotion);
    loss.v2 = d.metrics.log_loss as number;
    expect(loss.v2).toBeLessThan(loss.v1 as number);
    expect(d.promotion).toEqual({
      promoted: true,
      stage: 'staging',
      champion: 'churn-loss-v1',
      value: loss.v2,
      championValue: loss.v1,
      message: `promoted to staging: log_loss ${loss.v2} against ${loss.v1} of churn-loss-v1 (minimize, minDelta 0)`,
    });
    expect(d.stage).toBe('staging');
  }, 400_000);

  it('keeps a version with a higher loss out, although its number is larger', async () => {
    const d = await decide('loss-3', model, 'shuffled', promotion);
    const value = d.metrics.log_loss as number;
    expect(value).toBeGreaterThan(loss.v2 as number);
    expect(d.promotion).toEqual({
      promoted: false,
      stage: 'staging',
      champion: 'churn-loss-v2',
      value,
      championValue: loss.v2,
      message: `not promoted: log_loss ${value} against ${loss.v2} of churn-loss-v2 (minimize, minDelta 0)`,
    });
    expect(d.stage).toBe('none');
  }, 400_000);
});
