// Where a Dataset's newest collection Job and newest snapshot Job stand, as pure functions of the
// Job and the terminations of its Pods: running (and, when an attempt has failed already, why:
// the Job retries exit 2, so "PostgreSQL is down" shows while it does), succeeded with the data
// job's result, or failed with the data job's reason or, without one, Kubernetes'.
import type { V1Job } from '@kubernetes/client-node';
import {
  type CollectResult,
  parseCollectMessage,
  parseSnapshotMessage,
  type SnapshotResult,
} from '../../../images/data-jobs/job-contract.ts';
import { jobState, type Termination } from '../shared/job-state.ts';
import { REASONS } from './reasons.ts';

export type JobOutcome<R> =
  | { phase: 'Running'; job: string; retrying?: { reason: string; message: string; attempts: number } }
  | { phase: 'Succeeded'; job: string; at: string; result: R | undefined }
  | { phase: 'Failed'; job: string; at: string; reason: string; message: string };

type Parse<R> = (
  message: string | undefined,
) => R | { ok: false; reason: string; message: string } | undefined;

const created = (job: V1Job) => String(job.metadata?.creationTimestamp ?? '');

/** The newest of `jobs` by creation time (name breaks ties), if any. */
export function newestJob(jobs: V1Job[]): V1Job | undefined {
  return [...jobs].sort(
    (a, b) =>
      created(b).localeCompare(created(a)) || (b.metadata?.name ?? '').localeCompare(a.metadata?.name ?? ''),
  )[0];
}

function failureOf<R>(
  parse: Parse<R>,
  t: Termination | undefined,
): { reason: string; message: string } | undefined {
  if (!t || t.exitCode === 0) return undefined;
  const parsed = parse(t.message) as { ok?: boolean; reason?: string; message?: string } | undefined;
  if (parsed?.ok === false && parsed.reason) return { reason: parsed.reason, message: parsed.message ?? '' };
  if (t.reason === 'OOMKilled')
    return { reason: REASONS.JobFailed, message: 'the data job ran out of memory (OOMKilled)' };
  return { reason: REASONS.JobFailed, message: `the data job exited with code ${t.exitCode}` };
}

function outcome<R extends { ok: true }>(
  job: V1Job,
  terminations: Termination[],
  parse: Parse<R>,
): JobOutcome<R> {
  const name = job.metadata?.name as string;
  const state = jobState(job);
  const last = terminations.at(-1);
  if (state.phase === 'Running') {
    const failed = terminations.filter((t) => t.exitCode !== 0);
    const why = failureOf(parse, failed.at(-1));
    return why
      ? { phase: 'Running', job: name, retrying: { ...why, attempts: failed.length } }
      : { phase: 'Running', job: name };
  }
  if (state.phase === 'Succeeded') {
    const parsed = parse(terminations.find((t) => t.exitCode === 0)?.message) as { ok?: boolean } | undefined;
    const result = parsed?.ok === true ? (parsed as R) : undefined;
    return { phase: 'Succeeded', job: name, at: state.at, result };
  }
  const why = failureOf(parse, last) ?? {
    reason: REASONS.JobFailed,
    message: `${state.reason}: ${state.message}`,
  };
  // The Job's own reason says more when it ended the run (a deadline), not the data job.
  if (state.reason === 'DeadlineExceeded')
    return {
      phase: 'Failed',
      job: name,
      at: state.at,
      reason: REASONS.JobFailed,
      message: `the data job ran past its deadline: ${state.message}`,
    };
  return { phase: 'Failed', job: name, at: state.at, ...why };
}

export function collectionOutcome(job: V1Job, terminations: Termination[]): JobOutcome<CollectResult> {
  return outcome(job, terminations, parseCollectMessage);
}

export function snapshotOutcome(job: V1Job, terminations: Termination[]): JobOutcome<SnapshotResult> {
  return outcome(job, terminations, parseSnapshotMessage);
}
