// Where a serving Deployment's rollout stands, read from the object alone, by the rule of
// `kubectl rollout status`: done when the controller has seen the current template, every replica
// is updated and available, and no replica of an older template is left. The Deployment counts no
// terminating Pod, yet a serving Pod keeps answering while it drains: withDrainingPods counts those.
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { MODEL_VERSION_LABEL } from './serving-names.ts';

export interface RolloutState {
  /** The replicas asked for (spec.replicas, as the autoscaler may have set it). */
  desired: number;
  /** Pods that exist, of every template. */
  replicas: number;
  updated: number;
  ready: number;
  available: number;
  complete: boolean;
  /** The Deployment controller gave up waiting (Progressing=False, ProgressDeadlineExceeded). */
  deadlineExceeded: boolean;
  /** Pods of another version still draining (set by withDrainingPods). */
  draining?: number;
}

export function rolloutState(deployment: V1Deployment): RolloutState {
  const status = deployment.status ?? {};
  const desired = deployment.spec?.replicas ?? 1;
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  const deadlineExceeded =
    status.conditions?.some(
      (c) => c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
    ) ?? false;
  const complete = observed && updated >= desired && replicas === updated && available >= desired;
  return { desired, replicas, updated, ready, available, complete, deadlineExceeded };
}

/**
 * The rollout with the role's Pods of another version than `modelVersion` that still exist (they
 * drain after the Deployment stopped counting them) as replicas left: that version still serves
 * until its last Pod is gone.
 */
export function withDrainingPods(
  state: RolloutState,
  pods: readonly V1Pod[],
  modelVersion: string,
): RolloutState {
  const draining = pods.filter(
    (p) =>
      p.metadata?.labels?.[MODEL_VERSION_LABEL] !== modelVersion &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  ).length;
  if (draining === 0) return state;
  return { ...state, replicas: state.replicas + draining, complete: false, draining };
}
