// Builders of a Dataset's data Jobs as the Job controller reports them (a CronJob's or an on-demand
// request's), the termination messages the data jobs leave, and the snapshot versions the store
// lists, for unit tests: a valid object with modifiers, so a test states only what matters to it.
import type { V1Job } from '@kubernetes/client-node';
import {
  type CollectedWindow,
  type CollectResult,
  encodeCollectResult,
  encodeDataJobFailure,
  encodeSnapshotResult,
  type SnapshotResult,
} from '../../../images/data-jobs/job-contract.ts';
import type { PublishedSnapshot, PublishedVariant } from '../../../lib/dataset/published-snapshots.ts';
import { snapshotManifestKey, type Variant } from '../../../lib/store/keys.ts';
import type { Dataset } from '../../../operator/api/dataset.ts';
import {
  collectionCronJobName,
  DATASET_COMPONENTS,
  datasetLabels,
  snapshotCronJobName,
} from '../../../operator/controllers/dataset/names.ts';
import { aJob, withLabels } from './job.ts';
import type { Modifier } from './model-version.ts';

export const SHA_C = 'c'.repeat(64);

/**
 * A Job the Dataset's collection or snapshot CronJob started (`<cronjob>-<n>`): owned by the
 * CronJob, labelled as the CronJob's template labels it, running unless a modifier says otherwise.
 */
export function aDataJob(
  dataset: Dataset,
  kind: 'collection' | 'snapshot',
  n: number,
  ...mods: Modifier<V1Job>[]
): V1Job {
  const cronJob = kind === 'collection' ? collectionCronJobName(dataset) : snapshotCronJobName(dataset);
  return aJob(
    dataset.metadata.namespace as string,
    `${cronJob}-${n}`,
    withLabels(datasetLabels(dataset, DATASET_COMPONENTS[kind])),
    (job) => {
      job.metadata = {
        ...job.metadata,
        creationTimestamp: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString() as never,
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob, uid: `uid-${cronJob}`, controller: true },
        ],
      };
    },
    ...mods,
  );
}

/** Still running after `failed` attempts failed (the Job retries exit 2). */
export const retrying =
  (failed: number): Modifier<V1Job> =>
  (job) => {
    job.status = { active: 1, failed };
  };

export const A_WINDOW: CollectedWindow = {
  start: '2026-01-09T00:00:00Z',
  end: '2026-01-10T00:00:00Z',
  items: 40,
  batch: {
    uri: 's3://bosun/datasets/team-a/pets/batches/20260109T000000Z-20260110T000000Z.jsonl.gz',
    sha256: SHA_C,
  },
};

export function aCollectResult(change: Partial<CollectResult> = {}): CollectResult {
  return {
    ok: true,
    command: 'collect',
    windows: 1,
    items: 40,
    corrupt: 1,
    duplicates: 2,
    lastWindow: A_WINDOW,
    caughtUp: true,
    ...change,
  };
}

/** A successful collect run's termination message. */
export const collected = (change: Partial<CollectResult> = {}): string =>
  encodeCollectResult(aCollectResult(change));

/** A successful snapshot run's termination message. */
export function snapshotBuilt(version: string, change: Partial<SnapshotResult> = {}): string {
  const base = `s3://bosun/datasets/team-a/pets/snapshots/${version}`;
  return encodeSnapshotResult({
    ok: true,
    command: 'snapshot',
    version,
    parent: null,
    rejected: false,
    variants: {
      full: {
        items: 120,
        labels: 2,
        manifest: { uri: `${base}/full.jsonl.gz`, sha256: SHA_C },
        summary: `${base}/full.json`,
        rejected: false,
        reasons: [],
      },
    },
    card: `${base}/README.md`,
    ...change,
  });
}

/** A failed data job's termination message: `<Reason>: <message>`. */
export const failedWith = (reason: string, message: string): string => encodeDataJobFailure(reason, message);

export interface PublishedOptions {
  namespace?: string;
  dataset?: string;
  /** Items per variant; a variant not named is not built. */
  items?: Partial<Record<Variant, number>>;
  /** Variants that failed a quality gate, with their reasons. */
  rejected?: Partial<Record<Variant, string[]>>;
  publishedAt?: string;
}

/** A published snapshot version as the store lists it (team-a/pets unless told). */
export function aPublishedSnapshot(version: string, options: PublishedOptions = {}): PublishedSnapshot {
  const namespace = options.namespace ?? 'team-a';
  const dataset = options.dataset ?? 'pets';
  const items = options.items ?? { verified: 80, full: 120 };
  const time = `${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}T${version.slice(9, 11)}:${version.slice(11, 13)}:${version.slice(13, 15)}.000Z`;
  const variants = (['verified', 'full'] as const).flatMap((variant): PublishedVariant[] => {
    const count = items[variant];
    if (count === undefined) return [];
    const reasons = options.rejected?.[variant];
    return [
      {
        variant,
        items: count,
        verified: variant === 'verified' ? count : Math.floor(count / 2),
        labels: { cat: count - Math.floor(count / 2), dog: Math.floor(count / 2) },
        distinctLabels: 2,
        manifest: {
          uri: `s3://bosun/${snapshotManifestKey(namespace, dataset, version, variant)}`,
          sha256: SHA_C,
        },
        rejected: reasons !== undefined,
        reasons: reasons ?? [],
        time,
        parent: null,
      },
    ];
  });
  return {
    version,
    publishedAt: options.publishedAt ?? new Date(Date.parse(time) + 60_000).toISOString(),
    variants,
  };
}
