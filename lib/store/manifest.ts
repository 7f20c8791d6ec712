// Dataset manifests: gzip-compressed JSON Lines, one item per line, streamed both ways so a
// million-item manifest never has to sit in memory.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { UserError } from '../contract/errors.ts';

export type AttributeValue = string | number | boolean | null;

export interface ManifestItem {
  /** Logical path inside the dataset, e.g. `cat/0001.jpg` or `rows/2024-06-01.csv`; never a store key. */
  path: string;
  /**
   * sha256 of the item's bytes, stored at `objects/<namespace>/sha256/<aa>/<sha256>` in the namespace
   * that publishes the manifest (blobs are per namespace; `blobKey` in keys.ts builds the key).
   */
  sha256: string;
  size: number;
  /** The item's label (an image's class); null for tabular files, whose rows carry their own target. */
  label: string | null;
  /** `gold` or the name of the Dataset source that collected the item. */
  source: string;
  verified: boolean;
  /** RFC 3339 time of collection. */
  collectedAt: string;
  attributes: Record<string, AttributeValue>;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** One item is a few hundred characters; a longer line is not an item and must not fill memory. */
const MAX_LINE_CHARS = 1024 * 1024;
/**
 * Lines are handed to gzip in chunks of about this many characters: one write per line costs a
 * zlib call each (40 s for a million items instead of 5). Deflate's output does not depend on how
 * its input is split, so the bytes are the same either way.
 */
const ENCODE_CHUNK_CHARS = 64 * 1024;
/** The size of the blocks a kept manifest is held in (see measureManifest). */
const KEPT_BLOCK_BYTES = 1024 * 1024;

function fail(line: number, message: string): never {
  throw new UserError('ManifestInvalid', `manifest line ${line}: ${message}`);
}

/** Checks one decoded line and returns it as a typed item. */
export function parseItem(value: unknown, line: number): ManifestItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(line, 'expected a JSON object');
  const v = value as Record<string, unknown>;
  const path = v.path;
  if (typeof path !== 'string' || path === '' || path.length > 1024)
    fail(line, '"path" must be a non-empty string');
  if (
    path.startsWith('/') ||
    path.split('/').some((s) => s === '..' || s === '.' || s === '') ||
    /\p{Cc}/u.test(path)
  )
    fail(line, `"path" ${JSON.stringify(path)} must be a relative path without empty, "." or ".." segments`);
  if (typeof v.sha256 !== 'string' || !SHA256.test(v.sha256))
    fail(line, '"sha256" must be 64 lowercase hex digits');
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0)
    fail(line, '"size" must be a non-negative integer');
  if (v.label !== null && v.label !== undefined && typeof v.label !== 'string')
    fail(line, '"label" must be a string or null');
  if (typeof v.source !== 'string' || v.source === '') fail(line, '"source" must be a non-empty string');
  if (typeof v.verified !== 'boolean') fail(line, '"verified" must be true or false');
  if (typeof v.collectedAt !== 'string' || Number.isNaN(Date.parse(v.collectedAt)))
    fail(line, '"collectedAt" must be an RFC 3339 time');
  const attributes = v.attributes ?? {};
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    fail(line, '"attributes" must be an object');
  for (const [k, a] of Object.entries(attributes))
    if (a !== null && !['string', 'number', 'boolean'].includes(typeof a))
      fail(line, `attribute ${JSON.stringify(k)} must be a string, number, boolean or null`);
  return {
    path,
    sha256: v.sha256,
    size: v.size,
    label: (v.label as string | null | undefined) ?? null,
    source: v.source,
    verified: v.verified,
    collectedAt: v.collectedAt,
    attributes: attributes as Record<string, AttributeValue>,
  };
}

/**
 * Encodes items as a gzip JSONL stream. The bytes depend only on the items (their fields in
 * order) and the zlib build, so encoding the same items again gives the same digest.
 */
export function encodeManifest(items: Iterable<ManifestItem> | AsyncIterable<ManifestItem>): Readable {
  async function* lines(): AsyncGenerator<string> {
    let n = 0;
    let chunk = '';
    for await (const item of items) {
      parseItem(item, ++n); // refuse to write what could not be read back
      chunk += `${JSON.stringify(item)}\n`;
      if (chunk.length >= ENCODE_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk !== '') yield chunk;
  }
  const source = Readable.from(lines());
  const gzip = createGzip();
  // pipe() does not forward errors; without this an invalid item would stall the reader forever.
  source.on('error', (e) => gzip.destroy(e));
  return source.pipe(gzip);
}

/** A pass-through stream that computes the sha256 and size of what flows through it. */
export class DigestStream extends Transform {
  readonly #hash = createHash('sha256');
  size = 0;
  #digest: string | undefined;

  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (e?: Error | null, d?: Buffer) => void,
  ): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  /** The hex digest; only valid once the stream has ended. */
  digest(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}

export interface EncodedManifest {
  /** Hex sha256 of the compressed bytes: the manifest's digest. */
  sha256: string;
  /** Base64 MD5 of the compressed bytes, for the store's Content-MD5 check of an upload. */
  md5: string;
  size: number;
  count: number;
}

/**
 * Encodes the items without keeping the bytes: what the manifest's digest and size will be. With
 * `keepBytes`, the bytes are kept too while they stay within that many (`bytes`, so a publisher
 * need not encode the items a second time); past it, only the measurement is returned.
 */
export async function measureManifest(
  items: Iterable<ManifestItem> | AsyncIterable<ManifestItem>,
  keepBytes = 0,
): Promise<EncodedManifest & { bytes?: Buffer[] }> {
  let count = 0;
  async function* counted(): AsyncGenerator<ManifestItem> {
    for await (const item of items) {
      count++;
      yield item;
    }
  }
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  let kept: Buffer[] | undefined = keepBytes > 0 ? [] : undefined;
  // gzip's output chunks are slices of 64 KiB buffers that it may leave mostly empty: kept as they
  // are, a manifest held four times its size. They are copied into blocks of their own instead.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes > 0) kept?.push(Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of encodeManifest(counted())) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (kept && size > keepBytes) kept = undefined;
    if (!kept) continue;
    pending.push(chunk as Buffer);
    pendingBytes += (chunk as Buffer).length;
    if (pendingBytes >= KEPT_BLOCK_BYTES) flush();
  }
  flush();
  const measured = { sha256: sha256.digest('hex'), md5: md5.digest('base64'), size, count };
  return kept ? { ...measured, bytes: kept } : measured;
}

/**
 * Decodes a gzip JSONL manifest stream item by item. With `expectedSha256`, the compressed bytes'
 * digest is checked when the stream ends; a mismatch throws after the last item, so a consumer
 * acts on the items only once the iteration has ended without an error.
 */
export async function* decodeManifest(
  source: Readable,
  expectedSha256?: string,
): AsyncGenerator<ManifestItem> {
  const digest = new DigestStream();
  const gunzip = createGunzip();
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(digest).pipe(gunzip);
  // A multi-byte character can be split between two gunzip chunks: the decoder keeps the partial
  // bytes for the next chunk instead of turning each half into U+FFFD.
  const utf8 = new StringDecoder('utf8');
  let line = 0;
  let rest = '';
  try {
    try {
      for await (const chunk of gunzip) {
        const text = rest + utf8.write(chunk as Buffer);
        const parts = text.split('\n');
        rest = parts.pop() ?? '';
        if (rest.length > MAX_LINE_CHARS)
          fail(line + parts.length + 1, `longer than ${MAX_LINE_CHARS} characters`);
        for (const part of parts) {
          line++;
          if (part.trim() === '') continue;
          yield parseItem(parseJson(part, line), line);
        }
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(
        'ManifestInvalid',
        `manifest is not valid gzip JSON Lines: ${(e as Error).message}`,
      );
    }
    rest += utf8.end();
    if (rest.trim() !== '') yield parseItem(parseJson(rest, ++line), line);
    if (expectedSha256 !== undefined && digest.digest() !== expectedSha256)
      throw new UserError(
        'ManifestInvalid',
        `manifest sha256 is ${digest.digest()}, expected ${expectedSha256}: it changed after it was published`,
      );
  } finally {
    // A consumer that stops early (or a failure) must not leave the store connection open.
    source.destroy();
  }
}

function parseJson(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(line, 'not valid JSON');
  }
}
