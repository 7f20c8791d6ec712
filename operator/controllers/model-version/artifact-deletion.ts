// Whether deleting a ModelVersion deletes its artifact (deletionPolicy Delete), as a pure function
// of the object, the other ModelVersions of the same URI and the operator's bucket.
import type { ModelVersion } from '../../api/model-version.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { locateArtifact } from '../shared/artifact-location.ts';
import { CONDITION_ARTIFACT_VERIFIED, EVENT_REASONS } from './reasons.ts';

/** Where this version's own model files live: the only keys its deletion may remove. */
export function ownModelPrefix(namespace: string): string {
  return `models/${namespace}/`;
}

export type DeletionDecision =
  | { delete: true; key: string }
  | { delete: false; reason?: string; note?: string };

/**
 * Whether deleting `mv` deletes its artifact. Only with deletionPolicy Delete, only a verified
 * artifact, only under models/<namespace>/ in the operator's bucket, and only when no other
 * ModelVersion refers to the same URI — unless every such peer is being deleted with Delete too
 * (a peer with Retain keeps it, even while that peer is being deleted).
 */
export function deletionDecision(
  mv: ModelVersion,
  peers: ModelVersion[],
  operatorBucket: string,
): DeletionDecision {
  if ((mv.spec.deletionPolicy ?? 'Retain') !== 'Delete') return { delete: false };
  const retained = (note: string): DeletionDecision => ({
    delete: false,
    reason: EVENT_REASONS.ArtifactRetained,
    note: `deletionPolicy Delete not applied: ${note}`,
  });
  const namespace = mv.metadata.namespace as string;
  const location = locateArtifact(mv, operatorBucket);
  if (!location.ok || !location.own)
    return retained("the artifact is not in the operator's bucket under this namespace");
  if (!location.key.startsWith(ownModelPrefix(namespace)))
    return retained(
      `only artifacts under ${ownModelPrefix(namespace)} are deleted; ${mv.spec.artifact.uri} was kept`,
    );
  if (findCondition(mv.status?.conditions, CONDITION_ARTIFACT_VERIFIED)?.status !== 'True')
    return retained('the artifact was never verified, so it was kept');
  const keeper = peers.find(
    (p) =>
      p.metadata.uid !== mv.metadata.uid &&
      // Another namespace's objects never count: none may block or trigger this deletion.
      p.metadata.namespace === namespace &&
      p.spec.artifact.uri === mv.spec.artifact.uri &&
      (!p.metadata.deletionTimestamp || (p.spec.deletionPolicy ?? 'Retain') !== 'Delete'),
  );
  if (keeper) return retained(`ModelVersion ${keeper.metadata.name} still refers to it`);
  return { delete: true, key: location.key };
}
