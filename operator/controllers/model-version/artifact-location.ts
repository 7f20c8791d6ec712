// Where a ModelVersion's artifact is, and whether its namespace may use it — and delete it. Pure:
// CEL cannot see an object's namespace, so these rules run here, before any Job or store request.
// Messages name only the namespace's own prefixes; they never say whether another key exists.
import { UserError } from '../../../lib/contract/errors.ts';
import { isTenantKey, parseS3Uri, tenantPrefixes } from '../../../lib/store/keys.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import { findCondition } from '../../runtime/conditions.ts';
import { CONDITION_ARTIFACT_VERIFIED, EVENT_REASONS, REASONS } from './reasons.ts';

export type ArtifactLocation =
  | {
      ok: true;
      bucket: string;
      key: string;
      /** In the operator's own bucket (read with presigned links of the operator's credentials). */
      own: boolean;
      /** Another bucket: the Secret in the object's namespace that can read it. */
      credentialsSecret?: string;
      endpoint?: string;
    }
  | { ok: false; reason: string; message: string };

export function locateArtifact(mv: ModelVersion, operatorBucket: string): ArtifactLocation {
  const namespace = mv.metadata.namespace as string;
  const { uri, endpoint, credentialsSecret } = mv.spec.artifact;
  let bucket: string;
  let key: string;
  try {
    ({ bucket, key } = parseS3Uri('spec.artifact.uri', uri));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, reason: REASONS.InvalidArtifactUri, message: error.message };
  }
  if (key.endsWith('/'))
    return {
      ok: false,
      reason: REASONS.InvalidArtifactUri,
      message: 'spec.artifact.uri names a prefix, not a file',
    };
  const own = bucket === operatorBucket && !endpoint;
  if (own) {
    if (!isTenantKey(namespace, key))
      return {
        ok: false,
        reason: REASONS.ArtifactOutsideNamespace,
        message: `in the bucket ${operatorBucket} a ModelVersion of namespace ${namespace} may only name keys under ${tenantPrefixes(namespace).join(', ')}; nothing was verified`,
      };
    return { ok: true, bucket, key, own };
  }
  if (!credentialsSecret)
    return {
      ok: false,
      reason: REASONS.ArtifactOutsideNamespace,
      message: `the artifact is in another store or bucket (${bucket}): set spec.artifact.credentialsSecret to a Secret in namespace ${namespace} that can read it; nothing was verified`,
    };
  return {
    ok: true,
    bucket,
    key,
    own,
    credentialsSecret: credentialsSecret.name,
    ...(endpoint ? { endpoint } : {}),
  };
}

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
