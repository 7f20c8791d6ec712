// Reading through presigned GET links: the model streamed to disk while it is hashed (constant
// memory, whatever its size), and small objects such as metrics.json read whole up to a cap. How
// the store refuses a link decides the verdict: missing, expired (retry with new links), or other.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { UserError } from '../../lib/contract/errors.ts';
import { DigestStream } from '../../lib/store/manifest.ts';
import { RetryableError, VERIFIER_REASONS } from './job-contract.ts';

/** How much of an error answer is read to learn the S3 error code. */
const ERROR_BODY_LIMIT = 64 * 1024;

export type Refusal =
  /** 404, or 403 AccessDenied: a store answers 403 for a missing key when the signer may not list. */
  | { kind: 'missing'; code: string }
  | { kind: 'expired' }
  /** Anything else (5xx, a signature the store does not accept): not a verdict on the object. */
  | { kind: 'other'; status: number; code: string };

/** A link's own lifetime from its SigV4 query (X-Amz-Date + X-Amz-Expires), if it has one. */
function signedUntil(url: URL): number | undefined {
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    url.searchParams.get('X-Amz-Date') ?? '',
  );
  const expires = Number(url.searchParams.get('X-Amz-Expires'));
  if (!date || !Number.isFinite(expires)) return undefined;
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) + expires * 1000;
}

/**
 * Classifies a refused GET. S3 and MinIO answer an expired link with 403 AccessDenied "Request has
 * expired"; the link's own signed lifetime covers a store that words it differently.
 */
export function classifyRefusal(status: number, body: string, url: URL, now = Date.now()): Refusal {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1] ?? '';
  if (status === 404) return { kind: 'missing', code: code || 'NotFound' };
  if (status === 403) {
    const until = signedUntil(url);
    if (/<Message>\s*Request has expired/i.test(body) || (until !== undefined && now > until))
      return { kind: 'expired' };
    if (code === 'AccessDenied') return { kind: 'missing', code };
  }
  return { kind: 'other', status, code };
}

/** The whole body, or undefined when it is larger than `limit` (leaving the loop cancels the rest). */
async function readCapped(response: Response, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!response.body) return Buffer.alloc(0);
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function networkFailure(what: string, error: unknown): RetryableError {
  // undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, a TLS error, ...); neither
  // names the link's query, which holds the signature.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new RetryableError(
    VERIFIER_REASONS.VerificationError,
    `the ${what} could not be read from the store: ${why}`,
  );
}

async function get(url: URL, what: string): Promise<Response> {
  try {
    // A presigned link names the object exactly; a redirect would lead somewhere the operator did not sign.
    return await fetch(url, { redirect: 'error' });
  } catch (error) {
    throw networkFailure(what, error);
  }
}

/** Reads the refusal and throws what it means; `missing` is returned for the caller to decide. */
async function refuse(response: Response, url: URL, what: string): Promise<Refusal & { kind: 'missing' }> {
  const body = (await readCapped(response, ERROR_BODY_LIMIT))?.toString('utf8') ?? '';
  const refusal = classifyRefusal(response.status, body, url);
  if (refusal.kind === 'missing') return refusal;
  if (refusal.kind === 'expired')
    throw new RetryableError(
      VERIFIER_REASONS.ArtifactLinkExpired,
      'the download link expired; the operator will retry',
    );
  throw new RetryableError(
    VERIFIER_REASONS.VerificationError,
    `the store refused to send the ${what}: HTTP ${refusal.status}${refusal.code ? ` ${refusal.code}` : ''}`,
  );
}

/**
 * Streams the model to `<path>.partial` while hashing it, and renames it to `path` only when its
 * sha256 matches; a mismatch leaves no file. The message never tells the bytes' actual digest.
 * With `expectedSize`, a Content-Length other than it fails before any byte is written.
 */
export async function downloadArtifact(
  url: URL,
  options: { sha256: string; path: string; expectedSize?: number },
): Promise<{ size: number }> {
  const response = await get(url, 'model');
  if (!response.ok) {
    const { code } = await refuse(response, url, 'model');
    throw new UserError(
      'ArtifactNotFound',
      code === 'AccessDenied'
        ? 'the store refused the model (AccessDenied): spec.artifact.uri does not exist, or the operator may not read it'
        : 'nothing is stored at spec.artifact.uri',
    );
  }
  const length = response.headers.get('content-length');
  if (options.expectedSize !== undefined && length !== null && Number(length) !== options.expectedSize) {
    await response.body?.cancel().catch(() => undefined);
    throw new RetryableError(
      VERIFIER_REASONS.VerificationError,
      `the model changed while it was being verified (${length} bytes, the operator saw ${options.expectedSize}); the operator will retry`,
    );
  }
  const partial = `${options.path}.partial`;
  const digest = new DigestStream();
  try {
    if (!response.body) throw new Error('the store sent no body');
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      digest,
      createWriteStream(partial),
    );
  } catch (error) {
    await rm(partial, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new RetryableError(
        VERIFIER_REASONS.VerificationError,
        `the work directory is full after ${digest.size} bytes of the model`,
      );
    throw networkFailure(`model (after ${digest.size} bytes)`, error);
  }
  if (digest.digest() !== options.sha256) {
    await rm(partial, { force: true });
    throw new UserError('DigestMismatch', 'the bytes do not match spec.artifact.sha256');
  }
  await rename(partial, options.path);
  return { size: digest.size };
}

/**
 * A small object read whole: undefined when it does not exist (404, or 403 AccessDenied) or is
 * larger than `limit` bytes.
 */
export async function fetchSmallObject(url: URL, what: string, limit: number): Promise<Buffer | undefined> {
  const response = await get(url, what);
  if (!response.ok) {
    await refuse(response, url, what);
    return undefined;
  }
  try {
    return await readCapped(response, limit);
  } catch (error) {
    throw networkFailure(what, error);
  }
}
