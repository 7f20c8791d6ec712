// Where a ModelVersion's artifact is, and whether its namespace may read it: the rule every
// controller that touches an artifact applies (verification, serving), lib/store/location.ts for
// one object. Pure: CEL cannot see an object's namespace, so it runs in the controller, before any
// Job or store request. Messages name only the namespace's own prefixes; they never say whether
// another key exists.
import { LOCATION_PROBLEMS, locate } from '../../../lib/store/location.ts';
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
  const located = locate('spec.artifact', mv.spec.artifact, 'object', {
    namespace: mv.metadata.namespace as string,
    operatorBucket,
  });
  if (located.ok) return located;
  if (located.problem === LOCATION_PROBLEMS.invalid)
    return { ok: false, reason: REASONS.InvalidArtifactUri, message: located.message };
  // Outside the namespace, or another bucket without the namespace's Secret: either way not ours to read.
  return {
    ok: false,
    reason: REASONS.ArtifactOutsideNamespace,
    message: `${located.message}; nothing was verified`,
  };
}
