// The batches a Dataset already has in the store: the newest one says where collection goes on
// (its window's end), and its summary what the next window must remember. A newest batch without
// its summary (a run stopped between the two writes) gets one rebuilt from its manifest.
import type { Logger } from 'pino';
import { type CollectionWindow, parseBatchKey } from '../../../lib/dataset/batch-window.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { batchesPrefix, batchManifestKey, batchSummaryKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { type BatchSummary, rebuildSummary, type SummaryContext } from './summary.ts';

export interface PublishedBatch {
  window: CollectionWindow;
  segment: string;
  manifestKey: string;
  summaryKey: string;
  hasSummary: boolean;
}

/** The batch whose window ends last (of two with one end, the one that starts later). */
export async function newestBatch(
  store: ArtifactStore,
  namespace: string,
  dataset: string,
): Promise<PublishedBatch | undefined> {
  const prefix = batchesPrefix(namespace, dataset);
  const manifests = new Map<string, CollectionWindow>();
  const summaries = new Set<string>();
  for await (const object of store.listObjects(prefix)) {
    const file = parseBatchKey(prefix, object.key);
    if (!file) continue;
    if (file.kind === 'manifest') manifests.set(file.segment, file.window);
    else summaries.add(file.segment);
  }
  let newest: [string, CollectionWindow] | undefined;
  for (const entry of manifests) {
    const [, w] = entry;
    if (
      !newest ||
      w.end > newest[1].end ||
      (w.end.getTime() === newest[1].end.getTime() && w.start > newest[1].start)
    )
      newest = entry;
  }
  if (!newest) return undefined;
  const [segment, window] = newest;
  return {
    window,
    segment,
    manifestKey: batchManifestKey(namespace, dataset, segment),
    summaryKey: batchSummaryKey(namespace, dataset, segment),
    hasSummary: summaries.has(segment),
  };
}

/** What the newest batch remembers for the next window; nothing when its summary is unreadable. */
export async function rememberedContents(
  store: ArtifactStore,
  batch: PublishedBatch,
  log: Logger,
): Promise<Record<string, Record<string, string>>> {
  try {
    const summary = JSON.parse(
      (await store.getObject(batch.summaryKey)).toString('utf8'),
    ) as Partial<BatchSummary>;
    const contents = summary.contents;
    if (typeof contents === 'object' && contents !== null) return contents;
  } catch (e) {
    log.warn(
      { batch: batch.segment, err: (e as Error).message },
      'the newest batch summary cannot be read; URLs are collected anew',
    );
  }
  return {};
}

/** Writes the summary of a batch that was published without one, from its manifest alone. */
export async function repairSummary(
  store: ArtifactStore,
  batch: PublishedBatch,
  ctx: Omit<SummaryContext, 'window' | 'manifestUri'>,
  log: Logger,
): Promise<BatchSummary> {
  const sha256 = (await store.objectSha256(batch.manifestKey)) as string;
  const items: ManifestItem[] = [];
  for await (const item of store.readManifest(batch.manifestKey, sha256)) items.push(item);
  const summary = rebuildSummary(
    { ...ctx, window: batch.window, manifestUri: `s3://${store.bucket}/${batch.manifestKey}` },
    { sha256, count: items.length },
    items,
  );
  await store.putObject(
    batch.summaryKey,
    Buffer.from(`${JSON.stringify(summary, null, 2)}\n`),
    'application/json',
  );
  log.warn(
    { batch: batch.segment, items: items.length },
    'the newest batch had no summary: rebuilt from its manifest',
  );
  return summary;
}
