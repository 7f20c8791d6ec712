// The one interface every source kind implements: given a collection window, yield the candidate
// items of that window. What happens to a candidate next (read once, digest, de-duplication,
// decode check, blob write, manifest line) is the same for every kind (collect/items.ts), so a new
// kind is one file that yields candidates, plus its line in registry.ts.
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { CollectionWindow } from '../../../lib/dataset/batch-window.ts';
import type { ArtifactStore, StoreConfig } from '../../../lib/store/client.ts';
import type { AttributeValue } from '../../../lib/store/manifest.ts';
import type { DatasetSpec } from '../../../operator/api/dataset.ts';

type Env = Record<string, string | undefined>;

/** Why a candidate was left out of its batch; each is counted in the batch summary. */
export const LEFT_OUT_REASONS = [
  /** Not a decodable image (imagefolder), or not a readable CSV / JSON lines file (tabular). */
  'corrupt',
  /** The object or URL it names does not exist (any more). */
  'missing',
  /** Its object key lies outside the namespace's prefixes. */
  'outsideNamespace',
  /** Larger than the collector reads. */
  'tooLarge',
  /** An image without a label, or a row without an id. */
  'unlabelled',
] as const;
export type LeftOutReason = (typeof LEFT_OUT_REASONS)[number];

/** A candidate known to be unusable before it is read (e.g. a row without a label). */
export interface LeftOut {
  leftOut: LeftOutReason;
  /** Says which candidate and why, for the log; never a secret. */
  detail: string;
}

/** Thrown by `Candidate.read` for a candidate that turns out unusable when it is read. */
export class ItemLeftOut extends Error {
  override name = 'ItemLeftOut';
  readonly reason: LeftOutReason;

  constructor(reason: LeftOutReason, detail: string) {
    super(detail);
    this.reason = reason;
  }
}

export interface Candidate {
  /**
   * Unique within the source and window, stable across runs: it orders the batch (so a re-run
   * writes the same bytes) and decides which of two candidates with the same content is kept.
   */
  id: string;
  /** `image` for imagefolder Datasets; `table` for a CSV or JSON lines file of a tabular one. */
  kind: 'image' | 'table';
  /** The image's class; null for a table file, whose rows carry their own label. */
  label: string | null;
  verified: boolean;
  /** The item's own time (e.g. an object's LastModified), RFC 3339; default: the window's end. */
  collectedAt?: string;
  attributes: Record<string, AttributeValue>;
  /**
   * The item's file name below `<label>/<source>/` (images) or `<source>/` (tables), as `/`-separated
   * segments; an image gets the extension of its format when it has none of its own.
   */
  name: string;
  /** Reads the bytes; may throw ItemLeftOut. Called once, with a few candidates in flight. */
  read(): Promise<Buffer>;
  /** Set when the bytes already are this blob of the namespace: referenced, not copied. */
  blobSha256?: string;
  /**
   * For items without a time of their own (a URL): the key under which the content's digest is
   * remembered in the batch summary, so the same content is not collected again in the next window.
   */
  contentKey?: string;
  /** Rows of a table file left out because another row had the same id: counted as duplicates. */
  droppedDuplicates?: number;
  /** A table file's rows per label, when its source knows them (text labels; numbers are targets). */
  rowLabels?: Map<string, number>;
}

export interface SourceContext {
  namespace: string;
  dataset: string;
  format: DatasetSpec['format'];
  tabular: DatasetSpec['tabular'];
  /** The source's name (recorded with every item it contributes) and position in spec.sources. */
  name: string;
  index: number;
  env: Env;
  /** The job's store: the operator's bucket, where blobs and batches go. */
  store: ArtifactStore;
  storeConfig: StoreConfig;
  log: Logger;
}

export interface Source {
  /** The candidates of one window. A run may ask for several windows, oldest first. */
  candidates(window: CollectionWindow): AsyncIterable<Candidate | LeftOut>;
  /** Releases connections; called once when the run ends. */
  close?(): Promise<void>;
}

export function isLeftOut(value: Candidate | LeftOut): value is LeftOut {
  return (value as LeftOut).leftOut !== undefined;
}

/** Reads a stream whole, refusing it (ItemLeftOut tooLarge) past `limit` bytes. */
export async function readCapped(
  source: Readable | AsyncIterable<Uint8Array>,
  limit: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) throw new ItemLeftOut('tooLarge', `${what} is larger than ${limit} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  } finally {
    if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
  }
  return Buffer.concat(chunks);
}
