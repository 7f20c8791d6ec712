// Whether a verification Job has finished, and what its Pod said. Pure: takes the Job and its Pods.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { containerName } from './verification-job.ts';
import { parseTerminationMessage, type Verification } from './verification-result.ts';

export type JobOutcome = { finished: false } | { finished: true; verification: Verification };

const str = (t: unknown) =>
  t === undefined || t === null ? undefined : String(t instanceof Date ? t.toISOString() : t);

function finishedCondition(job: V1Job) {
  return job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

export function jobFinished(job: V1Job): boolean {
  return finishedCondition(job) !== undefined;
}

export function jobOutcome(job: V1Job, pods: V1Pod[]): JobOutcome {
  const done = finishedCondition(job);
  if (!done) return { finished: false };
  const at = str(job.status?.completionTime) ?? str(done.lastTransitionTime) ?? new Date().toISOString();
  const terminated = pods
    .map((pod) => pod.status?.containerStatuses?.find((c) => c.name === containerName)?.state?.terminated)
    .filter((t) => t !== undefined)
    .sort((a, b) => String(str(a.finishedAt)).localeCompare(String(str(b.finishedAt))));
  const wanted = done.type === 'Complete' ? terminated.filter((t) => t.exitCode === 0) : terminated;
  const last = wanted[wanted.length - 1];
  const parsed = parseTerminationMessage(last?.message, at);
  if (parsed && (done.type === 'Complete') === parsed.ok) return { finished: true, verification: parsed };
  const why =
    last?.reason === 'OOMKilled'
      ? 'the verifier ran out of memory'
      : (done.message ?? done.reason ?? 'unknown');
  return {
    finished: true,
    verification: {
      ok: false,
      reason: 'VerificationFailed',
      message: `the verification Job ${job.metadata?.name} failed: ${why}`,
      at,
    },
  };
}
