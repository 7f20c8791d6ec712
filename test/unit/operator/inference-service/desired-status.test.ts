import { describe, expect, it } from 'vitest';
import type { InferenceService } from '../../../../operator/api/inference-service.ts';
import {
  desiredStatus,
  MAX_HISTORY,
  type RoleObservation,
  type ServingObservation,
} from '../../../../operator/controllers/inference-service/desired-status.ts';
import type { Resolution } from '../../../../operator/controllers/inference-service/resolve.ts';
import type { RolloutState } from '../../../../operator/controllers/inference-service/rollout-state.ts';
import {
  anInferenceService,
  withAutoscaling,
  withGeneration,
  withPredictionLog,
} from '../../gen/inference-service.ts';
import { aModelVersion, SHA_A, verified } from '../../gen/model-version.ts';

const T0 = new Date('2026-01-10T00:00:00Z');
const T1 = new Date('2026-01-10T00:01:00Z');
const v = (n: number) => ({ modelVersion: `fraud-v${n}`, version: n, sha256: SHA_A });
const resolvedTo = (n: number): Resolution['primary'] => ({
  resolved: true,
  target: aModelVersion(`fraud-v${n}`, verified),
});
const rolling = (desired: number, updated: number, available: number, old = 0): RolloutState => ({
  desired,
  replicas: updated + old,
  updated,
  ready: available + old,
  available: available + old,
  complete: updated === desired && old === 0 && available >= desired,
  deadlineExceeded: false,
});
const done = (n: number) => rolling(n, n, n);

function observation(extra: Partial<ServingObservation> & { primary?: RoleObservation }): ServingObservation {
  const { primary, ...rest } = extra;
  return {
    resolution: { primary: resolvedTo(3) },
    roles: primary ? { primary } : {},
    autoscaling: { mode: 'fixed-replicas' },
    secrets: { problems: [] },
    namesInUse: [],
    serverImageConfigured: true,
    url: 'http://api.team-a.svc:8080',
    selector: 'app.kubernetes.io/component=inference-server,app.kubernetes.io/instance=api',
    ...rest,
  };
}
const condition = (isvc: { status?: InferenceService['status'] }, type: string) =>
  isvc.status?.conditions?.find((c) => c.type === type);
const step = (isvc: InferenceService, obs: ServingObservation, now: Date) => {
  const { status, events } = desiredStatus(isvc, obs, now);
  return { isvc: { ...isvc, status }, events: events.map((e) => e.reason), notes: events.map((e) => e.note) };
};

describe('the desired status of an InferenceService', () => {
  it('follows a first rollout from start to finish, and then stays put', () => {
    const isvc = anInferenceService('api', withGeneration(2));
    const first = step(isvc, observation({ primary: { served: v(3), rollout: rolling(2, 1, 0) } }), T0);
    expect(first.events).toEqual(['RolloutStarted']);
    expect(first.notes[0]).toBe('Rolling out fraud-v3 to the primary');
    expect(first.isvc.status).toMatchObject({
      observedGeneration: 2,
      primary: v(3),
      url: 'http://api.team-a.svc:8080',
      replicas: 1,
      readyReplicas: 0,
      history: [{ modelVersion: 'fraud-v3', version: 3, role: 'primary', from: '2026-01-10T00:00:00Z' }],
    });
    expect(condition(first.isvc, 'ModelResolved')).toMatchObject({
      status: 'True',
      reason: 'Resolved',
      observedGeneration: 2,
    });
    expect(condition(first.isvc, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(first.isvc, 'Progressing')?.message).toBe(
      'fraud-v3 (primary): 1 of 2 replicas updated, 0 available',
    );
    expect(condition(first.isvc, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'RollingOut',
      observedGeneration: 2,
    });

    const second = step(first.isvc, observation({ primary: { served: v(3), rollout: done(2) } }), T1);
    expect(second.events).toEqual(['RolloutFinished']);
    expect(condition(second.isvc, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Serving',
      message: 'fraud-v3 serves on 2 replicas',
      lastTransitionTime: '2026-01-10T00:01:00Z',
    });
    expect(condition(second.isvc, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'RolloutFinished',
    });

    const third = step(
      second.isvc,
      observation({ primary: { served: v(3), rollout: done(2) } }),
      new Date('2026-01-11T00:00:00Z'),
    );
    expect(third.events).toEqual([]);
    expect(third.isvc.status).toEqual(second.isvc.status);
  });

  it('records which version served when: the old one ends when the last of its Pods is replaced', () => {
    const serving3 = step(
      anInferenceService('api'),
      observation({ primary: { served: v(3), rollout: done(2) } }),
      T0,
    ).isvc;
    const promoted = observation({
      resolution: { primary: resolvedTo(4) },
      primary: { served: v(4), rollout: rolling(2, 1, 1, 1) },
    });
    const during = step(serving3, promoted, T1);
    expect(during.events).toEqual(['RolloutStarted']);
    expect(during.notes[0]).toBe('Rolling out fraud-v4 to the primary, replacing fraud-v3');
    expect(during.isvc.status?.primary).toEqual(v(4));
    expect(during.isvc.status?.history).toEqual([
      { modelVersion: 'fraud-v3', version: 3, role: 'primary', from: '2026-01-10T00:00:00Z' },
      { modelVersion: 'fraud-v4', version: 4, role: 'primary', from: '2026-01-10T00:01:00Z' },
    ]);
    expect(condition(during.isvc, 'Progressing')?.message).toBe(
      'fraud-v4 (primary): 1 of 2 replicas updated, 2 available, 1 of the previous version left',
    );
    const after = step(
      during.isvc,
      { ...promoted, roles: { primary: { served: v(4), rollout: done(2) } } },
      new Date('2026-01-10T00:02:00Z'),
    );
    expect(after.events).toEqual(['RolloutFinished']);
    expect(after.isvc.status?.history?.[0]?.to).toBe('2026-01-10T00:02:00Z');
    expect(after.isvc.status?.history?.[1]?.to).toBeUndefined();
  });

  it('says why a lookup failed, once, while the version served before keeps serving', () => {
    const serving3 = step(
      anInferenceService('api'),
      observation({ primary: { served: v(3), rollout: done(2) } }),
      T0,
    ).isvc;
    const failed = observation({
      resolution: {
        primary: {
          resolved: false,
          reason: 'NoReadyVersionInStage',
          message: 'no Ready version of model fraud is in stage production',
          kept: v(3),
        },
      },
      primary: { served: v(3), rollout: done(2) },
    });
    const first = step(serving3, failed, T1);
    expect(first.events).toEqual(['NoReadyVersionInStage']);
    expect(condition(first.isvc, 'ModelResolved')).toMatchObject({
      status: 'False',
      reason: 'NoReadyVersionInStage',
      message: 'primary: no Ready version of model fraud is in stage production; fraud-v3 keeps serving',
    });
    expect(condition(first.isvc, 'Ready')).toMatchObject({ status: 'False', reason: 'ModelNotResolved' });
    expect(first.isvc.status?.primary).toEqual(v(3));
    expect(first.isvc.status?.history?.[0]?.to).toBeUndefined();
    expect(step(first.isvc, failed, new Date('2026-01-10T00:05:00Z')).events).toEqual([]);
  });

  it('serves nothing and says why when nothing ever resolved', () => {
    const { isvc, events } = step(
      anInferenceService('api'),
      observation({
        resolution: {
          primary: {
            resolved: false,
            reason: 'ModelVersionNotFound',
            message: 'ModelVersion fraud-v9 (version 9 of model fraud) does not exist in namespace team-a',
          },
        },
      }),
      T0,
    );
    expect(events).toEqual(['ModelVersionNotFound']);
    expect(condition(isvc, 'Ready')).toMatchObject({ status: 'False', reason: 'ModelVersionNotFound' });
    expect(condition(isvc, 'Progressing')).toMatchObject({ status: 'False' });
    expect(isvc.status?.primary).toBeUndefined();
    expect(isvc.status?.history).toBeUndefined();
    expect(isvc.status?.replicas).toBe(0);
  });

  it('turns a crash-looping new version into a condition with its termination message', () => {
    const serving3 = step(
      anInferenceService('api'),
      observation({ primary: { served: v(3), rollout: done(2) } }),
      T0,
    ).isvc;
    const obs = observation({
      resolution: { primary: resolvedTo(4) },
      primary: {
        served: v(4),
        rollout: rolling(2, 1, 0, 2),
        failure: {
          pod: 'api-primary-abc',
          exitCode: 1,
          restarts: 3,
          message: 'ConfigInvalid: preprocessing expects 3 channels, the model takes 1',
        },
      },
    });
    const { isvc, events } = step(serving3, obs, T1);
    expect(events).toEqual(['RolloutStarted', 'ServerFailing']);
    expect(condition(isvc, 'Ready')).toMatchObject({ status: 'False', reason: 'ServerFailing' });
    expect(condition(isvc, 'Ready')?.message).toBe(
      'fraud-v4 (primary) does not start: Pod api-primary-abc exited with code 1 (3 restarts): ConfigInvalid: preprocessing expects 3 channels, the model takes 1',
    );
    expect(condition(isvc, 'Progressing')).toMatchObject({ status: 'False', reason: 'ServerFailing' });
    // The previous version still serves: its period stays open.
    expect(isvc.status?.history?.[0]?.to).toBeUndefined();
  });

  it('reports the canary with the share actually configured, and closes its period when it goes', () => {
    const canaryObs = observation({
      resolution: { primary: resolvedTo(3), canary: resolvedTo(4) },
      canaryPercent: 25,
    });
    canaryObs.roles = {
      primary: { served: v(3), rollout: done(3) },
      canary: { served: v(4), rollout: done(1) },
    };
    const { isvc, events, notes } = step(anInferenceService('api'), canaryObs, T0);
    expect(events).toEqual(['RolloutStarted', 'RolloutStarted']);
    expect(notes[1]).toBe('Rolling out fraud-v4 as the canary at 25% of the replicas');
    expect(isvc.status?.canary).toEqual({ ...v(4), percent: 25 });
    expect(isvc.status?.replicas).toBe(4);
    expect(condition(isvc, 'Ready')?.message).toBe(
      'fraud-v3 serves on 3 replicas; canary fraud-v4 on 1 (25% of the replicas)',
    );
    const gone = step(isvc, observation({ primary: { served: v(3), rollout: done(4) } }), T1).isvc;
    expect(gone.status?.canary).toBeUndefined();
    expect(gone.status?.history?.find((h) => h.role === 'canary')?.to).toBe('2026-01-10T00:01:00Z');
  });

  it('says when targetConcurrency cannot work, and drops the condition with autoscaling', () => {
    const isvc = anInferenceService(
      'api',
      withAutoscaling({ minReplicas: 2, maxReplicas: 5, targetConcurrency: 8 }),
    );
    const obs = observation({
      primary: { served: v(3), rollout: done(2) },
      autoscaling: { mode: 'unavailable', minReplicas: 2, maxReplicas: 5 },
    });
    const first = step(isvc, obs, T0).isvc;
    expect(condition(first, 'Autoscaling')).toMatchObject({
      status: 'False',
      reason: 'ConcurrencyMetricUnavailable',
    });
    expect(condition(first, 'Autoscaling')?.message).toContain(
      'the primary runs minReplicas (2) replicas meanwhile',
    );
    const cpu = step(
      first,
      { ...obs, autoscaling: { mode: 'autoscaler', minReplicas: 2, maxReplicas: 5, metric: 'concurrency' } },
      T1,
    ).isvc;
    expect(condition(cpu, 'Autoscaling')).toMatchObject({
      status: 'True',
      reason: 'HorizontalPodAutoscaler',
    });
    const off = step(
      { ...cpu, spec: { ...cpu.spec, autoscaling: undefined } } as InferenceService,
      { ...obs, autoscaling: { mode: 'fixed-replicas' } },
      T1,
    ).isvc;
    expect(condition(off, 'Autoscaling')).toBeUndefined();
  });

  it('says whether predictions are logged and input images stored', () => {
    const isvc = anInferenceService('api', withPredictionLog('db'));
    const notStored = step(
      isvc,
      observation({
        primary: { served: v(3), rollout: done(1) },
        secrets: { problems: [], inputImagesNotStored: 'input images are not stored: ...' },
      }),
      T0,
    ).isvc;
    expect(condition(notStored, 'PredictionLog')).toMatchObject({
      status: 'False',
      reason: 'InputImagesNotStored',
    });
    expect(condition(notStored, 'Ready')).toMatchObject({ status: 'True' });
    const missing = step(
      isvc,
      observation({
        primary: { served: v(3), rollout: done(1) },
        secrets: {
          problems: [
            {
              field: 'predictionLog',
              reason: 'SecretNotFound',
              message:
                'spec.predictionLog.connectionSecret names Secret db, which does not exist in namespace team-a',
            },
          ],
        },
      }),
      T0,
    ).isvc;
    expect(condition(missing, 'PredictionLog')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(condition(missing, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });

  it('is not Ready at zero replicas, nor without a server image, nor when a child name is taken', () => {
    const at = (obs: Partial<ServingObservation>) =>
      condition(
        step(
          anInferenceService('api'),
          observation({ primary: { served: v(3), rollout: done(0) }, ...obs }),
          T0,
        ).isvc,
        'Ready',
      );
    expect(at({})).toMatchObject({ status: 'False', reason: 'ScaledToZero' });
    expect(at({ serverImageConfigured: false })).toMatchObject({
      status: 'False',
      reason: 'ServerImageNotConfigured',
    });
    expect(at({ namesInUse: ['Service api'] })).toMatchObject({
      status: 'False',
      reason: 'NameInUse',
      message:
        'Service api already exists and belongs to another owner; rename the InferenceService or remove them',
    });
  });

  it(`keeps at most ${MAX_HISTORY} periods, never dropping one that is open`, () => {
    const history = Array.from({ length: MAX_HISTORY }, (_, i) => ({
      modelVersion: `fraud-v${i + 1}`,
      version: i + 1,
      role: 'primary' as const,
      from: '2026-01-01T00:00:00Z',
      ...(i === 0 ? {} : { to: '2026-01-02T00:00:00Z' }),
    }));
    const isvc = anInferenceService('api', (o) => {
      o.status = { history };
    });
    const next = step(isvc, observation({ primary: { served: v(500), rollout: rolling(1, 0, 0) } }), T0).isvc;
    expect(next.status?.history).toHaveLength(MAX_HISTORY);
    expect(next.status?.history?.[0]?.modelVersion).toBe('fraud-v1');
    expect(next.status?.history?.[1]?.modelVersion).toBe('fraud-v3');
    expect(next.status?.history?.at(-1)?.modelVersion).toBe('fraud-v500');
  });
});
