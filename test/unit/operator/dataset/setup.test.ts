import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../operator/config.ts';
import { renderCronJobs } from '../../../../operator/controllers/dataset/cronjobs.ts';
import { DATASET_CHILDREN_SELECTOR } from '../../../../operator/controllers/dataset/names.ts';
import { renderServiceAccount } from '../../../../operator/controllers/dataset/service-account.ts';
import { datasetSetup } from '../../../../operator/controllers/dataset/setup.ts';
import { renderSnapshotJob } from '../../../../operator/controllers/dataset/snapshot-job.ts';
import {
  dataJobsStoreScope,
  renderStoreCredentialsSecret,
} from '../../../../operator/controllers/dataset/store-credentials.ts';
import { DATASETS, MODEL_VERSIONS, SECRETS } from '../../../../operator/controllers/shared/kinds.ts';
import type { KindRef, SetupContext } from '../../../../operator/runtime/controller-setup.ts';
import type { KubeObject } from '../../../../operator/runtime/kube-object.ts';
import { ObjectCache } from '../../../../operator/runtime/object-cache.ts';
import { aDataset, inNamespace, withCollection, withSnapshotSchedule } from '../../gen/dataset.ts';
import { aDataJob } from '../../gen/dataset-jobs.ts';
import { aModelVersion, inNamespace as mvInNamespace } from '../../gen/model-version.ts';

const ENV = {
  POD_NAMESPACE: 'bosun-system',
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_ACCESS_KEY: 'ak',
  BOSUN_STORE_SECRET_KEY: 'sk',
  BOSUN_OPERATOR_IMAGE: 'registry.example/bosun/operator:1',
  BOSUN_DATA_JOBS_IMAGE: 'registry.example/bosun/data-jobs:1',
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

const declared = (plural: string) =>
  [...(datasetSetup.owns ?? []), ...(datasetSetup.watches ?? [])].find((w) => w.kind.plural === plural);
const CONFIG = {
  image: 'i',
  imagePullPolicy: 'IfNotPresent' as const,
  store: { endpoint: 'http://minio:9000', bucket: 'bosun', region: 'us-east-1' },
  credentialsSecret: 's',
  sessionToken: true,
  ttlSecondsAfterFinished: 60,
};

describe('the Dataset controller declaration', () => {
  it('is for Datasets, owns their CronJobs, Jobs, ServiceAccounts and Secrets, and watches ModelVersions', () => {
    expect(datasetSetup.name).toBe('dataset');
    expect(datasetSetup.for).toEqual(DATASETS);
    expect((datasetSetup.owns ?? []).map((o) => [o.kind.kind, o.kind.scope, o.kind.labelSelector])).toEqual([
      ['CronJob', 'watched', DATASET_CHILDREN_SELECTOR],
      ['Job', 'watched', DATASET_CHILDREN_SELECTOR],
      ['ServiceAccount', 'watched', DATASET_CHILDREN_SELECTOR],
      ['Secret', 'watched', undefined],
    ]);
    expect(declared('secrets')?.kind).toEqual(SECRETS);
    expect((datasetSetup.watches ?? []).map((w) => w.kind)).toEqual([MODEL_VERSIONS]);
  });

  it('builds a reconciler from the operator configuration, in either credentials mode', () => {
    expect(typeof datasetSetup.build(context())).toBe('function');
    expect(typeof datasetSetup.build(context({ BOSUN_WORKLOAD_CREDENTIALS: 'shared' }))).toBe('function');
  });

  it('maps every child back to its Dataset by labels, a CronJob’s Job included', () => {
    const ctx = context();
    datasetSetup.build(ctx);
    const pets = aDataset(
      'pets',
      inNamespace('team-b'),
      withCollection('@daily'),
      withSnapshotSchedule('@monthly'),
    );
    const [collect] = renderCronJobs(pets, CONFIG);
    // Started by the CronJob, so owned by it: only its labels name the Dataset.
    const cronJobsJob = aDataJob(pets, 'collection', 29_456_640);
    expect(cronJobsJob.metadata?.ownerReferences?.[0]?.kind).toBe('CronJob');
    const secret = renderStoreCredentialsSecret(
      pets,
      {
        accessKeyId: 'a',
        secretAccessKey: 'b',
        sessionToken: 'c',
        expiration: new Date('2026-01-01T12:00:00Z'),
      },
      dataJobsStoreScope(pets, 'bosun'),
    );
    const onDemand = renderSnapshotJob(
      pets,
      { value: 'x', version: '20260101-000000', time: '2026-01-01T00:00:00Z' },
      CONFIG,
    );
    expect(declared('cronjobs')?.map(collect as KubeObject, ctx)).toEqual(['team-b/pets']);
    expect(declared('jobs')?.map(cronJobsJob, ctx)).toEqual(['team-b/pets']);
    expect(declared('jobs')?.map(onDemand, ctx)).toEqual(['team-b/pets']);
    expect(declared('serviceaccounts')?.map(renderServiceAccount(pets), ctx)).toEqual(['team-b/pets']);
    expect(declared('secrets')?.map(secret, ctx)).toEqual(['team-b/pets']);
    // A user's Secret, or another kind's child of the same name, is no Dataset's.
    expect(declared('secrets')?.map({ metadata: { name: 'pets-db', namespace: 'team-b' } }, ctx)).toEqual([]);
    const servingChild = {
      metadata: {
        name: 'pets',
        namespace: 'team-b',
        labels: { 'app.kubernetes.io/instance': 'pets', 'bosun.dev/owner-kind': 'inferenceservice' },
      },
    };
    expect(declared('jobs')?.map(servingChild, ctx)).toEqual([]);
  });

  it('maps a ModelVersion to the Dataset it was trained on, in its own namespace', () => {
    const ctx = context();
    datasetSetup.build(ctx);
    const trained = (name: string, ...mods: ((mv: ReturnType<typeof aModelVersion>) => void)[]) =>
      aModelVersion(
        name,
        (mv) => {
          mv.spec.source = {
            dataset: {
              name: 'pets',
              snapshot: '20260101-000000',
              variant: 'full',
              manifestSha256: 'e'.repeat(64),
            },
          };
        },
        ...mods,
      );
    const map = declared('modelversions')?.map;
    expect(map?.(trained('pets-v1'), ctx)).toEqual(['team-a/pets']);
    expect(map?.(trained('pets-v1', mvInNamespace('team-c')), ctx)).toEqual(['team-c/pets']);
    expect(map?.(aModelVersion('imported-v1'), ctx)).toEqual([]);
    expect(
      map?.(
        aModelVersion('manual-v1', (mv) => {
          mv.spec.source = { description: 'trained elsewhere' };
        }),
        ctx,
      ),
    ).toEqual([]);
  });
});
