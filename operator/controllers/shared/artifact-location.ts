// Where a ModelVersion's artifact is, and whether its namespace may read it: the rule every
// controller that touches an artifact applies (verification, serving). Pure: CEL cannot see an
// object's namespace, so it runs in the controller, before any Job or store request. Messages name
// only the namespace's own prefixes; they never say whether another key exists.
import { UserError } from '../../../lib/contract/errors.ts';
import { isTenantKey, parseS3Uri, tenantPrefixes } from '../../../lib/store/keys.ts';
import type { ModelVersion } from '../../api/model-version.ts';

/** The reasons a location is refused with (documented in the ModelVersion controller's reasons). */
export const ARTIFACT_LOCATION_REASONS = {
  InvalidArtifactUri: 'InvalidArtifactUri',
  ArtifactOutsideNamespace: 'ArtifactOutsideNamespace',
} as const;
const REASONS = ARTIFACT_LOCATION_REASONS;

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
