import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  rolloutState,
  withDrainingPods,
} from '../../../../operator/controllers/inference-service/rollout-state.ts';
import { withRollout } from '../../gen/inference-service.ts';

const base: V1Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api-primary', namespace: 'team-a', generation: 4 },
  spec: { selector: {}, template: {} },
};

describe('the rollout state of a serving Deployment', () => {
  it.each([
    ['every replica updated and available', { desired: 3, updated: 3, available: 3 }, true],
    [
      'a replica of the previous template still running',
      { desired: 3, updated: 3, available: 3, old: 1 },
      false,
    ],
    ['an updated replica not yet available', { desired: 3, updated: 3, available: 2 }, false],
    [
      'a template the Deployment controller has not seen yet',
      { desired: 3, updated: 3, available: 3, observed: false },
      false,
    ],
    ['scaled to zero', { desired: 0, updated: 0, available: 0 }, true],
  ])('%s: complete is %s', (_what, state, complete) => {
    expect(rolloutState(withRollout(base, state)).complete).toBe(complete);
  });

  it('counts the Pods of every template, and sees a progress deadline passed', () => {
    const d = withRollout(base, { desired: 2, updated: 1, available: 0, old: 2 });
    d.status = {
      ...d.status,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    };
    expect(rolloutState(d)).toEqual({
      desired: 2,
      replicas: 3,
      updated: 1,
      ready: 2,
      available: 2,
      complete: false,
      deadlineExceeded: true,
    });
  });

  it('counts the Pods of another version that still exist as left, finished ones not', () => {
    const done = rolloutState(withRollout(base, { desired: 2, updated: 2, available: 2 }));
    const pod = (version: string, phase = 'Running'): V1Pod => ({
      metadata: { labels: { 'bosun.dev/model-version': version } },
      status: { phase },
    });
    expect(withDrainingPods(done, [pod('fraud-v4'), pod('fraud-v4')], 'fraud-v4')).toEqual(done);
    expect(
      withDrainingPods(done, [pod('fraud-v4'), pod('fraud-v3'), pod('fraud-v3', 'Succeeded')], 'fraud-v4'),
    ).toEqual({ ...done, replicas: 3, complete: false, draining: 1 });
  });
});
