import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  collectionOutcome,
  type JobOutcome,
  newestJob,
  snapshotOutcome,
} from '../../../../operator/controllers/dataset/job-outcomes.ts';
import { terminations } from '../../../../operator/controllers/shared/job-state.ts';
import { aDataset } from '../../gen/dataset.ts';
import {
  aCollectResult,
  aDataJob,
  collected,
  failedWith,
  retrying,
  snapshotBuilt,
} from '../../gen/dataset-jobs.ts';
import { aTerminatedPod, finished } from '../../gen/job.ts';

const pets = aDataset('pets');
const CONTAINER = 'data-job';
const collectJob = (...mods: ((job: V1Job) => void)[]) => aDataJob(pets, 'collection', 1, ...mods);

/** The job's terminations, one Pod each: [exit code, message, finishedAt second, Kubernetes' reason]. */
function ended(job: V1Job, ...runs: [number, string, number?, string?][]) {
  return terminations(
    runs.map(([code, message, second = 5, reason]) =>
      aTerminatedPod(
        job,
        CONTAINER,
        code,
        message,
        `2026-01-01T00:00:${String(second).padStart(2, '0')}Z`,
        reason,
      ),
    ),
    CONTAINER,
  );
}

describe("a collection Job's outcome", () => {
  it('is Running while it runs', () => {
    expect(collectionOutcome(collectJob(), [])).toEqual({ phase: 'Running', job: 'pets-collect-1' });
  });

  it("is Running and says why once an attempt failed: the data job's reason from its termination message", () => {
    const job = collectJob(retrying(1));
    const outcome = collectionOutcome(
      job,
      ended(job, [2, failedWith('SourceUnavailable', 'postgres feedback-db:5432: connection refused')]),
    );
    expect(outcome).toEqual({
      phase: 'Running',
      job: 'pets-collect-1',
      retrying: {
        reason: 'SourceUnavailable',
        message: 'postgres feedback-db:5432: connection refused',
        attempts: 1,
      },
    });
  });

  it('is Running with the newest failed attempt and the count of them all', () => {
    const job = collectJob(retrying(2));
    const outcome = collectionOutcome(
      job,
      ended(
        job,
        [2, failedWith('StoreUnavailable', 'the store timed out'), 9],
        [2, failedWith('SourceUnavailable', 'connection refused'), 3],
      ),
    );
    expect(outcome).toMatchObject({
      phase: 'Running',
      retrying: { reason: 'StoreUnavailable', attempts: 2 },
    });
  });

  it('is Succeeded with the result the collect run left', () => {
    const job = collectJob(finished('Complete'));
    expect(collectionOutcome(job, ended(job, [0, collected()]))).toEqual({
      phase: 'Succeeded',
      job: 'pets-collect-1',
      at: '2026-01-01T00:00:10Z',
      result: aCollectResult(),
    });
  });

  it('is Succeeded without a result when the message cannot be read (or the Pod is gone)', () => {
    const job = collectJob(finished('Complete'));
    expect(collectionOutcome(job, ended(job, [0, 'done']))).toMatchObject({
      phase: 'Succeeded',
      result: undefined,
    });
    expect(collectionOutcome(job, [])).toMatchObject({ phase: 'Succeeded', result: undefined });
    // A snapshot's result is not a collect result.
    expect(collectionOutcome(job, ended(job, [0, snapshotBuilt('20260201-000000')]))).toMatchObject({
      result: undefined,
    });
  });

  it("is Failed with the data job's reason and message", () => {
    const job = collectJob(
      finished('Failed', 'Container data-job for pod exited with code 1', 'PodFailurePolicy'),
    );
    expect(
      collectionOutcome(job, ended(job, [1, failedWith('QueryInvalid', 'column "label" does not exist')])),
    ).toEqual({
      phase: 'Failed',
      job: 'pets-collect-1',
      at: '2026-01-01T00:00:10Z',
      reason: 'QueryInvalid',
      message: 'column "label" does not exist',
    });
  });

  it("is Failed as JobFailed with Kubernetes' reason when no Pod says more", () => {
    const job = collectJob(
      finished('Failed', 'Job has reached the specified backoff limit', 'BackoffLimitExceeded'),
    );
    expect(collectionOutcome(job, [])).toMatchObject({
      phase: 'Failed',
      reason: 'JobFailed',
      message: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
    });
  });

  it('is Failed as JobFailed with the exit code when the data job left no message', () => {
    const job = collectJob(finished('Failed', 'Job has reached the specified backoff limit'));
    expect(collectionOutcome(job, ended(job, [139, '']))).toMatchObject({
      reason: 'JobFailed',
      message: 'the data job exited with code 139',
    });
  });

  it('is Failed as JobFailed, out of memory, when the container was OOMKilled', () => {
    const job = collectJob(finished('Failed', 'Job has reached the specified backoff limit'));
    const outcome = collectionOutcome(job, ended(job, [137, '', 5, 'OOMKilled']));
    expect(outcome).toMatchObject({ phase: 'Failed', reason: 'JobFailed' });
    expect((outcome as Extract<JobOutcome<unknown>, { phase: 'Failed' }>).message).toContain('out of memory');
  });

  it('is Failed as JobFailed past its deadline, whatever the killed Pod left', () => {
    const job = collectJob(
      finished('Failed', 'Job was active longer than specified deadline', 'DeadlineExceeded'),
    );
    const outcome = collectionOutcome(job, ended(job, [143, failedWith('InternalError', 'terminated')]));
    expect(outcome).toMatchObject({
      phase: 'Failed',
      reason: 'JobFailed',
      message: 'the data job ran past its deadline: Job was active longer than specified deadline',
    });
  });
});

describe("a snapshot Job's outcome", () => {
  const job = (...mods: ((job: V1Job) => void)[]) => aDataJob(pets, 'snapshot', 1, ...mods);

  it('is Succeeded with the snapshot result', () => {
    const done = job(finished('Complete'));
    const outcome = snapshotOutcome(done, ended(done, [0, snapshotBuilt('20260201-030000')]));
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      job: 'pets-snapshot-1',
      result: { ok: true, command: 'snapshot', version: '20260201-030000', rejected: false },
    });
  });

  it("is Failed with the snapshot job's reason", () => {
    const failed = job(
      finished('Failed', 'Container data-job for pod exited with code 1', 'PodFailurePolicy'),
    );
    expect(
      snapshotOutcome(failed, ended(failed, [1, failedWith('GoldEmpty', 'spec.gold holds no item')])),
    ).toMatchObject({ phase: 'Failed', reason: 'GoldEmpty', message: 'spec.gold holds no item' });
  });

  it('is Running with the reason of a failed attempt', () => {
    const running = job(retrying(1));
    expect(
      snapshotOutcome(running, ended(running, [2, failedWith('StoreUnavailable', 'timeout')])),
    ).toMatchObject({
      phase: 'Running',
      retrying: { reason: 'StoreUnavailable', attempts: 1 },
    });
  });
});

describe('the newest Job', () => {
  it('is the one created last, the greater name breaking a tie, and none of none', () => {
    const at = (name: string, time: string) =>
      aDataJob(pets, 'collection', 1, (j) => {
        j.metadata = { ...j.metadata, name, creationTimestamp: time as never };
      });
    const jobs = [
      at('pets-collect-100', '2026-01-02T00:00:00Z'),
      at('pets-collect-300', '2026-01-03T00:00:00Z'),
      at('pets-collect-200', '2026-01-03T00:00:00Z'),
      at('pets-collect-050', '2026-01-01T00:00:00Z'),
    ];
    expect(newestJob(jobs)?.metadata?.name).toBe('pets-collect-300');
    expect(newestJob(jobs.slice(0, 1))?.metadata?.name).toBe('pets-collect-100');
    expect(newestJob([])).toBeUndefined();
    // The input is left as it was.
    expect(jobs.map((j) => j.metadata?.name)).toEqual([
      'pets-collect-100',
      'pets-collect-300',
      'pets-collect-200',
      'pets-collect-050',
    ]);
  });
});
