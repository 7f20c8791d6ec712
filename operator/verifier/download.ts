// The verifier's reads through its presigned links (lib/store/presigned-link.ts), with what each
// failure means for the verdict: a missing model or a digest mismatch is the user's (the version is
// rejected); an expired link, a store that does not answer or a full disk are retried with a new Job.
import { UserError } from '../../lib/contract/errors.ts';
import { downloadLink, fetchSmallObject as fetchSmall, LinkError } from '../../lib/store/presigned-link.ts';
import { RetryableError, VERIFIER_REASONS } from './job-contract.ts';

export { classifyRefusal } from '../../lib/store/presigned-link.ts';

function verdict(error: unknown, expectedSize?: number): Error {
  if (!(error instanceof LinkError)) return error as Error;
  const { failure } = error;
  switch (failure.kind) {
    case 'missing':
      return new UserError(
        'ArtifactNotFound',
        failure.code === 'AccessDenied'
          ? 'the store refused the model (AccessDenied): spec.artifact.uri does not exist, or the operator may not read it'
          : 'nothing is stored at spec.artifact.uri',
      );
    case 'mismatch':
      return new UserError('DigestMismatch', 'the bytes do not match spec.artifact.sha256');
    case 'expired':
      return new RetryableError(
        VERIFIER_REASONS.ArtifactLinkExpired,
        'the download link expired; the operator will retry',
      );
    case 'changed':
      return new RetryableError(
        VERIFIER_REASONS.VerificationError,
        `the model changed while it was being verified (${failure.size} bytes, the operator saw ${expectedSize}); the operator will retry`,
      );
    default:
      return new RetryableError(VERIFIER_REASONS.VerificationError, error.message);
  }
}

/**
 * Streams the model to disk while hashing it; the file appears at `path` only when its sha256
 * matches. With `expectedSize`, a Content-Length other than it fails before any byte is written.
 */
export async function downloadArtifact(
  url: URL,
  options: { sha256: string; path: string; expectedSize?: number },
): Promise<{ size: number }> {
  try {
    return await downloadLink(url, { ...options, what: 'model' });
  } catch (error) {
    throw verdict(error, options.expectedSize);
  }
}

/** A small object read whole: undefined when it does not exist or is larger than `limit` bytes. */
export async function fetchSmallObject(url: URL, what: string, limit: number): Promise<Buffer | undefined> {
  try {
    return await fetchSmall(url, what, limit);
  } catch (error) {
    throw verdict(error);
  }
}
