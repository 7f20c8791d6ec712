import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobState } from '../../../../operator/controllers/shared/job-state.ts';
import { aJob } from '../../gen/job.ts';

const withConditions =
  (...conditions: { type: string; reason?: string; message?: string; status?: string }[]) =>
  (job: V1Job) => {
    job.status = {
      conditions: conditions.map((c) => ({
        status: 'True',
        lastTransitionTime: '2026-01-01T00:00:10Z' as never,
        ...c,
      })),
    };
  };

describe('where a Job stands', () => {
  it('is running until the Job controller has decided', () => {
    expect(jobState(aJob('ns', 'j'))).toEqual({ phase: 'Running' });
    expect(jobState(aJob('ns', 'j', withConditions({ type: 'Suspended' })))).toEqual({ phase: 'Running' });
    expect(
      jobState(aJob('ns', 'j', withConditions({ type: 'SuccessCriteriaMet', status: 'False' }))),
    ).toEqual({
      phase: 'Running',
    });
  });

  it('has succeeded from SuccessCriteriaMet on, before Complete (its Pods are still going)', () => {
    expect(jobState(aJob('ns', 'j', withConditions({ type: 'SuccessCriteriaMet' })))).toEqual({
      phase: 'Succeeded',
      at: '2026-01-01T00:00:10Z',
    });
    expect(
      jobState(aJob('ns', 'j', withConditions({ type: 'SuccessCriteriaMet' }, { type: 'Complete' }))),
    ).toMatchObject({
      phase: 'Succeeded',
    });
  });

  it('has failed from FailureTarget on, with its reason, and Failed says the same once set', () => {
    const target = {
      type: 'FailureTarget',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    };
    expect(jobState(aJob('ns', 'j', withConditions(target)))).toEqual({
      phase: 'Failed',
      at: '2026-01-01T00:00:10Z',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
    });
    const both = withConditions(target, {
      type: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'past its deadline',
    });
    expect(jobState(aJob('ns', 'j', both))).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });
});
