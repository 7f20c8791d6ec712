import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { serverFailure } from '../../../../operator/controllers/inference-service/server-failure.ts';

const pod = (
  name: string,
  modelVersion: string,
  terminated: { exitCode: number; message?: string; reason?: string; finishedAt: string },
  where: 'state' | 'lastState' = 'lastState',
): V1Pod => ({
  metadata: { name, labels: { 'bosun.dev/model-version': modelVersion } },
  status: {
    containerStatuses: [
      {
        name: 'server',
        image: '',
        imageID: '',
        ready: false,
        restartCount: 4,
        [where]: { terminated: terminated as never },
        ...(where === 'lastState' ? { state: { waiting: { reason: 'CrashLoopBackOff' } } } : {}),
      },
    ],
  },
});

describe("a new version's failing server", () => {
  it("is the latest failed exit among that version's Pods, with its termination message", () => {
    const pods = [
      pod('a', 'fraud-v4', {
        exitCode: 1,
        message: 'ArtifactInvalid: old',
        finishedAt: '2026-01-01T00:00:01Z',
      }),
      pod('b', 'fraud-v4', {
        exitCode: 1,
        message: 'ConfigInvalid: preprocessing expects 3 channels\n',
        finishedAt: '2026-01-01T00:00:09Z',
      }),
      pod('c', 'fraud-v3', {
        exitCode: 1,
        message: 'from the old version',
        finishedAt: '2026-01-01T00:00:10Z',
      }),
    ];
    expect(serverFailure(pods, 'fraud-v4')).toEqual({
      pod: 'b',
      exitCode: 1,
      message: 'ConfigInvalid: preprocessing expects 3 channels',
      restarts: 4,
    });
  });

  it("falls back to Kubernetes' reason, and ignores clean exits", () => {
    expect(
      serverFailure(
        [pod('a', 'fraud-v4', { exitCode: 137, reason: 'OOMKilled', finishedAt: 't' }, 'state')],
        'fraud-v4',
      )?.message,
    ).toBe('OOMKilled');
    expect(
      serverFailure([pod('a', 'fraud-v4', { exitCode: 0, finishedAt: 't' })], 'fraud-v4'),
    ).toBeUndefined();
    expect(serverFailure([], 'fraud-v4')).toBeUndefined();
  });
});
