// Every reason the Dataset controller writes into a condition or an Event, with what it means for
// the user. Conditions: `Ready` (the summary: collecting as specified and a snapshot to train on),
// `CollectionHealthy` (the last collection run), `SnapshotsHealthy` (the last snapshot build).
import { DATA_JOB_REASONS } from '../../../images/data-jobs/job-contract.ts';
import { SPEC_CHECK_REASONS } from './spec-check.ts';

export const CONDITION_READY = 'Ready';
export const CONDITION_COLLECTION_HEALTHY = 'CollectionHealthy';
export const CONDITION_SNAPSHOTS_HEALTHY = 'SnapshotsHealthy';

export const REASONS = {
  /** What the API server cannot check and the controller refuses before any Job (spec-check.ts). */
  ...SPEC_CHECK_REASONS,
  /**
   * A data job's own reasons (SourceUnavailable, QueryInvalid, GoldEmpty, StoreUnavailable, ...),
   * taken from its termination message: CollectionHealthy or SnapshotsHealthy False, and Ready False.
   */
  ...DATA_JOB_REASONS,
  /** Ready=False: the operator was started without --data-jobs-image, so no data job can run. */
  DataJobsImageNotConfigured: 'DataJobsImageNotConfigured',
  /** Ready=True: collection is as specified and there is a snapshot that passed its quality gates. */
  Ready: 'Ready',
  /** Ready=False: no snapshot that passed its quality gates exists yet (request one or wait for the schedule). */
  AwaitingSnapshot: 'AwaitingSnapshot',
  /** CollectionHealthy=True: the last collection run published every window due. */
  Collected: 'Collected',
  /** CollectionHealthy=True: the last run published windows, more missed windows are still due. */
  CatchingUp: 'CatchingUp',
  /** CollectionHealthy=Unknown: the collection CronJob has not finished a run yet. */
  AwaitingCollection: 'AwaitingCollection',
  /** CollectionHealthy=True: spec.collection is not set; items come from gold alone. */
  NoCollection: 'NoCollection',
  /** CollectionHealthy=True: spec.collection.suspend is true; missed windows are collected on resume. */
  CollectionSuspended: 'CollectionSuspended',
  /** A data Job failed without a reason of its own (deadline, out of memory, evicted, ...); the message says how. */
  JobFailed: 'JobFailed',
  /** SnapshotsHealthy=True: the last snapshot build published and passed its quality gates. */
  SnapshotPublished: 'SnapshotPublished',
  /** SnapshotsHealthy=Unknown: a snapshot Job is running. */
  SnapshotBuilding: 'SnapshotBuilding',
  /** SnapshotsHealthy=True: no snapshot was built yet (none scheduled or requested). */
  NoSnapshot: 'NoSnapshot',
  /** SnapshotsHealthy=False: the newest snapshot failed a quality gate; it is kept, never latestSnapshot. */
  SnapshotRejected: 'SnapshotRejected',
  /** SnapshotsHealthy=False: a snapshot in the store has a summary that cannot be read. */
  SnapshotUnreadable: 'SnapshotUnreadable',
  /** Ready=False: the store answered with an error while the controller read or minted for it; retried. */
  StoreError: 'StoreError',
} as const;

/** Event reasons (Events only). */
export const EVENT_REASONS = {
  /** A collection run published one or more batches. */
  BatchPublished: 'BatchPublished',
  /** A collection run failed (Warning); the note has the data job's reason and message. */
  CollectionFailed: 'CollectionFailed',
  /** A snapshot version was published (Normal) or published as rejected (Warning, SnapshotRejected). */
  SnapshotPublished: 'SnapshotPublished',
  SnapshotRejected: 'SnapshotRejected',
  /** A snapshot build failed (Warning). */
  SnapshotFailed: 'SnapshotFailed',
  /** An on-demand snapshot Job was started for a new request value. */
  SnapshotRequested: 'SnapshotRequested',
  /** A training template created a TrainingRun for a new snapshot. */
  TrainingRunCreated: 'TrainingRunCreated',
  /** A training template's run name is taken by a TrainingRun of something else (Warning). */
  TrainingRunNameTaken: 'TrainingRunNameTaken',
  /** Retention deleted a snapshot version's manifests, summaries and card. */
  SnapshotDeleted: 'SnapshotDeleted',
} as const;
