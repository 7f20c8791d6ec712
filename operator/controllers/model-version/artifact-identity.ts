// An artifact is its namespace, URI and digest together: the same digest at another URI still has
// to be found, a URI can be overwritten, and one namespace never inherits another's verification
// (a result says something only about what that namespace may read). The identity names the
// verification Job, so every ModelVersion of one artifact in a namespace shares one Job, and a
// restart finds the Job instead of making another.
import { createHash } from 'node:crypto';

export interface ArtifactRef {
  namespace: string;
  uri: string;
  sha256: string;
}

/** 24 hex digits: 96 bits, collision-free for any real registry. */
export function artifactId(artifact: ArtifactRef): string {
  return createHash('sha256')
    .update(`${artifact.namespace}\n${artifact.uri}\n${artifact.sha256}`)
    .digest('hex')
    .slice(0, 24);
}

/** `verify-<id>`: deterministic, a valid DNS label (31 characters). */
export function verificationJobName(artifact: ArtifactRef): string {
  return `verify-${artifactId(artifact)}`;
}
