// Which snapshot versions retention deletes, as a pure function of the versions in the store
// (newest first), spec.retention.snapshots and the ModelVersions trained on each: the newest
// `keep` versions stay, and so does every older one a ModelVersion of the namespace names in
// spec.source.dataset (while that ModelVersion exists). Rejected versions count like any other.
// Versions still being built (no card yet) are not in the list, so they are never deleted. The
// newest accepted version is kept too, so a run of rejected snapshots never takes latestSnapshot away.
import type { Dataset } from '../../api/dataset.ts';
import type { ModelVersion } from '../../api/model-version.ts';

export interface RetentionPlan {
  /** Versions to delete, oldest first. */
  delete: string[];
  /** Versions past `keep` that stay, with the ModelVersions that keep them. */
  retained: Map<string, string[]>;
}

/** The ModelVersions of the Dataset's namespace by the snapshot version of it they were trained on. */
export function trainedOn(dataset: Dataset, modelVersions: ModelVersion[]): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const mv of modelVersions) {
    const source = mv.spec.source?.dataset;
    if (
      !source ||
      mv.metadata.namespace !== dataset.metadata.namespace ||
      source.name !== dataset.metadata.name
    )
      continue;
    const names = byVersion.get(source.snapshot) ?? [];
    names.push(mv.metadata.name as string);
    byVersion.set(source.snapshot, names.sort());
  }
  return byVersion;
}

export function retentionPlan(
  versions: string[],
  keep: number,
  trained: Map<string, string[]>,
  latestAccepted?: string,
): RetentionPlan {
  const plan: RetentionPlan = { delete: [], retained: new Map() };
  const newestFirst = [...new Set(versions)].sort().reverse();
  for (const version of newestFirst.slice(Math.max(1, keep))) {
    const keptBy = trained.get(version);
    if (keptBy && keptBy.length > 0) plan.retained.set(version, keptBy);
    else if (version !== latestAccepted) plan.delete.push(version);
  }
  plan.delete.reverse();
  return plan;
}
