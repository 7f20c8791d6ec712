// Builders of Jobs and their Pods for unit tests.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Modifier } from './model-version.ts';

export function aJob(namespace: string, name: string, ...mods: Modifier<V1Job>[]): V1Job {
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '1', labels: {} },
    spec: { template: { spec: { containers: [] } } },
    status: { active: 1 },
  };
  for (const mod of mods) mod(job);
  return job;
}

export const withLabels =
  (labels: Record<string, string>): Modifier<V1Job> =>
  (job) => {
    job.metadata = { ...job.metadata, labels: { ...job.metadata?.labels, ...labels } };
  };

export const finished =
  (
    type: 'Complete' | 'Failed',
    message = '',
    reason = type === 'Failed' ? 'BackoffLimitExceeded' : undefined,
  ): Modifier<V1Job> =>
  (job) => {
    job.status = {
      conditions: [
        {
          type,
          status: 'True',
          message,
          ...(reason ? { reason } : {}),
          lastTransitionTime: '2026-01-01T00:00:10Z' as never,
        },
      ],
    };
  };

/** A Pod of `job` whose `container` terminated with this exit code and termination message. */
export function aTerminatedPod(
  job: V1Job,
  container: string,
  exitCode: number,
  message: string,
  finishedAt = '2026-01-01T00:00:05Z',
  reason?: string,
): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata?.name}-${finishedAt.replace(/\D/g, '')}`,
      namespace: job.metadata?.namespace as string,
      labels: {
        'batch.kubernetes.io/job-name': job.metadata?.name as string,
        'batch.kubernetes.io/controller-uid': job.metadata?.uid as string,
      },
    },
    status: {
      containerStatuses: [
        {
          name: container,
          image: '',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: { exitCode, message, finishedAt: finishedAt as never, ...(reason ? { reason } : {}) },
          },
        },
      ],
    },
  };
}
