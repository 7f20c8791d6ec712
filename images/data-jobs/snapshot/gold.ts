// Indexes spec.gold for one snapshot: lists the gold prefix and walks the previous gold index beside
// the listing (both in key order). An object whose ETag and size are those of its previous entry
// keeps that entry without being read; a new or changed one is read once, checked (an image decoded
// with lib/image, a table file parsed), and stored among the namespace's blobs unless it is there.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import { checkImage } from '../../../lib/dataset/image-check.ts';
import type { ArtifactStore, ListedObject } from '../../../lib/store/client.ts';
import { blobKey } from '../../../lib/store/keys.ts';
import { pathSegment } from '../collect/item-path.ts';
import { tableFileProblem } from '../collect/table-file.ts';
import { MAX_ITEM_BYTES } from '../job-contract.ts';
import type { ResolvedLocation } from '../sources/s3-location.ts';
import { ItemLeftOut, LEFT_OUT_REASONS, type LeftOutReason, readCapped } from '../sources/source.ts';
import { compareKeys, encodeGoldIndex, type GoldEntry, type GoldIndexHeader } from './gold-index.ts';

/** Gold objects read and checked at once. */
export const GOLD_READS_IN_FLIGHT = 8;
const PROGRESS_INTERVAL_MS = 5_000;
/** The first few objects left out are logged one by one; the rest only counted. */
const LOGGED_LEFT_OUT = 5;
/** The table files the trainer reads (docs/workload-contract.md). */
const TABLE_FILE = /\.(csv|jsonl|ndjson)$/i;

export interface GoldCounts {
  /** Objects under the gold prefix (folder markers aside). */
  objects: number;
  items: number;
  leftOut: Record<LeftOutReason, number>;
  /** Objects read by this run, and their bytes; the others kept their previous entry. */
  read: number;
  bytesRead: number;
  reused: number;
  /** Blobs this run wrote (the bytes of a gold object not yet among the namespace's blobs). */
  blobsStored: number;
}

export function emptyGoldCounts(): GoldCounts {
  return {
    objects: 0,
    items: 0,
    leftOut: Object.fromEntries(LEFT_OUT_REASONS.map((r) => [r, 0])) as Record<LeftOutReason, number>,
    read: 0,
    bytesRead: 0,
    reused: 0,
    blobsStored: 0,
  };
}

/** The entry of an object read now: its item, or why it is left out. */
async function readEntry(
  object: ListedObject,
  key: string,
  options: { location: ResolvedLocation; header: GoldIndexHeader; namespace: string; store: ArtifactStore },
  counts: GoldCounts,
): Promise<GoldEntry> {
  const base = { key, etag: object.etag, size: object.size };
  const leave = (leftOut: LeftOutReason, detail: string): GoldEntry => ({ ...base, leftOut, detail });
  const imagefolder = options.header.format === 'imagefolder';
  const segments = key.split('/');
  if (imagefolder && segments.length < 2)
    return leave('unlabelled', `${key}: not in a label folder (<label>/<file>)`);
  if (!imagefolder && !TABLE_FILE.test(key)) return leave('corrupt', `${key}: not a .csv or .jsonl file`);
  if (object.size > MAX_ITEM_BYTES) return leave('tooLarge', `${key}: larger than ${MAX_ITEM_BYTES} bytes`);
  let bytes: Buffer;
  try {
    bytes = await readCapped(await options.location.store.openObject(object.key), MAX_ITEM_BYTES, key);
  } catch (e) {
    if (e instanceof ItemLeftOut) return leave(e.reason, e.message);
    if (e instanceof UserError && e.reason === 'NotFound')
      return leave('missing', `${key}: removed while listed`);
    throw e;
  }
  counts.read++;
  counts.bytesRead += bytes.length;
  const problem = imagefolder ? (await checkImage(bytes)).problem : tableFileProblem(bytes, key);
  if (problem) return leave('corrupt', `${key}: ${problem}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!(await options.store.exists(blobKey(options.namespace, sha256)))) {
    await options.store.putBlob(options.namespace, bytes);
    counts.blobsStored++;
  }
  return {
    ...base,
    item: {
      path: segments.map(pathSegment).join('/'),
      sha256,
      size: bytes.length,
      label: imagefolder ? (segments[0] as string) : null,
      source: 'gold',
      verified: true,
      collectedAt: object.lastModified.toISOString(),
      attributes: {},
    },
  };
}

/**
 * Walks the previous index beside the listing: `take(key)` returns the previous entry of that key,
 * if any, dropping the entries of keys the listing has passed. A previous index that turns out
 * unreadable is given up (everything after is read again), never trusted in part.
 */
function previousEntries(previous: AsyncIterator<GoldEntry> | undefined, log: Logger) {
  let head: GoldEntry | undefined;
  let started = false;
  let iterator = previous;
  const advance = async () => {
    if (!iterator) {
      head = undefined;
      return;
    }
    try {
      const next = await iterator.next();
      head = next.done ? undefined : next.value;
    } catch (e) {
      log.warn(
        { err: (e as Error).message },
        'the previous gold index cannot be read on: the rest of gold is read again',
      );
      iterator = undefined;
      head = undefined;
    }
  };
  return async (key: string): Promise<GoldEntry | undefined> => {
    if (!started) {
      started = true;
      await advance();
    }
    while (head && compareKeys(head.key, key) < 0) await advance();
    if (!head || head.key !== key) return undefined;
    const entry = head;
    await advance();
    return entry;
  };
}

/** Indexes the gold location; returns the new index, compressed, and what it counted. */
export async function indexGold(options: {
  location: ResolvedLocation;
  header: GoldIndexHeader;
  /** The newest earlier index of the same location, in key order. */
  previous: AsyncIterator<GoldEntry> | undefined;
  namespace: string;
  /** The job's store: where the blobs go. */
  store: ArtifactStore;
  log: Logger;
}): Promise<{ index: Buffer; counts: GoldCounts }> {
  const { location, log } = options;
  const counts = emptyGoldCounts();
  const take = previousEntries(options.previous, log);
  const started = Date.now();
  let lastProgress = started;
  let logged = 0;

  async function* entries(): AsyncGenerator<GoldEntry> {
    const pending: Promise<GoldEntry>[] = [];
    for await (const object of location.store.listObjects(location.prefix)) {
      if (object.key.endsWith('/')) continue; // a console's "folder"
      const key = object.key.slice(location.prefix.length);
      counts.objects++;
      const previous = await take(key);
      const kept = previous && previous.etag === object.etag && previous.size === object.size;
      if (kept) counts.reused++;
      const entry = kept ? Promise.resolve(previous) : readEntry(object, key, options, counts);
      // Awaited in order below; a failure meanwhile must not count as unhandled.
      entry.catch(() => undefined);
      pending.push(entry);
      if (pending.length >= GOLD_READS_IN_FLIGHT) yield await (pending.shift() as Promise<GoldEntry>);
    }
    while (pending.length > 0) yield await (pending.shift() as Promise<GoldEntry>);
  }

  async function* counted(): AsyncGenerator<GoldEntry> {
    for await (const entry of entries()) {
      if (entry.item) counts.items++;
      else {
        counts.leftOut[entry.leftOut]++;
        if (++logged <= LOGGED_LEFT_OUT)
          log.warn({ reason: entry.leftOut }, `gold: left out ${entry.detail}`);
      }
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        log.info(
          {
            objects: counts.objects,
            read: counts.read,
            reused: counts.reused,
            objectsPerSecond: Math.round(counts.objects / ((now - started) / 1000)),
          },
          'indexing gold',
        );
      }
      yield entry;
    }
  }

  const index = await encodeGoldIndex(options.header, counted());
  const seconds = (Date.now() - started) / 1000;
  log.info(
    {
      objects: counts.objects,
      items: counts.items,
      read: counts.read,
      reused: counts.reused,
      bytesRead: counts.bytesRead,
      blobsStored: counts.blobsStored,
      seconds: Math.round(seconds * 10) / 10,
    },
    'gold indexed',
  );
  return { index, counts };
}
