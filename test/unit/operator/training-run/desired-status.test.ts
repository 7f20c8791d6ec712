import { describe, expect, it } from 'vitest';
import type { TrainingRun } from '../../../../operator/api/training-run.ts';
import {
  desiredStatus,
  keyMetric,
  type RunState,
} from '../../../../operator/controllers/training-run/desired-status.ts';
import type { PromotionDecision } from '../../../../operator/controllers/training-run/promotion.ts';
import { aTrainingRun, claimed, pinnedTo, withPromotion, withRunStatus } from '../../gen/training-run.ts';
import { statusSchemaErrors } from './status-schema.ts';

const T0 = new Date('2026-02-01T00:20:00Z');
const T1 = new Date('2026-02-01T00:25:00Z');
const PROGRESS = {
  message: 'training',
  epoch: 4,
  metrics: { loss: 0.31 },
  updatedAt: '2026-02-01T00:19:45Z',
};
const PROMOTED: PromotionDecision = {
  promoted: true,
  stage: 'production',
  champion: 'pets-v1',
  value: 0.92,
  championValue: 0.9,
  message: 'promoted to production: accuracy 0.92 against 0.9 of pets-v1 (maximize, minDelta 0)',
};
const NOT_PROMOTED: PromotionDecision = {
  promoted: false,
  stage: 'production',
  champion: 'pets-v1',
  value: 0.88,
  championValue: 0.9,
  message: 'not promoted: accuracy 0.88 against 0.9 of pets-v1 (maximize, minDelta 0)',
};

function step(run: TrainingRun, state: RunState, now = T0) {
  const { status, events } = desiredStatus(run, state, now);
  return { run: { ...run, status } as TrainingRun, events };
}
const succeeded = (run: TrainingRun) => run.status?.conditions?.find((c) => c.type === 'Succeeded');
const triple = (run: TrainingRun) => {
  const c = succeeded(run);
  return [c?.status, c?.reason, c?.message];
};

const pinned = () => aTrainingRun('pets-feb', pinnedTo());
const registering = () => aTrainingRun('pets-feb', pinnedTo(), claimed(2));

interface Case {
  name: string;
  run: TrainingRun;
  state: RunState;
  condition: [string, string, string];
  events: string[];
}
const cases: Case[] = [
  {
    name: 'waiting for a Dataset',
    run: aTrainingRun('pets-feb'),
    state: {
      phase: 'Waiting',
      reason: 'DatasetNotFound',
      message: 'Dataset pets does not exist in namespace team-a',
    },
    condition: ['False', 'DatasetNotFound', 'Dataset pets does not exist in namespace team-a; retrying'],
    events: [],
  },
  {
    name: 'pending',
    run: pinned(),
    state: { phase: 'Pending', message: 'Job pets-feb-train created' },
    condition: ['Unknown', 'Pending', 'Job pets-feb-train created'],
    events: [],
  },
  {
    name: 'running at an epoch',
    run: pinned(),
    state: { phase: 'Running', attempts: 1, progress: PROGRESS },
    condition: ['Unknown', 'Running', 'training (attempt 1, epoch 4)'],
    events: [],
  },
  {
    name: 'running at an iteration',
    run: pinned(),
    state: {
      phase: 'Running',
      attempts: 2,
      progress: { message: 'fitting', iteration: 30, updatedAt: PROGRESS.updatedAt },
    },
    condition: ['Unknown', 'Running', 'training (attempt 2, iteration 30)'],
    events: [],
  },
  {
    name: 'running without progress',
    run: pinned(),
    state: { phase: 'Running', attempts: 1 },
    condition: ['Unknown', 'Running', 'training (attempt 1)'],
    events: [],
  },
  {
    name: 'registering',
    run: registering(),
    state: { phase: 'Registering', message: 'pets-v2 is being verified' },
    condition: ['Unknown', 'Registering', 'pets-v2 is being verified'],
    events: [],
  },
  {
    name: 'failed',
    run: pinned(),
    state: {
      phase: 'Failed',
      reason: 'JobFailed',
      message: 'the trainer failed (exit code 1): LabelColumnMissing: no column cls',
      at: '2026-02-01T00:19:00Z',
    },
    condition: ['False', 'JobFailed', 'the trainer failed (exit code 1): LabelColumnMissing: no column cls'],
    events: ['RunFailed'],
  },
  {
    name: 'succeeded',
    run: registering(),
    state: { phase: 'Succeeded', at: '2026-02-01T00:19:30Z', metrics: { accuracy: 0.9, f1: 0.8 } },
    condition: ['True', 'Succeeded', 'registered pets-v2 (accuracy=0.9)'],
    events: [],
  },
  {
    name: 'succeeded and promoted',
    run: registering(),
    state: {
      phase: 'Succeeded',
      at: '2026-02-01T00:19:30Z',
      metrics: { accuracy: 0.92 },
      promotion: PROMOTED,
    },
    condition: ['True', 'Succeeded', `registered pets-v2 (accuracy=0.92); ${PROMOTED.message}`],
    events: ['Promoted'],
  },
  {
    name: 'succeeded and not promoted',
    run: registering(),
    state: {
      phase: 'Succeeded',
      at: '2026-02-01T00:19:30Z',
      metrics: { accuracy: 0.88 },
      promotion: NOT_PROMOTED,
    },
    condition: ['True', 'Succeeded', `registered pets-v2 (accuracy=0.88); ${NOT_PROMOTED.message}`],
    events: ['NotPromoted'],
  },
];

describe('the status of a TrainingRun', () => {
  it.each(cases)('$name: $condition.1', ({ run, state, condition, events }) => {
    const next = step(run, state);
    expect(triple(next.run)).toEqual(condition);
    expect(succeeded(next.run)?.observedGeneration).toBe(1);
    // The transition time moves only with the condition's status (pinned runs were Unknown since 00:00:05).
    const before = succeeded(run);
    expect(succeeded(next.run)?.lastTransitionTime).toBe(
      before?.status === condition[0] ? before.lastTransitionTime : '2026-02-01T00:20:00Z',
    );
    expect(next.run.status?.observedGeneration).toBe(1);
    expect(next.events.map((e) => e.reason)).toEqual(events);
    expect(statusSchemaErrors(next.run.status)).toEqual([]);
    // Once written, the pin, the start and the claim never change.
    expect(next.run.status?.snapshot).toEqual(run.status?.snapshot);
    expect(next.run.status?.startTime).toEqual(run.status?.startTime);
    expect(next.run.status?.modelVersion).toEqual(run.status?.modelVersion);
  });

  it('counts attempts and keeps the last progress while running', () => {
    const first = step(pinned(), { phase: 'Running', attempts: 1, progress: PROGRESS }).run;
    expect(first.status?.attempts).toBe(1);
    expect(first.status?.progress).toEqual(PROGRESS);
    const retried = step(first, { phase: 'Running', attempts: 2 }, T1).run;
    expect(retried.status?.attempts).toBe(2);
    expect(retried.status?.progress).toEqual(PROGRESS);
    // Still Unknown: the transition time stays.
    expect(succeeded(retried)?.lastTransitionTime).toBe(succeeded(first)?.lastTransitionTime);
  });

  it('moves lastTransitionTime only when the condition status changes', () => {
    const waiting = step(aTrainingRun('r'), {
      phase: 'Waiting',
      reason: 'DatasetNotFound',
      message: 'no Dataset',
    }).run;
    const stillWaiting = step(
      waiting,
      { phase: 'Waiting', reason: 'SnapshotNotFound', message: 'no snapshot' },
      T1,
    ).run;
    expect(succeeded(stillWaiting)?.lastTransitionTime).toBe('2026-02-01T00:20:00Z');
    const pending = step(stillWaiting, { phase: 'Pending', message: 'pinned' }, T1).run;
    expect(succeeded(pending)?.lastTransitionTime).toBe('2026-02-01T00:25:00Z');
  });

  it('records the completion time once, the final metrics and the key metric on success', () => {
    const done = step(registering(), {
      phase: 'Succeeded',
      at: '2026-02-01T00:19:30Z',
      metrics: { f1: 0.8, accuracy: 0.9 },
    }).run;
    expect(done.status?.completionTime).toBe('2026-02-01T00:19:30Z');
    expect(done.status?.metrics).toEqual({ f1: 0.8, accuracy: 0.9 });
    expect(done.status?.keyMetric).toBe('accuracy=0.9');
    const again = step(
      done,
      { phase: 'Succeeded', at: '2026-02-01T00:24:00Z', metrics: { f1: 0.8, accuracy: 0.9 } },
      T1,
    ).run;
    expect(again.status?.completionTime).toBe('2026-02-01T00:19:30Z');
  });

  it('records a failure once: the completion time stays and RunFailed is sent once', () => {
    const state: RunState = {
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'too slow',
      at: '2026-02-01T00:19:00Z',
    };
    const failed = step(pinned(), state);
    expect(failed.events).toEqual([
      { type: 'Warning', reason: 'RunFailed', action: 'Train', note: 'DeadlineExceeded: too slow' },
    ]);
    const again = step(failed.run, { ...state, at: '2026-02-01T00:24:00Z' }, T1);
    expect(again.events).toEqual([]);
    expect(again.run.status?.completionTime).toBe('2026-02-01T00:19:00Z');
  });

  it('sends Promoted or NotPromoted once, with the comparison, and keeps the decision', () => {
    const promoted = step(registering(), {
      phase: 'Succeeded',
      at: '2026-02-01T00:19:30Z',
      metrics: { accuracy: 0.92 },
      promotion: PROMOTED,
    });
    expect(promoted.events).toEqual([
      { type: 'Normal', reason: 'Promoted', action: 'Promote', note: `pets-v2: ${PROMOTED.message}` },
    ]);
    expect(promoted.run.status?.promotion).toEqual(PROMOTED);
    const again = step(
      promoted.run,
      { phase: 'Succeeded', at: '2026-02-01T00:19:30Z', metrics: { accuracy: 0.92 } },
      T1,
    );
    expect(again.events).toEqual([]);
    expect(again.run.status?.promotion).toEqual(PROMOTED);
    expect(
      step(
        promoted.run,
        { phase: 'Succeeded', at: '2026-02-01T00:19:30Z', metrics: { accuracy: 0.92 }, promotion: PROMOTED },
        T1,
      ).events,
    ).toEqual([]);
  });

  it('leaves a status that is already right as it is', () => {
    const state: RunState = { phase: 'Running', attempts: 1, progress: PROGRESS };
    const once = step(pinned(), state).run;
    expect(step(once, state, T1).run.status).toEqual(once.status);
  });

  it('carries over what an earlier reconcile pinned, started and claimed, in every state', () => {
    const run = aTrainingRun('pets-feb', pinnedTo(), claimed(4), withRunStatus({ attempts: 2 }));
    const states: RunState[] = [
      { phase: 'Waiting', reason: 'StoreCredentialsRefused', message: 'STS is down' },
      { phase: 'Pending', message: 'p' },
      { phase: 'Running', attempts: 2 },
      { phase: 'Registering', message: 'r' },
      { phase: 'Failed', reason: 'ArtifactInvalid', message: 'no model.onnx', at: '2026-02-01T00:19:00Z' },
      { phase: 'Succeeded', at: '2026-02-01T00:19:00Z', metrics: {} },
    ];
    for (const state of states) {
      const { status } = desiredStatus(run, state, T1);
      expect(status.snapshot).toEqual(run.status?.snapshot);
      expect(status.startTime).toBe(run.status?.startTime);
      expect(status.job).toBe('pets-feb-train');
      expect(status.output).toBe('s3://bosun/runs/team-a/pets-feb/');
      expect(status.modelVersion).toEqual({ name: 'pets-v4', version: 4 });
      expect(status.attempts).toBe(2);
      expect(statusSchemaErrors(status)).toEqual([]);
    }
  });
});

describe('the key metric', () => {
  it('is the promotion metric, else the first metric by name', () => {
    const metrics = { recall: 0.7, accuracy: 0.9, f1: 0.8 };
    expect(keyMetric(aTrainingRun('r'), metrics)).toBe('accuracy=0.9');
    expect(
      keyMetric(
        aTrainingRun(
          'r',
          withPromotion({ metric: 'f1', direction: 'maximize', minDelta: 0, stage: 'production' }),
        ),
        metrics,
      ),
    ).toBe('f1=0.8');
  });

  it('is none without metrics, or when the promotion metric is missing', () => {
    expect(keyMetric(aTrainingRun('r'), {})).toBeUndefined();
    const run = aTrainingRun(
      'r',
      withPromotion({ metric: 'auc', direction: 'maximize', minDelta: 0, stage: 'production' }),
    );
    expect(keyMetric(run, { accuracy: 0.9 })).toBeUndefined();
    const done = desiredStatus(
      aTrainingRun('r', pinnedTo(), claimed(1)),
      { phase: 'Succeeded', at: '2026-02-01T00:19:00Z', metrics: {} },
      T0,
    );
    expect(done.status.keyMetric).toBeUndefined();
    expect(done.status.conditions?.[0]?.message).toBe('registered pets-v1');
  });
});
