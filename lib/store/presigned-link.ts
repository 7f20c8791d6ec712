// Reading an object through a presigned GET link, as workloads that get links and no credentials
// do (decision 0008): the verifier and the inference server. The body streams to disk while it is
// hashed (constant memory, whatever its size) and appears under its name only when its sha256
// matches; small objects are read whole up to a cap. Every failure is a LinkError whose kind
// says what it means (missing, expired, refused, ...), so each caller maps it to its own reasons.
// Messages never carry the link's query (the signature) or the digest of the bytes received.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DigestStream } from './manifest.ts';

/** How much of an error answer is read to learn the S3 error code. */
const ERROR_BODY_LIMIT = 64 * 1024;

export type Refusal =
  /** 404, or 403 AccessDenied: a store answers 403 for a missing key when the signer may not list. */
  | { kind: 'missing'; code: string }
  | { kind: 'expired' }
  /** Anything else (5xx, a signature the store does not accept): not a verdict on the object. */
  | { kind: 'other'; status: number; code: string };

export type LinkFailure =
  | Refusal
  /** No answer: refused connection, DNS, TLS, a body cut short. */
  | { kind: 'unreachable'; why: string; bytes: number }
  /** Content-Length differs from the size the caller expects: the object changed. */
  | { kind: 'changed'; size: number }
  /** The local disk is full. */
  | { kind: 'full'; bytes: number }
  /** The bytes do not hash to the expected sha256. */
  | { kind: 'mismatch' };

export class LinkError extends Error {
  readonly failure: LinkFailure;
  constructor(failure: LinkFailure, message: string) {
    super(message);
    this.name = 'LinkError';
    this.failure = failure;
  }
}

/** When a SigV4 presigned link stops working (X-Amz-Date + X-Amz-Expires); undefined if not one. */
export function linkExpiresAt(link: string | URL): Date | undefined {
  let url: URL;
  try {
    url = typeof link === 'string' ? new URL(link) : link;
  } catch {
    return undefined;
  }
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(
    url.searchParams.get('X-Amz-Date') ?? '',
  );
  const expires = Number(url.searchParams.get('X-Amz-Expires'));
  if (!date || !Number.isInteger(expires) || expires <= 0) return undefined;
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) + expires * 1000);
}

/** A link as it may be logged: store, bucket and key, without the query that holds the signature. */
export function linkForLog(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Classifies a refused GET. S3 and MinIO answer an expired link with 403 AccessDenied "Request has
 * expired"; the link's own signed lifetime covers a store that words it differently.
 */
export function classifyRefusal(status: number, body: string, url: URL, now = Date.now()): Refusal {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1] ?? '';
  if (status === 404) return { kind: 'missing', code: code || 'NotFound' };
  if (status === 403) {
    const until = linkExpiresAt(url)?.getTime();
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

function unreachable(what: string, error: unknown, bytes: number): LinkError {
  // undici's `fetch failed` hides the reason in `cause` (ECONNREFUSED, a TLS error, ...); neither
  // names the link's query, which holds the signature.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  const after = bytes > 0 ? ` (after ${bytes} bytes)` : '';
  return new LinkError(
    { kind: 'unreachable', why, bytes },
    `the ${what}${after} could not be read from the store: ${why}`,
  );
}

async function get(url: URL, what: string): Promise<Response> {
  try {
    // A presigned link names the object exactly; a redirect would lead somewhere it was not signed for.
    return await fetch(url, { redirect: 'error' });
  } catch (error) {
    throw unreachable(what, error, 0);
  }
}

/** Reads the refusal and throws it as a LinkError. */
async function refuse(response: Response, url: URL, what: string): Promise<never> {
  const body = (await readCapped(response, ERROR_BODY_LIMIT).catch(() => undefined))?.toString('utf8') ?? '';
  const refusal = classifyRefusal(response.status, body, url);
  const message =
    refusal.kind === 'missing'
      ? `the store has no ${what} at ${linkForLog(url)} (${refusal.code})`
      : refusal.kind === 'expired'
        ? `the link to the ${what} expired`
        : `the store refused to send the ${what}: HTTP ${refusal.status}${refusal.code ? ` ${refusal.code}` : ''}`;
  throw new LinkError(refusal, message);
}

/**
 * Streams the object to `<path>.partial` while hashing it, and renames it to `path` only when its
 * sha256 matches; a failure leaves no file. With `expectedSize`, a Content-Length other than it
 * fails before any byte is written.
 */
export async function downloadLink(
  url: URL,
  options: { sha256: string; path: string; what: string; expectedSize?: number },
): Promise<{ size: number }> {
  const { what } = options;
  const response = await get(url, what);
  if (!response.ok) await refuse(response, url, what);
  const length = response.headers.get('content-length');
  if (options.expectedSize !== undefined && length !== null && Number(length) !== options.expectedSize) {
    await response.body?.cancel().catch(() => undefined);
    throw new LinkError(
      { kind: 'changed', size: Number(length) },
      `the ${what} changed (${length} bytes, ${options.expectedSize} expected)`,
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
      throw new LinkError(
        { kind: 'full', bytes: digest.size },
        `the work directory is full after ${digest.size} bytes of the ${what}`,
      );
    throw unreachable(what, error, digest.size);
  }
  if (digest.digest() !== options.sha256) {
    await rm(partial, { force: true });
    throw new LinkError({ kind: 'mismatch' }, `the ${what}'s bytes do not match the expected sha256`);
  }
  await rename(partial, options.path);
  return { size: digest.size };
}

/**
 * A small object read whole: undefined when it does not exist (404, or 403 AccessDenied) or is
 * larger than `limit` bytes. Other refusals throw a LinkError.
 */
export async function fetchSmallObject(url: URL, what: string, limit: number): Promise<Buffer | undefined> {
  const response = await get(url, what);
  if (!response.ok) {
    try {
      await refuse(response, url, what);
    } catch (error) {
      if (error instanceof LinkError && error.failure.kind === 'missing') return undefined;
      throw error;
    }
  }
  try {
    return await readCapped(response, limit);
  } catch (error) {
    throw unreachable(what, error, 0);
  }
}
