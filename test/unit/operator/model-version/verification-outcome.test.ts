import { describe, expect, it } from 'vitest';
import { verificationOutcome } from '../../../../operator/controllers/model-version/verification-outcome.ts';
import { encodeVerified } from '../../../../operator/controllers/model-version/verification-result.ts';
import { aJob, aTerminatedPod, finished } from '../../gen/job.ts';
import { A_VERIFIED_RESULT } from '../../gen/model-version.ts';

describe('reading a verification Job', () => {
  it('waits while the Job runs', () => {
    expect(verificationOutcome(aJob('ns', 'verify-x'), [])).toEqual({ kind: 'running' });
  });

  it('takes a verified result from a Pod that exited before the Job is marked done; a failure waits for the Job', () => {
    const job = aJob('ns', 'verify-x');
    const verified = aTerminatedPod(job, 'verify', 0, encodeVerified(A_VERIFIED_RESULT));
    expect(verificationOutcome(job, [verified])).toEqual({
      kind: 'finished',
      verification: A_VERIFIED_RESULT,
    });
    const retried = aTerminatedPod(job, 'verify', 2, 'VerificationError: store down');
    expect(verificationOutcome(job, [retried])).toEqual({ kind: 'running' });
    const bad = aTerminatedPod(job, 'verify', 1, 'DigestMismatch: the bytes do not match');
    expect(verificationOutcome(job, [bad])).toEqual({ kind: 'running' });
    const unreadable = aTerminatedPod(job, 'verify', 0, 'not a result');
    expect(verificationOutcome(job, [unreadable])).toEqual({ kind: 'running' });
  });

  it("takes the result from the succeeded Pod's termination message", () => {
    const job = aJob('ns', 'verify-x', finished('Complete'));
    const outcome = verificationOutcome(job, [
      aTerminatedPod(job, 'verify', 2, 'VerificationError: store down', '2026-01-01T00:00:01Z'),
      aTerminatedPod(job, 'verify', 0, encodeVerified(A_VERIFIED_RESULT), '2026-01-01T00:00:05Z'),
    ]);
    expect(outcome).toEqual({ kind: 'finished', verification: A_VERIFIED_RESULT });
  });

  it('calls a completed Job without its Pod lost, so it runs again instead of failing as "unknown"', () => {
    expect(verificationOutcome(aJob('ns', 'verify-x', finished('Complete')), [])).toEqual({
      kind: 'rerun',
      why: 'the result was lost with its Pod',
    });
  });

  it('runs a Job whose links expired again instead of reporting it', () => {
    const job = aJob('ns', 'verify-x', finished('Failed'));
    const pod = aTerminatedPod(
      job,
      'verify',
      2,
      'ArtifactLinkExpired: the download link expired; the operator will retry',
    );
    expect(verificationOutcome(job, [pod])).toEqual({ kind: 'rerun', why: 'its download links expired' });
  });

  it('reports the reason the verifier gave, or the Job failure when it gave none', () => {
    const job = aJob('ns', 'verify-x', finished('Failed'));
    const bad = verificationOutcome(job, [
      aTerminatedPod(job, 'verify', 1, 'ArtifactNotFound: it does not exist'),
    ]);
    expect(bad).toMatchObject({ kind: 'finished', verification: { ok: false, reason: 'ArtifactNotFound' } });
    const deadline = aJob(
      'ns',
      'verify-x',
      finished('Failed', 'Job was active longer than specified deadline', 'DeadlineExceeded'),
    );
    expect(verificationOutcome(deadline, [])).toMatchObject({
      kind: 'finished',
      verification: { ok: false, reason: 'VerificationFailed', message: expect.stringContaining('deadline') },
    });
    const oom = verificationOutcome(job, [
      aTerminatedPod(job, 'verify', 137, '', '2026-01-01T00:00:05Z', 'OOMKilled'),
    ]);
    expect(oom).toMatchObject({
      verification: { reason: 'VerificationFailed', message: expect.stringContaining('out of memory') },
    });
  });
});
