// Every reason the TrainingRun controller writes into its condition or an Event, with what it
// means for the user. One condition, `Succeeded`: Unknown while the run is on its way, True once
// the ModelVersion is registered and verified, False when the run failed (terminal) or cannot
// start yet (DatasetNotFound, SnapshotNotFound, …: retried with backoff).

export const CONDITION_SUCCEEDED = 'Succeeded';

export const REASONS = {
  /** Unknown: the snapshot is pinned; the training Job is being created or waits for a node. */
  Pending: 'Pending',
  /** Unknown: the training Pod runs (status.progress says how far). */
  Running: 'Running',
  /** Unknown: the Job succeeded; its outputs are copied to models/ and the ModelVersion created and verified. */
  Registering: 'Registering',
  /** True: the ModelVersion is registered and verified (and spec.promotion decided). */
  Succeeded: 'Succeeded',
  /** False, retried: spec.dataset.name names no Dataset in the namespace. */
  DatasetNotFound: 'DatasetNotFound',
  /** False, retried: the Dataset has no published, accepted snapshot of that version and variant (yet). */
  SnapshotNotFound: 'SnapshotNotFound',
  /** False, retried: a built-in trainer is asked for and the operator was started without --trainer-image. */
  TrainerImageNotConfigured: 'TrainerImageNotConfigured',
  /** False, retried: the store refused to mint the Job's scoped credentials (the message says why). */
  StoreCredentialsRefused: 'StoreCredentialsRefused',
  /** False, terminal: the training container failed; the message is its termination message. */
  JobFailed: 'JobFailed',
  /** False, terminal: spec.activeDeadlineSeconds passed before the Job finished. */
  DeadlineExceeded: 'DeadlineExceeded',
  /** False, terminal: the Job succeeded without model.onnx and metrics.json, or the registered version failed verification. */
  ArtifactInvalid: 'ArtifactInvalid',
} as const;

/** Reasons after which a run never changes again. */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set([
  REASONS.Succeeded,
  REASONS.JobFailed,
  REASONS.DeadlineExceeded,
  REASONS.ArtifactInvalid,
]);

/** Event reasons (Events only). */
export const EVENT_REASONS = {
  /** The snapshot was resolved and pinned. */
  SnapshotPinned: 'SnapshotPinned',
  /** The training Job was created. */
  JobCreated: 'JobCreated',
  /** A ModelVersion was registered from the run's outputs. */
  Registered: 'Registered',
  /** spec.promotion: the new version took the stage. */
  Promoted: 'Promoted',
  /** spec.promotion: the new version did not take the stage; the note has the comparison. */
  NotPromoted: 'NotPromoted',
  /** The run failed (Warning). */
  RunFailed: 'RunFailed',
} as const;
