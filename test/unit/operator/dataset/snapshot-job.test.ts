import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseSnapshotConfig, SNAPSHOT_ENV } from '../../../../images/data-jobs/job-contract.ts';
import { datasetOf } from '../../../../operator/controllers/dataset/controller.ts';
import type { DataJobConfig } from '../../../../operator/controllers/dataset/data-job-template.ts';
import {
  observedRequest,
  SNAPSHOT_REQUEST_ANNOTATION,
  SNAPSHOT_VERSION_LABEL,
} from '../../../../operator/controllers/dataset/names.ts';
import {
  renderSnapshotJob,
  type SnapshotRequest,
} from '../../../../operator/controllers/dataset/snapshot-job.ts';
import { aDataset } from '../../gen/dataset.ts';

const CONFIG: DataJobConfig = {
  image: 'registry.example/bosun/data-jobs:1',
  imagePullPolicy: 'IfNotPresent',
  store: { endpoint: 'http://minio:9000', bucket: 'bosun', region: 'us-east-1' },
  credentialsSecret: 'pets-data-jobs-store',
  sessionToken: true,
  ttlSecondsAfterFinished: 3600,
};
const REQUEST: SnapshotRequest = {
  value: '2026-02-14 retrain',
  version: '20260214-101500',
  time: '2026-02-14T10:15:00Z',
  parent: '20260201-030000',
};
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const envOf = (job: V1Job) => job.spec?.template.spec?.containers[0]?.env ?? [];
const value = (job: V1Job, name: string) => envOf(job).find((e) => e.name === name)?.value;

describe('the Job of an on-demand snapshot request', () => {
  const pets = aDataset('pets');

  it('is named by the request value alone: the same value always names the same Job', () => {
    const first = renderSnapshotJob(pets, REQUEST, CONFIG);
    // A reconcile after a crash picks a later version for the same value; the name must not move.
    const replayed = renderSnapshotJob(
      pets,
      { ...REQUEST, version: '20260214-101731', time: '2026-02-14T10:17:31Z' },
      CONFIG,
    );
    const other = renderSnapshotJob(pets, { ...REQUEST, value: '2026-02-15 retrain' }, CONFIG);
    expect(replayed.metadata?.name).toBe(first.metadata?.name);
    expect(other.metadata?.name).not.toBe(first.metadata?.name);
    expect(first.metadata?.name).toMatch(/^pets-snapshot-[0-9a-f]+$/);
  });

  it('fits the 63 characters of a Job name for the longest Dataset name, whatever the value', () => {
    const longest = aDataset('d'.repeat(40));
    for (const v of ['x', 'a'.repeat(256), 'Ünïcode / spaces & symbols']) {
      const name = renderSnapshotJob(longest, { ...REQUEST, value: v }, CONFIG).metadata?.name as string;
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS_LABEL);
    }
  });

  it('builds the version it was given, at its time, after its parent', () => {
    const job = renderSnapshotJob(pets, REQUEST, CONFIG);
    expect(job.spec?.template.spec?.containers[0]?.args).toEqual(['snapshot']);
    expect(value(job, SNAPSHOT_ENV.version)).toBe('20260214-101500');
    expect(value(job, SNAPSHOT_ENV.time)).toBe('2026-02-14T10:15:00Z');
    expect(value(job, SNAPSHOT_ENV.parent)).toBe('20260201-030000');
    const { parent: _, ...first } = REQUEST;
    expect(envOf(renderSnapshotJob(pets, first, CONFIG)).map((e) => e.name)).not.toContain(
      SNAPSHOT_ENV.parent,
    );
  });

  it('is read by the snapshot job as an on-demand run of that version', () => {
    const job = renderSnapshotJob(pets, REQUEST, CONFIG);
    const env = Object.fromEntries(
      envOf(job).map((e: V1EnvVar) => [
        e.name,
        e.value ?? (e.valueFrom?.fieldRef ? 'team-a' : 'from-a-secret'),
      ]),
    );
    expect(parseSnapshotConfig(env)).toMatchObject({
      namespace: 'team-a',
      dataset: 'pets',
      version: REQUEST.version,
      time: new Date(REQUEST.time),
      parent: REQUEST.parent,
      scheduled: false,
    });
  });

  it('records the value and the version on itself, and belongs to the Dataset', () => {
    const job = renderSnapshotJob(pets, REQUEST, CONFIG);
    expect(job.metadata?.annotations).toEqual({ [SNAPSHOT_REQUEST_ANNOTATION]: REQUEST.value });
    expect(job.metadata?.labels?.[SNAPSHOT_VERSION_LABEL]).toBe(REQUEST.version);
    expect(job.metadata?.labels?.['app.kubernetes.io/component']).toBe('dataset-snapshot');
    expect(job.spec?.template.metadata?.labels).toEqual(job.metadata?.labels);
    expect(job.metadata?.namespace).toBe('team-a');
    expect(job.metadata?.ownerReferences).toMatchObject([
      { kind: 'Dataset', name: 'pets', uid: 'uid-pets', controller: true },
    ]);
    expect(datasetOf(job)).toEqual(['team-a/pets']);
  });
});

describe('the request value recorded in status', () => {
  it('is the value itself up to the 256 characters status holds, else its digest', () => {
    expect(observedRequest('2026-12-01')).toBe('2026-12-01');
    expect(observedRequest('x'.repeat(256))).toBe('x'.repeat(256));
    const long = observedRequest('x'.repeat(5000));
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(long.length).toBeLessThanOrEqual(256);
    expect(observedRequest('x'.repeat(5000))).toBe(long);
  });
});
