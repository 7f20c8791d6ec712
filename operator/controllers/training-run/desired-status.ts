// The status a TrainingRun should have, as a pure function of the run, where it stands (the
// controller's observation) and the time; plus the Events the change deserves. The pinned
// snapshot, the start time and a claimed version are carried over: once written they never change.
import type { Condition } from '../../api/common.ts';
import type { TrainingRun, TrainingRunStatus } from '../../api/training-run.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { EventRecord } from '../../runtime/events.ts';
import type { PromotionDecision } from './promotion.ts';
import { CONDITION_SUCCEEDED, EVENT_REASONS, REASONS } from './reasons.ts';

export type RunState =
  /** Cannot start yet (no Dataset, no snapshot, no trainer image): False, retried. */
  | { phase: 'Waiting'; reason: string; message: string }
  | { phase: 'Pending'; message: string }
  | { phase: 'Running'; attempts: number; progress?: TrainingRunStatus['progress'] }
  | { phase: 'Registering'; message: string; attempts?: number }
  | { phase: 'Failed'; reason: string; message: string; at: string; attempts?: number }
  | {
      phase: 'Succeeded';
      attempts?: number;
      at: string;
      metrics: Record<string, number>;
      promotion?: PromotionDecision;
    };

export interface Desired {
  status: TrainingRunStatus;
  events: EventRecord[];
}

/** promotion.metric, else the first metric by name, as name=value. */
export function keyMetric(run: TrainingRun, metrics: Record<string, number>): string | undefined {
  const name = run.spec.promotion?.metric ?? Object.keys(metrics).sort()[0];
  return name !== undefined && metrics[name] !== undefined ? `${name}=${metrics[name]}` : undefined;
}

export function desiredStatus(run: TrainingRun, state: RunState, now: Date): Desired {
  const previous = run.status ?? {};
  const generation = run.metadata.generation ?? 0;
  const events: EventRecord[] = [];
  const status: TrainingRunStatus = { ...previous, observedGeneration: generation };
  let conditions: Condition[] = previous.conditions ?? [];
  const before = findCondition(conditions, CONDITION_SUCCEEDED);
  const set = (value: Pick<Condition, 'status' | 'reason' | 'message'>) => {
    conditions = setCondition(
      conditions,
      { type: CONDITION_SUCCEEDED, ...value, observedGeneration: generation },
      now,
    );
  };
  // A finished Job's Pods, counted once more: a Pod that ran between two reconciles counts too.
  if ('attempts' in state && state.attempts !== undefined) status.attempts = state.attempts;
  switch (state.phase) {
    case 'Waiting':
      set({ status: 'False', reason: state.reason, message: `${state.message}; retrying` });
      break;
    case 'Pending':
      set({ status: 'Unknown', reason: REASONS.Pending, message: state.message });
      break;
    case 'Running':
      status.attempts = state.attempts;
      if (state.progress) status.progress = state.progress;
      set({
        status: 'Unknown',
        reason: REASONS.Running,
        message: `training (attempt ${state.attempts}${state.progress?.epoch !== undefined ? `, epoch ${state.progress.epoch}` : state.progress?.iteration !== undefined ? `, iteration ${state.progress.iteration}` : ''})`,
      });
      break;
    case 'Registering':
      set({ status: 'Unknown', reason: REASONS.Registering, message: state.message });
      break;
    case 'Failed':
      status.completionTime ??= state.at;
      set({ status: 'False', reason: state.reason, message: state.message });
      if (before?.reason !== state.reason)
        events.push({
          type: 'Warning',
          reason: EVENT_REASONS.RunFailed,
          action: 'Train',
          note: `${state.reason}: ${state.message}`,
        });
      break;
    case 'Succeeded': {
      status.completionTime ??= state.at;
      status.metrics = state.metrics;
      const key = keyMetric(run, state.metrics);
      if (key) status.keyMetric = key;
      if (state.promotion) status.promotion = state.promotion;
      const mv = status.modelVersion?.name ?? 'the ModelVersion';
      set({
        status: 'True',
        reason: REASONS.Succeeded,
        message: `registered ${mv}${key ? ` (${key})` : ''}${state.promotion ? `; ${state.promotion.message}` : ''}`,
      });
      if (state.promotion && !previous.promotion)
        events.push({
          type: 'Normal',
          reason: state.promotion.promoted ? EVENT_REASONS.Promoted : EVENT_REASONS.NotPromoted,
          action: 'Promote',
          note: `${mv}: ${state.promotion.message}`,
        });
      break;
    }
  }
  return { status: { ...status, conditions }, events };
}
