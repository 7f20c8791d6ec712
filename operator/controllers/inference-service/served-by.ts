// In-use protection: every ModelVersion that an InferenceService's Pods may be running lists the
// InferenceService in status.servedBy, and its deletion waits while any does (docs/operator.md).
// The list is kept exact: a version is added before a Deployment is rolled over to it, and removed
// only once no Pod of it serves (its history entry is closed) or the InferenceService is deleted.
import type { InferenceService } from '../../api/inference-service.ts';
import type { ModelVersion } from '../../api/model-version.ts';

/** The ModelVersions whose Pods may be serving: every history entry still open, and the targets. */
export function servingModelVersions(status: InferenceService['status'], targets: string[]): Set<string> {
  const open = (status?.history ?? []).filter((h) => h.to === undefined).map((h) => h.modelVersion);
  return new Set([...open, ...targets]);
}

/** `mv`'s servedBy with `isvc` in it or not, or undefined when that is already so. */
export function servedByUpdate(mv: ModelVersion, isvc: string, serves: boolean): string[] | undefined {
  const current = mv.status?.servedBy ?? [];
  if (current.includes(isvc) === serves) return undefined;
  const next = serves ? [...current, isvc] : current.filter((n) => n !== isvc);
  return [...new Set(next)].sort();
}
