// Which snapshot a TrainingRun trains on, as a pure function of the run and its Dataset's status:
// `latest` is the Dataset's latestSnapshot (never a rejected one), a version must be listed in
// status.snapshots; the variant must have been built and must not be rejected.
import type { Dataset } from '../../api/dataset.ts';
import type { TrainingRun, TrainingRunStatus } from '../../api/training-run.ts';
import { REASONS } from './reasons.ts';

export type PinnedSnapshot = NonNullable<TrainingRunStatus['snapshot']>;

export type Resolution =
  | { ok: true; snapshot: PinnedSnapshot }
  | { ok: false; reason: string; message: string };

export function resolveSnapshot(run: TrainingRun, dataset: Dataset | undefined): Resolution {
  const { name, snapshot = 'latest', variant = 'verified' } = run.spec.dataset;
  if (!dataset)
    return {
      ok: false,
      reason: REASONS.DatasetNotFound,
      message: `Dataset ${name} does not exist in namespace ${run.metadata.namespace}`,
    };
  const version = snapshot === 'latest' ? dataset.status?.latestSnapshot?.version : snapshot;
  if (!version)
    return {
      ok: false,
      reason: REASONS.SnapshotNotFound,
      message: `Dataset ${name} has no snapshot that passed its quality gates yet`,
    };
  const entry = (dataset.status?.snapshots ?? []).find((s) => s.version === version && s.variant === variant);
  if (!entry)
    return {
      ok: false,
      reason: REASONS.SnapshotNotFound,
      message: `Dataset ${name} lists no ${variant} variant of snapshot ${version}`,
    };
  if (entry.rejected)
    return {
      ok: false,
      reason: REASONS.SnapshotNotFound,
      message: `the ${variant} variant of snapshot ${version} of Dataset ${name} is rejected: ${(entry.reasons ?? []).join('; ')}`,
    };
  return { ok: true, snapshot: { version, variant, manifest: entry.manifest } };
}
