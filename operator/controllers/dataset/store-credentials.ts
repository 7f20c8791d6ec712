// The store credentials a Dataset's data jobs read, under --workload-credentials=sts: one Secret per
// Dataset (`<dataset>-data-jobs-store`), holding STS credentials scoped to what its jobs touch, as
// pure functions — the scope, the Secret, and when it is due for renewal. A CronJob's Jobs share
// one Pod template, so they cannot each be given a Secret of their own as a TrainingRun's Job is;
// the Secret is renewed instead while it still has RENEW_BEFORE_MS left (decision 0015).
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { blobsPrefix, datasetPrefix, importsPrefix, tenantPrefixes } from '../../../lib/store/keys.ts';
import { locate } from '../../../lib/store/location.ts';
import type { SessionPolicyScope } from '../../../lib/store/policy.ts';
import type { ScopedCredentials } from '../../../lib/store/sts.ts';
import type { Dataset } from '../../api/dataset.ts';
import {
  CREDENTIALS_EXPIRE_AT_ANNOTATION,
  renderCredentialsSecret,
} from '../shared/scoped-credentials-secret.ts';
import { DATA_JOB_DEADLINE_SECONDS } from './data-job-template.ts';
import { DATASET_COMPONENTS, dataJobsStoreSecretName, datasetLabels } from './names.ts';

/** How long minted credentials live: the longest session AWS and MinIO allow. */
export const CREDENTIALS_SESSION_SECONDS = 12 * 3600;
/**
 * Renewed while this much is left, so a Job started from the Secret just before a renewal still
 * outlives its deadline: half the session, more than DATA_JOB_DEADLINE_SECONDS.
 */
export const RENEW_BEFORE_MS = (CREDENTIALS_SESSION_SECONDS / 2) * 1000;
/** On the Secret: a digest of the scope its credentials were minted for; a new scope mints anew. */
export const CREDENTIALS_SCOPE_ANNOTATION = 'bosun.dev/credentials-scope';

if (RENEW_BEFORE_MS <= DATA_JOB_DEADLINE_SECONDS * 1000)
  throw new Error('credentials must outlive a data job started just before their renewal');

/**
 * Writes: the Dataset's own folder (batches, snapshots, gold indexes) and the namespace's blobs.
 * Reads: the namespace's imports and every location of the spec in the operator's bucket (the spec
 * check has already refused one outside the namespace). Other buckets are read with the
 * credentials of their own Secret.
 */
export function dataJobsStoreScope(dataset: Dataset, bucket: string): SessionPolicyScope {
  const namespace = dataset.metadata.namespace as string;
  const tenancy = { namespace, operatorBucket: bucket };
  const locations = [
    { location: dataset.spec.gold, scope: 'prefix' as const },
    ...(dataset.spec.sources ?? []).flatMap((s) => [
      { location: s.s3, scope: 'prefix' as const },
      { location: s.postgres?.images, scope: 'keyBase' as const },
    ]),
  ];
  const read = locations
    .flatMap(({ location, scope }) => {
      const located = location && locate('location', location, scope, tenancy);
      return located?.ok && located.own ? [located.key] : [];
    })
    // A postgres source's images may be keyed from the bucket root or a folder above the
    // namespace's prefixes (the inference server logs whole keys): then the namespace's own
    // prefixes under it are what its keys can name.
    .flatMap((prefix) => {
      const own = tenantPrefixes(namespace).filter((p) => p.startsWith(prefix));
      return own.length > 0 ? own : [prefix];
    });
  return {
    bucket,
    write: [datasetPrefix(namespace, dataset.metadata.name as string), blobsPrefix(namespace)],
    read: [importsPrefix(namespace), ...read],
  };
}

export function scopeDigest(scope: SessionPolicyScope): string {
  return createHash('sha256').update(JSON.stringify(scope)).digest('hex').slice(0, 16);
}

export function renderStoreCredentialsSecret(
  dataset: Dataset,
  credentials: ScopedCredentials,
  scope: SessionPolicyScope,
): V1Secret {
  return renderCredentialsSecret({
    name: dataJobsStoreSecretName(dataset),
    owner: dataset,
    credentials,
    labels: datasetLabels(dataset, DATASET_COMPONENTS.dataJobs),
    annotations: { [CREDENTIALS_SCOPE_ANNOTATION]: scopeDigest(scope) },
  });
}

/**
 * When the Secret must be minted anew: now (`0`) when it is missing, for another scope, or has
 * less than RENEW_BEFORE_MS left; else the milliseconds until it will.
 */
export function renewalDueInMs(secret: V1Secret | undefined, scope: SessionPolicyScope, now: Date): number {
  const annotations = secret?.metadata?.annotations ?? {};
  if (annotations[CREDENTIALS_SCOPE_ANNOTATION] !== scopeDigest(scope)) return 0;
  const expires = Date.parse(annotations[CREDENTIALS_EXPIRE_AT_ANNOTATION] ?? '');
  if (Number.isNaN(expires)) return 0;
  return Math.max(0, expires - RENEW_BEFORE_MS - now.getTime());
}
