// Which ModelVersion each role of an InferenceService serves, as a pure function of the object and
// the ModelVersions of its model in its namespace (from the cache). spec.model and spec.canary each
// name a pinned version or a stage (the highest Ready version in it). Only a Ready ModelVersion that
// is not being deleted is ever chosen. When a selector resolves to nothing, the version that status
// says is served stays (availability first: a failed lookup never tears down a working service),
// and the reason says why.
import type { InferenceService } from '../../api/inference-service.ts';
import { type ModelVersion, modelVersionName } from '../../api/model-version.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { RESOLUTION_REASONS } from './reasons.ts';
import type { ServingRole } from './serving-names.ts';

/** What status records of a served version; enough to know it again, not to render it. */
export interface ServedRef {
  modelVersion: string;
  version: number;
  sha256: string;
}

export type RoleResolution =
  | { resolved: true; target: ModelVersion }
  | {
      resolved: false;
      reason: string;
      message: string;
      /** What status says this role serves; kept. */
      kept?: ServedRef;
      /** The kept version's ModelVersion, when it still exists (so it can be rendered again). */
      keptModel?: ModelVersion;
    };

export interface Resolution {
  primary: RoleResolution;
  /** Absent without spec.canary, or when the canary resolves to the version the primary serves. */
  canary?: RoleResolution;
  /** Why a canary that spec.canary asks for is not deployed, when it resolves fine. */
  canaryNote?: string;
}

type Selector = { version?: number; stage?: string };

/** Ready (its artifact verified) and not on its way out. */
export function isServable(mv: ModelVersion): boolean {
  return (
    !mv.metadata.deletionTimestamp &&
    findCondition(mv.status?.conditions, 'Ready')?.status === 'True' &&
    mv.status?.artifact !== undefined
  );
}

export function servedRef(mv: ModelVersion): ServedRef {
  return {
    modelVersion: mv.metadata.name as string,
    version: mv.spec.version,
    sha256: mv.spec.artifact.sha256,
  };
}

function describeSelector(model: string, selector: Selector): string {
  return selector.version !== undefined
    ? `version ${selector.version} of model ${model}`
    : `the highest Ready version of model ${model} in stage ${selector.stage}`;
}

function resolveSelector(
  model: string,
  namespace: string,
  selector: Selector,
  versions: ModelVersion[],
): { resolved: true; target: ModelVersion } | { resolved: false; reason: string; message: string } {
  if (selector.version !== undefined) {
    const name = modelVersionName(model, selector.version);
    const mv = versions.find((v) => v.metadata.name === name);
    if (!mv)
      return {
        resolved: false,
        reason: RESOLUTION_REASONS.ModelVersionNotFound,
        message: `ModelVersion ${name} (version ${selector.version} of model ${model}) does not exist in namespace ${namespace}`,
      };
    if (mv.metadata.deletionTimestamp)
      return {
        resolved: false,
        reason: RESOLUTION_REASONS.ModelVersionDeleting,
        message: `ModelVersion ${name} is being deleted`,
      };
    if (!isServable(mv)) {
      const ready = findCondition(mv.status?.conditions, 'Ready');
      return {
        resolved: false,
        reason: RESOLUTION_REASONS.ModelVersionNotReady,
        message: `ModelVersion ${name} is not Ready${ready ? ` (${ready.reason}: ${ready.message})` : ' (not verified yet)'}`,
      };
    }
    return { resolved: true, target: mv };
  }
  const inStage = versions.filter((v) => (v.spec.stage ?? 'none') === selector.stage);
  const ready = inStage.filter(isServable).sort((a, b) => b.spec.version - a.spec.version);
  const best = ready[0];
  if (best) return { resolved: true, target: best };
  const waiting = inStage.map((v) => v.metadata.name).sort();
  return {
    resolved: false,
    reason: RESOLUTION_REASONS.NoReadyVersionInStage,
    message: `no Ready version of model ${model} is in stage ${selector.stage}${
      waiting.length > 0 ? ` (not Ready or being deleted: ${waiting.join(', ')})` : ''
    }`,
  };
}

function withKept(
  result: ReturnType<typeof resolveSelector>,
  kept: ServedRef | undefined,
  versions: ModelVersion[],
): RoleResolution {
  if (result.resolved || !kept) return result;
  const keptModel = versions.find(
    (v) => v.metadata.name === kept.modelVersion && v.spec.artifact.sha256 === kept.sha256,
  );
  return { ...result, kept, ...(keptModel ? { keptModel } : {}) };
}

/**
 * Resolves spec.model and spec.canary against `versions` (the ModelVersions of the model; others
 * are ignored). A canary is only served beside a primary: with no primary, there is no canary.
 */
export function resolveServing(isvc: InferenceService, versions: readonly ModelVersion[]): Resolution {
  const namespace = isvc.metadata.namespace as string;
  const model = isvc.spec.model.name;
  const own = versions.filter((v) => v.metadata.namespace === namespace && v.spec.model === model);
  const status = isvc.status ?? {};
  const primary = withKept(resolveSelector(model, namespace, isvc.spec.model, own), status.primary, own);
  const resolution: Resolution = { primary };
  const canarySpec = isvc.spec.canary;
  if (!canarySpec) return resolution;
  if (!primary.resolved && !primary.kept) {
    resolution.canaryNote = 'no canary is deployed while the primary serves nothing';
    return resolution;
  }
  const canary = withKept(resolveSelector(model, namespace, canarySpec, own), status.canary, own);
  const primaryModel = primary.resolved ? primary.target : primary.keptModel;
  const canaryModel = canary.resolved ? canary.target : canary.keptModel;
  if (canaryModel && primaryModel?.metadata.name === canaryModel.metadata.name) {
    resolution.canaryNote = `the canary (${describeSelector(model, canarySpec)}) resolves to ${canaryModel.metadata.name}, which the primary serves: it gets all the traffic`;
    return resolution;
  }
  resolution.canary = canary;
  return resolution;
}

/** The ModelVersion a role is to run now: the resolved one, else the kept one if it still exists. */
export function modelToServe(resolution: RoleResolution | undefined): ModelVersion | undefined {
  if (!resolution) return undefined;
  return resolution.resolved ? resolution.target : resolution.keptModel;
}

/** What a role serves now, as status records it (also for a kept version whose object is gone). */
export function servedByRole(resolution: RoleResolution | undefined): ServedRef | undefined {
  if (!resolution) return undefined;
  return resolution.resolved ? servedRef(resolution.target) : resolution.kept;
}

export function roleResolution(resolution: Resolution, role: ServingRole): RoleResolution | undefined {
  return role === 'primary' ? resolution.primary : resolution.canary;
}
