import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TrainingRun } from '../../../../operator/api/training-run.ts';
import { loadConfig } from '../../../../operator/config.ts';
import { DATASETS, MODEL_VERSIONS, TRAINING_RUNS } from '../../../../operator/controllers/shared/kinds.ts';
import { renderModelVersion } from '../../../../operator/controllers/training-run/model-version.ts';
import { TRAINING_JOBS, trainingRunSetup } from '../../../../operator/controllers/training-run/setup.ts';
import type { KindRef, SetupContext } from '../../../../operator/runtime/controller-setup.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import { aDataset, inNamespace as dsInNamespace } from '../../gen/dataset.ts';
import { aModelVersion } from '../../gen/model-version.ts';
import {
  aPinnedSnapshot,
  aTrainingJob,
  aTrainingRun,
  inNamespace,
  onDataset,
  pinnedTo,
} from '../../gen/training-run.ts';

const ENV = {
  POD_NAMESPACE: 'bosun-system',
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_ACCESS_KEY: 'ak',
  BOSUN_STORE_SECRET_KEY: 'sk',
  BOSUN_OPERATOR_IMAGE: 'registry.example/bosun/operator:1',
  BOSUN_TRAINER_IMAGE: 'registry.example/bosun/trainer:1',
};

function context(env: Record<string, string> = {}): SetupContext {
  const caches = new Map<string, ObjectCache<KubeObject>>();
  return {
    config: loadConfig([], { ...ENV, ...env }),
    cache: <T extends KubeObject>(kind: KindRef) => {
      const id = `${kind.apiVersion}/${kind.plural}?${kind.labelSelector ?? ''}`;
      if (!caches.has(id)) caches.set(id, new ObjectCache<KubeObject>());
      return caches.get(id) as unknown as ObjectCache<T>;
    },
    events: { record: () => undefined },
    log: pino({ level: 'silent' }),
  };
}

const watched = (kind: KindRef) => (trainingRunSetup.watches ?? []).find((w) => w.kind === kind);

describe('the TrainingRun controller declaration', () => {
  it('is for TrainingRuns, owns their training Jobs, and watches ModelVersions and Datasets', () => {
    expect(trainingRunSetup.name).toBe('trainingrun');
    expect(trainingRunSetup.for).toEqual(TRAINING_RUNS);
    expect((trainingRunSetup.owns ?? []).map((o) => o.kind)).toEqual([TRAINING_JOBS]);
    expect(TRAINING_JOBS).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      plural: 'jobs',
      scope: 'watched',
      labelSelector: 'app.kubernetes.io/managed-by=bosun-operator,app.kubernetes.io/component=training',
    });
    expect((trainingRunSetup.watches ?? []).map((w) => w.kind)).toEqual([MODEL_VERSIONS, DATASETS]);
  });

  it('builds a reconciler from the operator configuration, in either credentials mode, with or without a trainer image', () => {
    expect(typeof trainingRunSetup.build(context())).toBe('function');
    expect(typeof trainingRunSetup.build(context({ BOSUN_WORKLOAD_CREDENTIALS: 'shared' }))).toBe('function');
    expect(typeof trainingRunSetup.build(context({ BOSUN_TRAINER_IMAGE: '' }))).toBe('function');
  });

  it('maps a training Job to the run that owns it, and another owner’s Job to none', () => {
    const ctx = context();
    const run = aTrainingRun('pets-feb', inNamespace('team-b'), pinnedTo(aPinnedSnapshot()));
    const map = trainingRunSetup.owns?.[0]?.map;
    expect(map?.(aTrainingJob(run), ctx)).toEqual(['team-b/pets-feb']);
    const servingJob = {
      metadata: {
        name: 'x',
        namespace: 'team-b',
        ownerReferences: [
          {
            apiVersion: 'bosun.dev/v1alpha1',
            kind: 'InferenceService',
            name: 'pets-feb',
            uid: 'u',
            controller: true,
          },
        ],
      },
    };
    expect(map?.(servingJob, ctx)).toEqual([]);
  });

  it('maps a ModelVersion to the run that registered it, and a hand-made one to none', () => {
    const ctx = context();
    const map = watched(MODEL_VERSIONS)?.map;
    const run = aTrainingRun('pets-feb', inNamespace('team-b'));
    const registered = renderModelVersion(run, {
      version: 3,
      sha256: 'f'.repeat(64),
      bucket: 'bosun',
      snapshot: aPinnedSnapshot(),
    });
    expect(map?.(registered, ctx)).toEqual(['team-b/pets-feb']);
    expect(map?.(aModelVersion('pets-v1'), ctx)).toEqual([]);
    expect(
      map?.(
        aModelVersion('pets-v2', (mv) => {
          mv.spec.source = { description: 'trained elsewhere' };
        }),
        ctx,
      ),
    ).toEqual([]);
  });

  it('maps a Dataset to the runs of its namespace that wait for one of its snapshots', () => {
    const ctx = context();
    trainingRunSetup.build(ctx);
    const runs = ctx.cache<TrainingRun>(TRAINING_RUNS);
    runs.set(aTrainingRun('waiting-1'));
    runs.set(aTrainingRun('waiting-2'));
    runs.set(aTrainingRun('pinned', pinnedTo()));
    runs.set(aTrainingRun('elsewhere', inNamespace('team-b')));
    runs.set(aTrainingRun('other-data', onDataset('cars')));
    const map = watched(DATASETS)?.map;
    expect(map?.(aDataset('pets'), ctx).sort()).toEqual(['team-a/waiting-1', 'team-a/waiting-2']);
    expect(map?.(aDataset('pets', dsInNamespace('team-b')), ctx)).toEqual(['team-b/elsewhere']);
    expect(map?.(aDataset('dogs'), ctx)).toEqual([]);
    // A run that pins leaves the index: later snapshots do not wake it.
    runs.set(aTrainingRun('waiting-1', pinnedTo()));
    expect(map?.(aDataset('pets'), ctx)).toEqual(['team-a/waiting-2']);
  });
});
