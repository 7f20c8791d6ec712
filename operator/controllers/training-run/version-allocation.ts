// The version number a run registers, as a pure function of what is known: one more than every
// version of the model in the namespace, registered (ModelVersions) or claimed (a TrainingRun's
// status.modelVersion, written before its ModelVersion is created). The controller takes it under
// a per-model lock and writes the claim before anything else, so concurrent runs get distinct
// numbers, and a crash after the claim finds it again (no gap, no second version).
import type { ModelVersion } from '../../api/model-version.ts';
import type { TrainingRun } from '../../api/training-run.ts';

export function nextVersion(
  namespace: string,
  model: string,
  modelVersions: Iterable<ModelVersion>,
  runs: Iterable<TrainingRun>,
): number {
  let highest = 0;
  for (const mv of modelVersions)
    if (mv.metadata.namespace === namespace && mv.spec.model === model)
      highest = Math.max(highest, mv.spec.version);
  for (const run of runs) {
    const claimed = run.status?.modelVersion?.version;
    if (claimed !== undefined && run.metadata.namespace === namespace && run.spec.model.name === model)
      highest = Math.max(highest, claimed);
  }
  return highest + 1;
}
