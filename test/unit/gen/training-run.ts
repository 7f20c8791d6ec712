// Builders of TrainingRuns (as the API server returns them, defaults filled in), the status an
// earlier reconcile wrote, the Dataset status a run resolves against, and the run's training Job
// and Pods, for unit tests: a valid object with modifiers, so a test states only what matters to it.
import type { V1Job, V1JobStatus, V1Pod } from '@kubernetes/client-node';
import type { Condition } from '../../../operator/api/common.ts';
import type { Dataset, SnapshotStatus } from '../../../operator/api/dataset.ts';
import type { TrainingRun, TrainingRunSpec, TrainingRunStatus } from '../../../operator/api/training-run.ts';
import { trainingJobName } from '../../../operator/controllers/training-run/names.ts';
import { CONDITION_SUCCEEDED } from '../../../operator/controllers/training-run/reasons.ts';
import type { PinnedSnapshot } from '../../../operator/controllers/training-run/resolve-snapshot.ts';
import {
  renderTrainingJob,
  type TrainingJobConfig,
} from '../../../operator/controllers/training-run/training-job.ts';
import type { Modifier } from './model-version.ts';

export const SHA_M = 'd'.repeat(64);
export const V1 = '20260101-030000';
export const V2 = '20260201-030000';

export const TRAINING_JOB_CONFIG: TrainingJobConfig = {
  trainerImage: 'registry.example/bosun/trainer:1',
  imagePullPolicy: 'IfNotPresent',
  store: { endpoint: 'http://minio.bosun-system:9000', bucket: 'bosun', region: 'us-east-1' },
};

/** An image-classification run of model `pets` on the latest verified snapshot of Dataset pets, in team-a. */
export function aTrainingRun(name: string, ...mods: Modifier<TrainingRun>[]): TrainingRun {
  const run: TrainingRun = {
    apiVersion: 'bosun.dev/v1alpha1',
    kind: 'TrainingRun',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: '2026-02-01T00:00:00Z' as never,
    },
    spec: {
      dataset: { name: 'pets', snapshot: 'latest', variant: 'verified' },
      trainer: { builtin: { task: 'image-classification' } },
      backoffLimit: 1,
      model: { name: 'pets' },
    },
  };
  for (const mod of mods) mod(run);
  return run;
}

export const inNamespace =
  (namespace: string): Modifier<TrainingRun> =>
  (run) => {
    run.metadata.namespace = namespace;
  };

export const ofModel =
  (model: string): Modifier<TrainingRun> =>
  (run) => {
    run.spec.model = { name: model };
  };

export const onDataset =
  (name: string): Modifier<TrainingRun> =>
  (run) => {
    run.spec.dataset = { ...run.spec.dataset, name };
  };

export const onSnapshot =
  (snapshot: string, variant: 'verified' | 'full' = 'verified'): Modifier<TrainingRun> =>
  (run) => {
    run.spec.dataset = { ...run.spec.dataset, snapshot, variant };
  };

export const builtin =
  (builtinTrainer: NonNullable<TrainingRunSpec['trainer']['builtin']>): Modifier<TrainingRun> =>
  (run) => {
    run.spec.trainer = { builtin: builtinTrainer };
  };

export const inContainer =
  (container: NonNullable<TrainingRunSpec['trainer']['container']>): Modifier<TrainingRun> =>
  (run) => {
    run.spec.trainer = { container };
  };

export const withPromotion =
  (promotion: NonNullable<TrainingRunSpec['promotion']>): Modifier<TrainingRun> =>
  (run) => {
    run.spec.promotion = promotion;
  };

/** Any other spec fields (scheduling, limits, resources). */
export const withSpec =
  (spec: Partial<TrainingRunSpec>): Modifier<TrainingRun> =>
  (run) => {
    run.spec = { ...run.spec, ...structuredClone(spec) };
  };

export const deletingRun: Modifier<TrainingRun> = (run) => {
  run.metadata.deletionTimestamp = '2026-02-02T00:00:00Z' as never;
};

/** Status as an earlier reconcile wrote it. */
export const withRunStatus =
  (status: TrainingRunStatus): Modifier<TrainingRun> =>
  (run) => {
    run.status = { ...run.status, ...structuredClone(status) };
  };

/** A snapshot as the run pins it (team-a/pets unless told). */
export function aPinnedSnapshot(
  version = V1,
  variant: 'verified' | 'full' = 'verified',
  dataset = 'pets',
  namespace = 'team-a',
): PinnedSnapshot {
  return {
    version,
    variant,
    manifest: {
      uri: `s3://bosun/datasets/${namespace}/${dataset}/snapshots/${version}/${variant}.jsonl.gz`,
      sha256: SHA_M,
    },
  };
}

/** The Succeeded condition as an earlier reconcile set it. */
export function succeededCondition(status: Condition['status'], reason: string, message = reason): Condition {
  return {
    type: CONDITION_SUCCEEDED,
    status,
    reason,
    message,
    observedGeneration: 1,
    lastTransitionTime: '2026-02-01T00:00:05Z',
  };
}

/** Pinned to `snapshot` when the run started, as the controller writes it before the Job. */
export const pinnedTo =
  (snapshot: PinnedSnapshot = aPinnedSnapshot()): Modifier<TrainingRun> =>
  (run) => {
    run.status = {
      ...run.status,
      observedGeneration: 1,
      snapshot: structuredClone(snapshot),
      startTime: '2026-02-01T00:00:05Z',
      job: trainingJobName(run),
      output: `s3://bosun/runs/${run.metadata.namespace}/${run.metadata.name}/`,
      conditions: [succeededCondition('Unknown', 'Pending', `training on snapshot ${snapshot.version}`)],
    };
  };

/** Version `version` of its model claimed in status (before its ModelVersion exists). */
export const claimed =
  (version: number): Modifier<TrainingRun> =>
  (run) => {
    run.status = {
      ...run.status,
      modelVersion: { name: `${run.spec.model.name}-v${version}`, version },
    };
  };

/** Terminal with this reason (Succeeded: True, anything else: False). */
export const finishedAs =
  (reason: string): Modifier<TrainingRun> =>
  (run) => {
    run.status = {
      ...run.status,
      completionTime: '2026-02-01T01:00:00Z',
      conditions: [succeededCondition(reason === 'Succeeded' ? 'True' : 'False', reason)],
    };
  };

/** One variant of one snapshot as the Dataset lists it in status. */
export function aSnapshotEntry(
  version: string,
  variant: 'verified' | 'full' = 'verified',
  rejected?: string[],
): SnapshotStatus {
  const pinned = aPinnedSnapshot(version, variant);
  return {
    version,
    variant,
    items: 80,
    manifest: pinned.manifest,
    createdAt: '2026-02-01T00:00:00Z',
    ...(rejected ? { rejected: true, reasons: rejected } : {}),
  };
}

/** The Dataset lists these snapshot entries (newest first); latestSnapshot is `latest` if given. */
export const listing =
  (latest: string | undefined, ...entries: SnapshotStatus[]): Modifier<Dataset> =>
  (dataset) => {
    dataset.status = {
      ...dataset.status,
      snapshots: entries,
      ...(latest
        ? { latestSnapshot: { version: latest, items: 80, createdAt: '2026-02-01T00:00:00Z' } }
        : {}),
    };
  };

/**
 * The run's training Job as the API server holds it: rendered for its pinned snapshot (STS
 * credentials), with a uid; running with one active Pod unless a modifier (gen/job.ts) says otherwise.
 */
export function aTrainingJob(
  run: TrainingRun,
  options: { suspend?: boolean } = {},
  ...mods: Modifier<V1Job>[]
): V1Job {
  const snapshot = run.status?.snapshot ?? aPinnedSnapshot();
  const job = renderTrainingJob(
    run,
    snapshot,
    TRAINING_JOB_CONFIG,
    { secret: `${trainingJobName(run)}-store`, sessionToken: true },
    { suspend: options.suspend ?? false },
  );
  job.metadata = { ...job.metadata, uid: `uid-${trainingJobName(run)}`, resourceVersion: '5' };
  job.status = options.suspend ? {} : { active: 1 };
  for (const mod of mods) mod(job);
  return job;
}

/** The Job's status as the Job controller reports it. */
export const withJobStatus =
  (status: V1JobStatus): Modifier<V1Job> =>
  (job) => {
    job.status = structuredClone(status);
  };

/** A Pod of `job` in this phase (Running: its container runs). */
export function aTrainingPod(job: V1Job, phase: 'Pending' | 'Running' = 'Running', suffix = 'abcde'): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata?.name}-${suffix}`,
      namespace: job.metadata?.namespace as string,
      labels: { 'batch.kubernetes.io/job-name': job.metadata?.name as string },
    },
    status: { phase },
  };
}

/** A pino line as a trainer logs progress (images/trainer/log.ts). */
export function aProgressLine(fields: Record<string, unknown>, msg = 'training'): string {
  return JSON.stringify({
    level: 30,
    time: '2026-02-01T00:10:00.000Z',
    pid: 1,
    hostname: 'pets-train-abcde',
    component: 'trainer',
    ...fields,
    msg,
  });
}
