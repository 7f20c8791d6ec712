// Dataset manifests: gzip-compressed JSON Lines, one item per line, streamed both ways so a
// million-item manifest never has to sit in memory.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { UserError } from '../contract/errors.ts';

export type AttributeValue = string | number | boolean | null;

export interface ManifestItem {
  /** Logical path inside the dataset, e.g. `cat/0001.jpg` or `rows/2024-06-01.csv`; never a store key. */
  path: string;
  /** sha256 of the item's bytes, stored at `objects/sha256/<aa>/<sha256>`. */
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

/** Encodes items as a gzip JSONL stream. */
export function encodeManifest(items: Iterable<ManifestItem> | AsyncIterable<ManifestItem>): Readable {
  async function* lines(): AsyncGenerator<string> {
    let n = 0;
    for await (const item of items) {
      parseItem(item, ++n); // refuse to write what could not be read back
      yield `${JSON.stringify(item)}\n`;
    }
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

/**
 * Decodes a gzip JSONL manifest stream item by item. With `expectedSha256`, the compressed bytes'
 * digest is checked when the stream ends; a mismatch throws after the last item.
 */
export async function* decodeManifest(
  source: Readable,
  expectedSha256?: string,
): AsyncGenerator<ManifestItem> {
  const digest = new DigestStream();
  const gunzip = createGunzip();
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(digest).pipe(gunzip);
  let line = 0;
  let rest = '';
  try {
    for await (const chunk of gunzip) {
      const text = rest + (chunk as Buffer).toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const part of parts) {
        line++;
        if (part.trim() === '') continue;
        yield parseItem(parseJson(part, line), line);
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError('ManifestInvalid', `manifest is not valid gzip JSON Lines: ${(e as Error).message}`);
  }
  if (rest.trim() !== '') yield parseItem(parseJson(rest, ++line), line);
  if (expectedSha256 !== undefined && digest.digest() !== expectedSha256)
    throw new UserError(
      'ManifestInvalid',
      `manifest sha256 is ${digest.digest()}, expected ${expectedSha256}: it changed after it was published`,
    );
}

function parseJson(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(line, 'not valid JSON');
  }
}
