// What a verification Job says about its artifact. Pure: takes the Job and its Pods.
// A Pod whose verifier exited VERIFIED with a result settles it before the Job controller
// marks the Job Complete (a second or more on a busy control plane): with one completion and
// restartPolicy Never, that Pod's exit is the Job's success. Failures wait for the Job, which may
// retry them.
// Some ends say nothing about the artifact, and the controller runs a new Job instead of reporting
// them: a Job that completed but whose Pods are gone (the Pod garbage collector, a drained node),
// and one whose presigned links expired before it could use them.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { VERIFIER_REASONS } from '../../verifier/job-contract.ts';
import { jobState, terminations } from '../shared/job-state.ts';
import { REASONS } from './reasons.ts';
import { CONTAINER_NAME } from './verification-job.ts';
import { parseTerminationMessage, type Verification } from './verification-result.ts';

export type VerificationOutcome =
  | { kind: 'running' }
  | { kind: 'rerun'; why: string }
  | { kind: 'finished'; verification: Verification };

export function verificationOutcome(job: V1Job, pods: V1Pod[]): VerificationOutcome {
  const state = jobState(job);
  const ended = terminations(pods, CONTAINER_NAME);
  if (state.phase === 'Running') {
    const verified = ended
      .filter((t) => t.exitCode === 0)
      .map((t) => parseTerminationMessage(t.message, t.finishedAt))
      .find((v) => v?.ok);
    return verified ? { kind: 'finished', verification: verified } : { kind: 'running' };
  }
  if (state.phase === 'Succeeded') {
    const last = ended.filter((t) => t.exitCode === 0).at(-1);
    const parsed = parseTerminationMessage(last?.message, state.at);
    return parsed?.ok
      ? { kind: 'finished', verification: parsed }
      : { kind: 'rerun', why: 'the result was lost with its Pod' };
  }
  const last = ended.at(-1);
  const parsed = parseTerminationMessage(last?.message, state.at);
  if (parsed && !parsed.ok && parsed.reason === VERIFIER_REASONS.ArtifactLinkExpired)
    return { kind: 'rerun', why: 'its download links expired' };
  if (parsed && !parsed.ok) return { kind: 'finished', verification: parsed };
  const why = last?.reason === 'OOMKilled' ? 'the verifier ran out of memory' : state.message;
  return {
    kind: 'finished',
    verification: {
      ok: false,
      reason: REASONS.VerificationFailed,
      message: `the verification Job ${job.metadata?.name} failed: ${why}`,
      at: state.at,
    },
  };
}
