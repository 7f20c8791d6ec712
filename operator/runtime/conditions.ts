// metav1.Condition handling: lastTransitionTime moves only when the status changes, so a reconcile
// that finds nothing new writes nothing new.
import type { Condition } from '../api/common.ts';
import { kubeTime } from './kube-time.ts';

export type ConditionStatus = Condition['status'];

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const MAX_MESSAGE = 32768;

/** Returns the conditions with `update` applied; the input is not changed. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  if (!REASON_PATTERN.test(update.reason))
    throw new Error(`invalid condition reason ${JSON.stringify(update.reason)}`);
  const list = [...(conditions ?? [])];
  const at = list.findIndex((c) => c.type === update.type);
  const previous = at < 0 ? undefined : list[at];
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.observedGeneration === undefined ? {} : { observedGeneration: update.observedGeneration }),
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : kubeTime(now),
    reason: update.reason,
    message:
      update.message.length > MAX_MESSAGE ? `${update.message.slice(0, MAX_MESSAGE - 1)}…` : update.message,
  };
  if (at < 0) list.push(next);
  else list[at] = next;
  return list;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
