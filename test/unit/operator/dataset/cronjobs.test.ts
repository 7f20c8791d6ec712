import type { V1Container, V1CronJob, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  DATA_JOB_ENV,
  EXIT,
  parseCollectConfig,
  parseSnapshotConfig,
  sourceEnv,
} from '../../../../images/data-jobs/job-contract.ts';
import { DEFAULT_TIME_ZONE } from '../../../../operator/api/common.ts';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import { datasetOf } from '../../../../operator/controllers/dataset/controller.ts';
import {
  renderCronJobs,
  STARTING_DEADLINE_SECONDS,
} from '../../../../operator/controllers/dataset/cronjobs.ts';
import {
  DATA_JOB_CONTAINER,
  type DataJobConfig,
} from '../../../../operator/controllers/dataset/data-job-template.ts';
import { DATASET_CHILDREN_SELECTOR } from '../../../../operator/controllers/dataset/names.ts';
import { renderServiceAccount } from '../../../../operator/controllers/dataset/service-account.ts';
import {
  aDataset,
  anHttpSource,
  anS3Source,
  aPostgresSource,
  withCollection,
  withGold,
  withSnapshotSchedule,
  withSources,
} from '../../gen/dataset.ts';
import { collectionSuspended } from '../../gen/dataset-state.ts';

const CONFIG: DataJobConfig = {
  image: 'registry.example/bosun/data-jobs:1',
  imagePullPolicy: 'IfNotPresent',
  store: { endpoint: 'http://minio.bosun-system:9000', bucket: 'bosun', region: 'us-east-1' },
  credentialsSecret: 'pets-data-jobs-store',
  sessionToken: true,
  ttlSecondsAfterFinished: 3600,
};

const scheduled = (...mods: Parameters<typeof aDataset>[1][]) =>
  aDataset('pets', withCollection('0 2 * * *', 'Europe/Berlin'), withSnapshotSchedule('0 3 1 * *'), ...mods);
const byName = (cronJobs: V1CronJob[], name: string) =>
  cronJobs.find((c) => c.metadata?.name === name) as V1CronJob;
const containerOf = (c: V1CronJob) => c.spec?.jobTemplate.spec?.template.spec?.containers[0] as V1Container;
const envOf = (c: V1CronJob) => containerOf(c).env ?? [];
const envNamed = (c: V1CronJob, name: string) => envOf(c).find((e) => e.name === name);

/** Whether `labels` match every `key=value` term of a label selector. */
const selects = (selector: string, labels: Record<string, string> | undefined) =>
  selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string];
    return labels?.[k] === v;
  });

/** The environment a Pod of the template would see: Secret references replaced by a placeholder. */
function podEnvironment(c: V1CronJob, namespace: string): Record<string, string> {
  return Object.fromEntries(
    envOf(c).map((e: V1EnvVar) => [
      e.name,
      e.value ?? (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? namespace : 'from-a-secret'),
    ]),
  );
}

describe('the CronJobs of a Dataset', () => {
  it('are none without spec.collection and without a snapshot schedule', () => {
    expect(renderCronJobs(aDataset('pets'), CONFIG)).toEqual([]);
  });

  it('are one per schedule, named after the Dataset, owned by it', () => {
    expect(
      renderCronJobs(aDataset('pets', withCollection('@daily')), CONFIG).map((c) => c.metadata?.name),
    ).toEqual(['pets-collect']);
    expect(
      renderCronJobs(aDataset('pets', withSnapshotSchedule('@monthly')), CONFIG).map((c) => c.metadata?.name),
    ).toEqual(['pets-snapshot']);
    const both = renderCronJobs(scheduled(), CONFIG);
    expect(both.map((c) => [c.metadata?.name, c.metadata?.namespace, c.spec?.schedule])).toEqual([
      ['pets-collect', 'team-a', '0 2 * * *'],
      ['pets-snapshot', 'team-a', '0 3 1 * *'],
    ]);
    for (const c of both)
      expect(c.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'bosun.dev/v1alpha1',
          kind: 'Dataset',
          name: 'pets',
          uid: 'uid-pets',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
  });

  it("label the Jobs and Pods they start with the Dataset's labels, so each maps back to it", () => {
    for (const c of renderCronJobs(scheduled(), CONFIG)) {
      const jobLabels = c.spec?.jobTemplate.metadata?.labels;
      expect(jobLabels).toEqual(c.metadata?.labels);
      expect(c.spec?.jobTemplate.spec?.template.metadata?.labels).toEqual(jobLabels);
      // The operator's Job cache selects by these, and a Job the CronJob starts is owned by the
      // CronJob, not the Dataset: only its labels lead back.
      expect(selects(DATASET_CHILDREN_SELECTOR, jobLabels)).toBe(true);
      const startedJob = {
        metadata: { name: `${c.metadata?.name}-29400000`, namespace: 'team-a', labels: jobLabels },
      };
      expect(datasetOf(startedJob)).toEqual(['team-a/pets']);
    }
    const [collect, snapshot] = renderCronJobs(scheduled(), CONFIG);
    expect(collect?.metadata?.labels?.['app.kubernetes.io/component']).toBe('dataset-collection');
    expect(snapshot?.metadata?.labels?.['app.kubernetes.io/component']).toBe('dataset-snapshot');
  });

  it('never overlap, skip a run that could not start in time, and keep a short history', () => {
    for (const c of renderCronJobs(scheduled(), CONFIG)) {
      expect(c.spec?.concurrencyPolicy).toBe('Forbid');
      expect(c.spec?.startingDeadlineSeconds).toBe(STARTING_DEADLINE_SECONDS);
      expect(c.spec?.successfulJobsHistoryLimit).toBeGreaterThan(0);
      expect(c.spec?.failedJobsHistoryLimit).toBeGreaterThan(0);
    }
  });

  it("read the schedule in the spec's time zone, UTC when it has none", () => {
    const given = renderCronJobs(scheduled(withSnapshotSchedule('@monthly', 'Asia/Tokyo')), CONFIG);
    expect(given.map((c) => c.spec?.timeZone)).toEqual(['Europe/Berlin', 'Asia/Tokyo']);
    // A spec without the API server's defaults (from another tool, or an older CRD).
    const none = scheduled((d: Dataset) => {
      for (const s of [d.spec.collection, d.spec.snapshot] as { timeZone?: string }[]) delete s.timeZone;
    });
    expect(renderCronJobs(none, CONFIG).map((c) => c.spec?.timeZone)).toEqual([
      DEFAULT_TIME_ZONE,
      DEFAULT_TIME_ZONE,
    ]);
    expect(DEFAULT_TIME_ZONE).toBe('Etc/UTC');
  });

  it('suspend collection with spec.collection.suspend, and only collection', () => {
    const running = renderCronJobs(scheduled(), CONFIG);
    expect(running.map((c) => c.spec?.suspend)).toEqual([false, false]);
    const paused = renderCronJobs(scheduled(collectionSuspended), CONFIG);
    expect(byName(paused, 'pets-collect').spec?.suspend).toBe(true);
    expect(byName(paused, 'pets-snapshot').spec?.suspend).toBe(false);
  });

  it('run the data-jobs image with one command each, as a restricted Pod without API access', () => {
    const cronJobs = renderCronJobs(scheduled(), CONFIG);
    expect(cronJobs.map((c) => containerOf(c).args)).toEqual([['collect'], ['snapshot']]);
    for (const c of cronJobs) {
      const pod = c.spec?.jobTemplate.spec?.template.spec;
      const container = containerOf(c);
      expect(container.name).toBe(DATA_JOB_CONTAINER);
      expect(container.image).toBe(CONFIG.image);
      expect(container.imagePullPolicy).toBe('IfNotPresent');
      expect(pod?.restartPolicy).toBe('Never');
      expect(pod?.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      // Its own ServiceAccount, and no token of it: the jobs never call the Kubernetes API.
      expect(pod?.serviceAccountName).toBe(renderServiceAccount(scheduled()).metadata?.name);
      expect(pod?.automountServiceAccountToken).toBe(false);
      // The only writable place is an emptyDir.
      expect(pod?.volumes?.every((v) => v.emptyDir)).toBe(true);
      expect(container.volumeMounts?.map((m) => m.mountPath)).toEqual(['/tmp']);
      expect(c.spec?.jobTemplate.spec?.ttlSecondsAfterFinished).toBe(3600);
    }
  });

  it("give the jobs the Dataset's name, namespace and stored spec as JSON", () => {
    const dataset = scheduled(withGold('s3://bosun/imports/team-a/gold/'));
    for (const c of renderCronJobs(dataset, CONFIG)) {
      expect(envNamed(c, DATA_JOB_ENV.dataset)?.value).toBe('pets');
      expect(envNamed(c, DATA_JOB_ENV.namespace)?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
      expect(JSON.parse(envNamed(c, DATA_JOB_ENV.datasetSpec)?.value ?? '')).toEqual(dataset.spec);
    }
  });

  it('are read by the data jobs as they are rendered', () => {
    const dataset = scheduled(
      withGold('s3://bosun/imports/team-a/gold/'),
      withSources(aPostgresSource('feedback')),
    );
    const [collect, snapshot] = renderCronJobs(dataset, CONFIG) as [V1CronJob, V1CronJob];
    const collectConfig = parseCollectConfig(podEnvironment(collect, 'team-a'));
    expect(collectConfig).toMatchObject({ namespace: 'team-a', dataset: 'pets', spec: dataset.spec });
    expect(collectConfig.store).toMatchObject({
      endpoint: CONFIG.store.endpoint,
      bucket: 'bosun',
      region: 'us-east-1',
    });
    // A scheduled snapshot is given no version: it takes its schedule's latest tick.
    const now = { [DATA_JOB_ENV.now]: '2026-02-01T03:00:30Z' };
    expect(parseSnapshotConfig({ ...podEnvironment(snapshot, 'team-a'), ...now })).toMatchObject({
      version: '20260201-030000',
      scheduled: true,
    });
  });

  it('read the store with the configured Secret, with a session token only under sts', () => {
    const sts = renderCronJobs(scheduled(), CONFIG);
    const shared = renderCronJobs(scheduled(), {
      ...CONFIG,
      credentialsSecret: 'bosun-store',
      sessionToken: false,
    });
    const storeEnv = (c: V1CronJob) =>
      envOf(c)
        .filter((e) => e.name.startsWith('BOSUN_STORE_'))
        .map((e) => [
          e.name,
          e.value ?? `${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}`,
        ]);
    expect(storeEnv(sts[0] as V1CronJob)).toEqual([
      ['BOSUN_STORE_ENDPOINT', 'http://minio.bosun-system:9000'],
      ['BOSUN_STORE_BUCKET', 'bosun'],
      ['BOSUN_STORE_REGION', 'us-east-1'],
      ['BOSUN_STORE_ACCESS_KEY', 'pets-data-jobs-store/accessKeyId'],
      ['BOSUN_STORE_SECRET_KEY', 'pets-data-jobs-store/secretAccessKey'],
      ['BOSUN_STORE_SESSION_TOKEN', 'pets-data-jobs-store/sessionToken'],
    ]);
    expect(storeEnv(shared[1] as V1CronJob)).toEqual([
      ['BOSUN_STORE_ENDPOINT', 'http://minio.bosun-system:9000'],
      ['BOSUN_STORE_BUCKET', 'bosun'],
      ['BOSUN_STORE_REGION', 'us-east-1'],
      ['BOSUN_STORE_ACCESS_KEY', 'bosun-store/accessKeyId'],
      ['BOSUN_STORE_SECRET_KEY', 'bosun-store/secretAccessKey'],
    ]);
  });

  it("pass every source's and gold's Secret as the variables the data jobs read, never their values", () => {
    const dataset = scheduled(
      withGold('s3://partner/gold/', { credentialsSecret: { name: 'partner-gold' } }),
      withSources(
        aPostgresSource('feedback', (p) => {
          p.images = { uri: 's3://lab/served/', credentialsSecret: { name: 'lab-images' } };
        }),
        anS3Source('uploads', 's3://partner/incoming/', { credentialsSecret: { name: 'partner-uploads' } }),
        anHttpSource('partner', { url: 'https://partner.example/1.jpg', label: 'cat' }),
        (() => {
          const http = anHttpSource('api', { url: 'https://api.example/2.jpg', label: 'dog' });
          if (http.http) http.http.headersSecret = { name: 'api-headers' };
          return http;
        })(),
      ),
    );
    const [collect] = renderCronJobs(dataset, CONFIG) as [V1CronJob];
    const ref = (name: string) => {
      const r = envNamed(collect, name)?.valueFrom?.secretKeyRef;
      return r && `${r.name}/${r.key}`;
    };
    expect(ref(DATA_JOB_ENV.goldAccessKeyId)).toBe('partner-gold/accessKeyId');
    expect(ref(DATA_JOB_ENV.goldSecretAccessKey)).toBe('partner-gold/secretAccessKey');
    expect(ref(sourceEnv(0).url)).toBe('feedback-db/url');
    expect(ref(sourceEnv(0).accessKeyId)).toBe('lab-images/accessKeyId');
    expect(ref(sourceEnv(0).secretAccessKey)).toBe('lab-images/secretAccessKey');
    expect(ref(sourceEnv(1).url)).toBeUndefined();
    expect(ref(sourceEnv(1).accessKeyId)).toBe('partner-uploads/accessKeyId');
    expect(ref(sourceEnv(1).secretAccessKey)).toBe('partner-uploads/secretAccessKey');
    // An http source without headers has no variable; one with headers gets all of its Secret's keys.
    expect(envOf(collect).some((e) => e.name.startsWith('BOSUN_SOURCE_2_'))).toBe(false);
    expect(containerOf(collect).envFrom).toEqual([
      { prefix: sourceEnv(3).headerPrefix, secretRef: { name: 'api-headers' } },
    ]);
    const names = envOf(collect).map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    // Whatever comes from a Secret is a reference: no credential is written into the CronJob.
    for (const e of envOf(collect).filter((e) => /URL$|KEY_ID$|ACCESS_KEY$|SECRET_KEY$|TOKEN$/.test(e.name)))
      expect([e.name, e.value]).toEqual([e.name, undefined]);
  });

  it('have no envFrom without an http source with headers', () => {
    expect(containerOf(renderCronJobs(scheduled(), CONFIG)[0] as V1CronJob).envFrom).toBeUndefined();
  });

  it('fail a Job at once on exit 1 (the same run would fail the same way) and retry other failures', () => {
    for (const c of renderCronJobs(scheduled(), CONFIG)) {
      const spec = c.spec?.jobTemplate.spec;
      expect(spec?.podFailurePolicy?.rules).toContainEqual({
        action: 'FailJob',
        onExitCodes: { containerName: DATA_JOB_CONTAINER, operator: 'In', values: [EXIT.USER_ERROR] },
      });
      expect(EXIT.USER_ERROR).toBe(1);
      // Eviction and preemption are not the job's failures.
      expect(spec?.podFailurePolicy?.rules).toContainEqual({
        action: 'Ignore',
        onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }],
      });
      expect(spec?.backoffLimit).toBeGreaterThan(0);
      expect(spec?.activeDeadlineSeconds).toBeGreaterThan(0);
    }
  });
});
