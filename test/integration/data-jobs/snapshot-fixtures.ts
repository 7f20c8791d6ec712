// What the snapshot tests build on: batches published the way `collect` publishes them (blobs,
// then the manifest, then a summary that records the manifest's digest and what was left out),
// gold objects uploaded as a person would, and the snapshot job's environment.
import { windowSegment } from '../../../lib/dataset/batch-window.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { batchManifestKey, batchSummaryKey, snapshotPrefix } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { publishManifest } from '../../../lib/store/publish.ts';
import { collectEnv } from './helpers.ts';

export const NAMESPACE = 'default';

export interface BatchItem {
  data: Buffer;
  label: string | null;
  verified: boolean;
  source?: string;
  name: string;
}

/** Publishes one batch of `day` (a UTC day of January 2026) with its summary. */
export async function publishBatch(
  store: ArtifactStore,
  dataset: string,
  day: number,
  items: BatchItem[],
  corrupt = 0,
): Promise<string> {
  const start = new Date(Date.UTC(2026, 0, day));
  const end = new Date(Date.UTC(2026, 0, day + 1));
  const segment = windowSegment({ start, end });
  const manifest: ManifestItem[] = [];
  for (const item of items) {
    const blob = await store.putBlob(NAMESPACE, item.data);
    const source = item.source ?? 'web';
    manifest.push({
      path: `${item.label ?? 'rows'}/${source}/${item.name}`,
      sha256: blob.sha256,
      size: blob.size,
      label: item.label,
      source,
      verified: item.verified,
      collectedAt: end.toISOString(),
      attributes: {},
    });
  }
  const manifestKey = batchManifestKey(NAMESPACE, dataset, segment);
  await publishManifest(store, {
    namespace: NAMESPACE,
    manifestKey,
    summaryKey: batchSummaryKey(NAMESPACE, dataset, segment),
    items: () => manifest,
    summary: (w) => ({
      window: { start: start.toISOString(), end: end.toISOString() },
      manifest: { uri: `s3://${store.bucket}/${manifestKey}`, sha256: w.sha256 },
      items: w.count,
      corrupt,
    }),
  });
  return segment;
}

/** Every object under a snapshot version's folder and its gold index, key → bytes. */
export async function snapshotObjects(
  store: ArtifactStore,
  dataset: string,
  version: string,
): Promise<Map<string, Buffer>> {
  const keys = [
    ...(await store.list(snapshotPrefix(NAMESPACE, dataset, version))),
    ...(await store.list(`datasets/${NAMESPACE}/${dataset}/gold-index/${version}`)),
  ];
  const objects = new Map<string, Buffer>();
  for (const key of keys.sort()) objects.set(key, await store.getObject(key));
  return objects;
}

export function snapshotEnv(
  storeEnv: Record<string, string>,
  dataset: string,
  spec: Record<string, unknown>,
  version: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return collectEnv(storeEnv, dataset, spec, {
    BOSUN_SNAPSHOT_VERSION: version,
    BOSUN_SNAPSHOT_TIME: '2026-02-01T00:00:00Z',
    ...extra,
  });
}
