// The gold index: what a snapshot learnt about every object under spec.gold — its ETag and size
// when it was read, and the item it became (or why it was left out) — so that the next snapshot
// reads only what is new or changed. Gzip JSON lines under `datasets/<ns>/<dataset>/gold-index/
// <version>.jsonl.gz`: a header line naming the gold location, then one entry per object in key
// order (the store's listing order), which lets the next snapshot walk it beside a new listing.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { UserError } from '../../../lib/contract/errors.ts';
import { DigestStream, type ManifestItem, parseItem } from '../../../lib/store/manifest.ts';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../sources/source.ts';

export const GOLD_INDEX_FORMAT = 1;

export interface GoldIndexHeader {
  goldIndex: typeof GOLD_INDEX_FORMAT;
  /** spec.gold.uri and spec.gold.endpoint (null: the operator's store) the entries were read from. */
  uri: string;
  endpoint: string | null;
  format: 'imagefolder' | 'tabular';
}

interface EntryBase {
  /** The object's key relative to the gold prefix. */
  key: string;
  etag: string;
  size: number;
}
export type GoldEntry =
  | (EntryBase & { item: ManifestItem; leftOut?: undefined })
  | (EntryBase & { leftOut: LeftOutReason; detail: string; item?: undefined });

function invalid(what: string, message: string): never {
  throw new UserError('SnapshotInputsInvalid', `${what}: ${message}`);
}

/** Whether entries read from `header`'s location may stand for objects of `current`'s. */
export function sameLocation(header: GoldIndexHeader, current: GoldIndexHeader): boolean {
  return (
    header.uri === current.uri && header.endpoint === current.endpoint && header.format === current.format
  );
}

/** S3 lists keys in UTF-8 byte order, which JavaScript's string order is not (surrogate pairs). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Lines of about this many characters are compressed at a time (as manifests are). */
const CHUNK_CHARS = 64 * 1024;

/**
 * The index, compressed, in memory: about 60 bytes an object, so 60 MB for a million gold
 * objects. It is written in one create-only PUT, which needs its length and digest first.
 */
export async function encodeGoldIndex(
  header: GoldIndexHeader,
  entries: AsyncIterable<GoldEntry> | Iterable<GoldEntry>,
): Promise<Buffer> {
  const compressed: Buffer[] = [];
  const gzip = createGzip();
  gzip.on('data', (c: Buffer) => compressed.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => gzip.write(text, (e) => (e ? reject(e) : resolve())));
  let chunk = `${JSON.stringify(header)}\n`;
  for await (const entry of entries) {
    chunk += `${JSON.stringify(entry)}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      await write(chunk);
      chunk = '';
    }
  }
  gzip.end(chunk);
  await done;
  return Buffer.concat(compressed);
}

function parseHeader(value: unknown, what: string): GoldIndexHeader {
  const h = value as GoldIndexHeader;
  if (
    typeof h !== 'object' ||
    h === null ||
    h.goldIndex !== GOLD_INDEX_FORMAT ||
    typeof h.uri !== 'string' ||
    (h.endpoint !== null && typeof h.endpoint !== 'string') ||
    (h.format !== 'imagefolder' && h.format !== 'tabular')
  )
    invalid(what, `its first line is not a gold index header of format ${GOLD_INDEX_FORMAT}`);
  return { goldIndex: h.goldIndex, uri: h.uri, endpoint: h.endpoint, format: h.format };
}

function parseEntry(value: unknown, line: number, what: string): GoldEntry {
  const e = value as Record<string, unknown>;
  if (typeof e !== 'object' || e === null) invalid(what, `line ${line} is not an object`);
  const { key, etag, size } = e;
  if (typeof key !== 'string' || key === '' || typeof etag !== 'string' || !Number.isSafeInteger(size))
    invalid(what, `line ${line} needs a key, an etag and a size`);
  const base = { key, etag, size: size as number };
  if (e.item !== undefined) {
    try {
      return { ...base, item: parseItem(e.item, line) };
    } catch (error) {
      invalid(what, (error as Error).message);
    }
  }
  if (!(LEFT_OUT_REASONS as readonly unknown[]).includes(e.leftOut) || typeof e.detail !== 'string')
    invalid(what, `line ${line} has neither an item nor a reason it was left out`);
  return { ...base, leftOut: e.leftOut as LeftOutReason, detail: e.detail };
}

export interface OpenedGoldIndex {
  header: GoldIndexHeader;
  /** The entries in key order; with `expectedSha256`, a mismatch throws after the last one. */
  entries: AsyncGenerator<GoldEntry>;
}

/** Reads an index stream: the header at once, the entries as they are iterated. */
export async function openGoldIndex(
  source: Readable,
  what: string,
  expectedSha256?: string,
): Promise<OpenedGoldIndex> {
  const digest = new DigestStream();
  const gunzip = createGunzip();
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(digest).pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  const parse = (text: string, line: number): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return invalid(what, `line ${line} is not valid JSON`);
    }
  };
  const close = () => {
    source.destroy();
    gunzip.destroy();
  };
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (e) {
    close();
    return invalid(what, `not gzip JSON lines: ${(e as Error).message}`);
  }
  if (first.done) {
    close();
    invalid(what, 'it is empty');
  }
  const header = parseHeader(parse(first.value, 1), what);
  async function* entries(): AsyncGenerator<GoldEntry> {
    let line = 1;
    try {
      while (true) {
        let next: IteratorResult<string>;
        try {
          next = await lines.next();
        } catch (e) {
          invalid(what, `not gzip JSON lines: ${(e as Error).message}`);
        }
        if (next.done) break;
        line++;
        if (next.value.trim() === '') continue;
        yield parseEntry(parse(next.value, line), line, what);
      }
      if (expectedSha256 !== undefined && digest.digest() !== expectedSha256)
        invalid(
          what,
          `its sha256 is ${digest.digest()}, expected ${expectedSha256}: it changed after it was written`,
        );
    } finally {
      close();
    }
  }
  return { header, entries: entries() };
}
