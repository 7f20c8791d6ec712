import { describe, expect, it } from 'vitest';
import type { InferenceService } from '../../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import {
  modelToServe,
  resolveServing,
  servedByRole,
} from '../../../../operator/controllers/inference-service/resolve.ts';
import {
  anInferenceService,
  followingStage,
  pinned,
  withCanary,
  withStatus,
} from '../../gen/inference-service.ts';
import { aModelVersion, deleting, inNamespace, SHA_A, verified, withStage } from '../../gen/model-version.ts';

const ready = (
  name: string,
  stage: ModelVersion['spec']['stage'] = 'none',
  ...mods: ((mv: ModelVersion) => void)[]
) => aModelVersion(name, withStage(stage), verified, ...mods);
const verifying = (name: string, stage: ModelVersion['spec']['stage'] = 'none') =>
  aModelVersion(name, withStage(stage), (mv) => {
    mv.status = {
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'Verifying',
          message: 'waiting for the artifact to be verified',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
  });
const serving = (name: string, version: number) =>
  withStatus({ primary: { modelVersion: name, version, sha256: SHA_A } });

type Case = {
  name: string;
  isvc: InferenceService;
  versions: ModelVersion[];
  /** The ModelVersion the primary runs, or undefined. */
  primary: string | undefined;
  /** The reason when the selector does not resolve. */
  reason?: string;
  canary?: string;
  canaryReason?: string;
};

const cases: Case[] = [
  {
    name: 'a pinned Ready version is served',
    isvc: anInferenceService('api', pinned(3)),
    versions: [ready('fraud-v3'), ready('fraud-v4')],
    primary: 'fraud-v3',
  },
  {
    name: 'a pinned version that does not exist resolves to nothing',
    isvc: anInferenceService('api', pinned(9)),
    versions: [ready('fraud-v3')],
    primary: undefined,
    reason: 'ModelVersionNotFound',
  },
  {
    name: 'a pinned version not yet verified is not served; the version served before keeps serving',
    isvc: anInferenceService('api', pinned(4), serving('fraud-v3', 3)),
    versions: [ready('fraud-v3'), verifying('fraud-v4')],
    primary: 'fraud-v3',
    reason: 'ModelVersionNotReady',
  },
  {
    name: 'a pinned version being deleted is not rolled out',
    isvc: anInferenceService('api', pinned(4)),
    versions: [ready('fraud-v4', 'none', deleting)],
    primary: undefined,
    reason: 'ModelVersionDeleting',
  },
  {
    name: 'a stage serves its highest Ready version',
    isvc: anInferenceService('api', followingStage('production')),
    versions: [
      ready('fraud-v2', 'production'),
      ready('fraud-v5', 'production'),
      verifying('fraud-v7', 'production'),
      ready('fraud-v9', 'staging'),
    ],
    primary: 'fraud-v5',
  },
  {
    name: 'a version being deleted gives way to the next in its stage',
    isvc: anInferenceService('api', followingStage('production'), serving('fraud-v5', 5)),
    versions: [ready('fraud-v2', 'production'), ready('fraud-v5', 'production', deleting)],
    primary: 'fraud-v2',
  },
  {
    name: 'a stage emptied by a demotion keeps serving what served',
    isvc: anInferenceService('api', followingStage('production'), serving('fraud-v5', 5)),
    versions: [ready('fraud-v5', 'archived')],
    primary: 'fraud-v5',
    reason: 'NoReadyVersionInStage',
  },
  {
    name: 'ModelVersions of another model or namespace are never chosen',
    isvc: anInferenceService('api', followingStage('production')),
    versions: [ready('other-v8', 'production'), ready('fraud-v8', 'production', inNamespace('team-b'))],
    primary: undefined,
    reason: 'NoReadyVersionInStage',
  },
  {
    name: 'a canary resolves like the primary',
    isvc: anInferenceService(
      'api',
      followingStage('production'),
      withCanary({ stage: 'staging', percent: 25 }),
    ),
    versions: [ready('fraud-v5', 'production'), ready('fraud-v6', 'staging')],
    primary: 'fraud-v5',
    canary: 'fraud-v6',
  },
  {
    name: 'a canary that resolves to nothing is reported, the primary still serves',
    isvc: anInferenceService('api', pinned(3), withCanary({ version: 4, percent: 25 })),
    versions: [ready('fraud-v3'), verifying('fraud-v4')],
    primary: 'fraud-v3',
    canary: undefined,
    canaryReason: 'ModelVersionNotReady',
  },
  {
    name: 'no canary while there is no primary',
    isvc: anInferenceService('api', pinned(9), withCanary({ version: 4, percent: 25 })),
    versions: [ready('fraud-v4')],
    primary: undefined,
    reason: 'ModelVersionNotFound',
    canary: undefined,
  },
];

describe('resolving what an InferenceService serves', () => {
  it.each(cases)('$name', (c) => {
    const resolution = resolveServing(c.isvc, c.versions);
    expect(modelToServe(resolution.primary)?.metadata.name).toBe(c.primary);
    expect(resolution.primary.resolved ? undefined : resolution.primary.reason).toBe(c.reason);
    expect(modelToServe(resolution.canary)?.metadata.name).toBe(c.canary);
    const canary = resolution.canary;
    expect(canary && !canary.resolved ? canary.reason : undefined).toBe(c.canaryReason);
  });

  it('says why a pinned version is not Ready, and what keeps serving', () => {
    const r = resolveServing(anInferenceService('api', pinned(4), serving('fraud-v3', 3)), [
      ready('fraud-v3'),
      verifying('fraud-v4'),
    ]).primary;
    expect(r).toMatchObject({
      resolved: false,
      message: 'ModelVersion fraud-v4 is not Ready (Verifying: waiting for the artifact to be verified)',
      kept: { modelVersion: 'fraud-v3', version: 3 },
    });
  });

  it('keeps a served version whose ModelVersion is gone as a record only', () => {
    const r = resolveServing(anInferenceService('api', pinned(4), serving('fraud-v3', 3)), []).primary;
    expect(modelToServe(r)).toBeUndefined();
    expect(servedByRole(r)).toEqual({ modelVersion: 'fraud-v3', version: 3, sha256: SHA_A });
  });

  it('deploys no second copy of the primary as a canary', () => {
    const resolution = resolveServing(
      anInferenceService('api', pinned(3), withCanary({ stage: 'staging', percent: 25 })),
      [ready('fraud-v3', 'staging')],
    );
    expect(resolution.canary).toBeUndefined();
    expect(resolution.canaryNote).toContain('fraud-v3, which the primary serves');
  });
});
