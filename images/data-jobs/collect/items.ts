// One window's candidates, from every source, turned into the batch's items: each read once,
// hashed, checked (an image decoded once with lib/image, a table file parsed), stored as a blob of
// the namespace unless it already is one, and ordered by source and id so that the same window
// gives the same items. Items with the same bytes are kept once (the first in that order).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import type { CollectionWindow } from '../../../lib/dataset/batch-window.ts';
import { checkImage } from '../../../lib/dataset/image-check.ts';
import type { ImageFormat } from '../../../lib/image/format.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { blobKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { MAX_ITEMS_PER_WINDOW } from '../job-contract.ts';
import {
  type Candidate,
  ItemLeftOut,
  isLeftOut,
  LEFT_OUT_REASONS,
  type LeftOutReason,
  type Source,
} from '../sources/source.ts';
import { itemPath } from './item-path.ts';
import { tableFileProblem } from './table-file.ts';

/** Items read, checked and stored at once: enough to hide the store's latency, few enough for memory. */
export const ITEMS_IN_FLIGHT = 16;
/** A progress line at most this often while a window is collected. */
const PROGRESS_INTERVAL_MS = 5_000;
/** The first few items left out per reason are logged one by one; the rest only counted. */
const LOGGED_PER_REASON = 5;

export interface SourceCounts {
  /** Candidates the source yielded for the window. */
  candidates: number;
  items: number;
  verified: number;
  /** Left out: the same bytes (or, for table rows, the same id) as an item kept. */
  duplicates: number;
  /** Left out: a URL whose content is the one collected before. */
  unchanged: number;
  leftOut: Record<LeftOutReason, number>;
}

export interface BlobCounts {
  /** Written by this run. */
  stored: number;
  /** Copied content already among the namespace's blobs: not stored again. */
  present: number;
  /** Items that are the namespace's blobs already (e.g. the inference server's inputs): referenced. */
  referenced: number;
}

export interface WindowCollection {
  items: ManifestItem[];
  /** Per source, in spec order. */
  counts: Map<string, SourceCounts>;
  /** Per-label counts of table rows (tabular sources that know their rows' labels). */
  rowLabels: Map<string, number>;
  /** For sources whose items have a content key: key → sha256 of the content seen in this window. */
  contents: Record<string, Record<string, string>>;
  blobs: BlobCounts;
}

export interface NamedSource {
  name: string;
  source: Source;
}

function newCounts(): SourceCounts {
  return {
    candidates: 0,
    items: 0,
    verified: 0,
    duplicates: 0,
    unchanged: 0,
    leftOut: Object.fromEntries(LEFT_OUT_REASONS.map((r) => [r, 0])) as Record<LeftOutReason, number>,
  };
}

interface Processed {
  order: number;
  id: string;
  item: ManifestItem;
  droppedDuplicates: number;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function collectWindow(options: {
  namespace: string;
  store: ArtifactStore;
  window: CollectionWindow;
  sources: NamedSource[];
  /** The contents remembered by the previous batch (its summary), per source. */
  previousContents: Record<string, Record<string, string>>;
  log: Logger;
}): Promise<WindowCollection> {
  const { namespace, store, window, log } = options;
  const collectedAt = window.end.toISOString();
  const counts = new Map<string, SourceCounts>();
  const contents: Record<string, Record<string, string>> = {};
  const blobs: BlobCounts = { stored: 0, present: 0, referenced: 0 };
  const rowLabels = new Map<string, number>();
  const processed: Processed[] = [];
  /** One decode per content: a verdict per sha256 (no problem: readable). */
  const verdicts = new Map<string, Promise<{ problem?: string; format?: ImageFormat }>>();
  const logged = new Map<LeftOutReason, number>();
  let done = 0;
  const started = Date.now();
  let lastProgress = started;

  function leaveOut(source: string, c: SourceCounts, reason: LeftOutReason, detail: string): void {
    c.leftOut[reason]++;
    const n = (logged.get(reason) ?? 0) + 1;
    logged.set(reason, n);
    if (n <= LOGGED_PER_REASON) log.warn({ source, reason }, `left out: ${detail}`);
  }

  function check(sha256: string, kind: Candidate['kind'], bytes: Buffer, name: string) {
    // A table's verdict depends on how its name says to read it.
    const key = kind === 'image' ? sha256 : `${sha256} ${/\.[^./]*$/.exec(name)?.[0] ?? ''}`;
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = (async () => {
        if (kind === 'table') {
          const problem = tableFileProblem(bytes, name);
          return problem ? { problem } : {};
        }
        return checkImage(bytes);
      })();
      verdicts.set(key, verdict);
    }
    return verdict;
  }

  async function processOne(source: string, order: number, c: Candidate, sc: SourceCounts): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await c.read();
    } catch (e) {
      if (e instanceof ItemLeftOut) return leaveOut(source, sc, e.reason, e.message);
      throw e;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (c.blobSha256 !== undefined && c.blobSha256 !== sha256)
      return leaveOut(source, sc, 'corrupt', `${c.id}: the blob's bytes do not match its digest`);
    if (c.contentKey !== undefined) {
      contents[source] ??= {};
      contents[source][c.contentKey] = sha256;
      if (options.previousContents[source]?.[c.contentKey] === sha256) {
        sc.unchanged++;
        return;
      }
    }
    const verdict = await check(sha256, c.kind, bytes, c.name);
    if (verdict.problem !== undefined) return leaveOut(source, sc, 'corrupt', `${c.id}: ${verdict.problem}`);
    if (c.blobSha256 !== undefined) blobs.referenced++;
    else if (await store.exists(blobKey(namespace, sha256))) blobs.present++;
    else {
      await store.putBlob(namespace, bytes);
      blobs.stored++;
    }
    const path = itemPath({
      kind: c.kind,
      label: c.label,
      source,
      name: c.name,
      sha256,
      ...(verdict.format ? { format: verdict.format } : {}),
    });
    processed.push({
      order,
      id: c.id,
      droppedDuplicates: c.droppedDuplicates ?? 0,
      item: {
        path,
        sha256,
        size: bytes.length,
        label: c.label,
        source,
        verified: c.verified,
        collectedAt: c.collectedAt ?? collectedAt,
        attributes: c.attributes,
      },
    });
    if (c.rowLabels)
      for (const [label, n] of c.rowLabels) rowLabels.set(label, (rowLabels.get(label) ?? 0) + n);
  }

  for (const [order, { name, source }] of options.sources.entries()) {
    const sc = newCounts();
    counts.set(name, sc);
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    for await (const c of source.candidates(window)) {
      sc.candidates++;
      if (isLeftOut(c)) {
        leaveOut(name, sc, c.leftOut, c.detail);
        continue;
      }
      if (sc.candidates > MAX_ITEMS_PER_WINDOW)
        throw new UserError(
          'WindowTooLarge',
          `source ${name} has more than ${MAX_ITEMS_PER_WINDOW} items in the window ${window.start.toISOString()}..${collectedAt}; collect more often`,
        );
      const task: Promise<void> = processOne(name, order, c, sc)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          inFlight.delete(task);
          done++;
        });
      inFlight.add(task);
      if (inFlight.size >= ITEMS_IN_FLIGHT) await Promise.race(inFlight);
      if (failure) break;
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        log.info(
          {
            window: collectedAt,
            source: name,
            processed: done,
            itemsPerSecond: Math.round(done / ((now - started) / 1000)),
          },
          'collecting',
        );
      }
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  }

  // The same window, the same order: by source (spec order), id, then content.
  processed.sort((a, b) => a.order - b.order || byText(a.id, b.id) || byText(a.item.sha256, b.item.sha256));
  const items: ManifestItem[] = [];
  const ids = new Set<string>();
  const digests = new Set<string>();
  for (const p of processed) {
    const sc = counts.get(p.item.source) as SourceCounts;
    sc.duplicates += p.droppedDuplicates;
    const id = `${p.order}/${p.id}`;
    if (ids.has(id) || digests.has(p.item.sha256)) {
      sc.duplicates++;
      continue;
    }
    ids.add(id);
    digests.add(p.item.sha256);
    items.push(p.item);
    sc.items++;
    if (p.item.verified) sc.verified++;
  }
  return { items, counts, rowLabels, contents, blobs };
}
