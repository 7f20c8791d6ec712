// Where a child Job stands, read from its status alone: still running, succeeded, or failed with
// the reason Kubernetes gave (DeadlineExceeded, BackoffLimitExceeded, PodFailurePolicy, ...), and
// the termination message its last container left for the controller to read.
import type { V1Job, V1Pod } from '@kubernetes/client-node';

export type JobState =
  | { phase: 'Running' }
  | { phase: 'Succeeded'; at: string }
  | { phase: 'Failed'; at: string; reason: string; message: string };

const text = (t: unknown) =>
  t === undefined || t === null ? undefined : String(t instanceof Date ? t.toISOString() : t);

/**
 * The Job controller (Kubernetes 1.31+) first sets SuccessCriteriaMet or FailureTarget, once the
 * outcome is decided, and Complete or Failed only when the Job's Pods have gone: for a moment it
 * has neither active nor succeeded Pods. The outcome is the same; it counts from the first.
 */
const SUCCEEDED = new Set(['Complete', 'SuccessCriteriaMet']);
const FAILED = new Set(['Failed', 'FailureTarget']);

export function jobState(job: V1Job): JobState {
  const conditions = (job.status?.conditions ?? []).filter((c) => c.status === 'True');
  const done =
    conditions.find((c) => c.type === 'Complete' || c.type === 'Failed') ??
    conditions.find((c) => SUCCEEDED.has(c.type) || FAILED.has(c.type));
  if (!done) return { phase: 'Running' };
  const at = text(job.status?.completionTime) ?? text(done.lastTransitionTime) ?? new Date().toISOString();
  if (SUCCEEDED.has(done.type)) return { phase: 'Succeeded', at };
  return { phase: 'Failed', at, reason: done.reason ?? 'Failed', message: done.message ?? 'the Job failed' };
}

export interface Termination {
  exitCode: number;
  /** The container's termination message (at most 4096 bytes), if any. */
  message: string | undefined;
  /** Kubernetes' reason, e.g. OOMKilled, Error, Completed. */
  reason: string | undefined;
  finishedAt: string;
}

/**
 * The terminations of `container` in the Job's Pods, oldest first. Pods may have been removed
 * (the Pod garbage collector, a node drain): then there are none, and the outcome is unknown.
 */
export function terminations(pods: V1Pod[], container: string): Termination[] {
  return pods
    .map((pod) => pod.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated)
    .filter((t) => t !== undefined)
    .map((t) => ({
      exitCode: t.exitCode,
      message: t.message,
      reason: t.reason,
      finishedAt: text(t.finishedAt) ?? '',
    }))
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}
