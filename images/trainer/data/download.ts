// Fetches item blobs of the workload's namespace with a few requests in flight, each checked
// against its manifest digest.
import type { ArtifactStore } from '../../../lib/store/client.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import type { Logger } from '../log.ts';

export async function downloadItems(
  store: ArtifactStore,
  namespace: string,
  items: ManifestItem[],
  log: Logger,
  concurrency = 8,
): Promise<Buffer[]> {
  const out = new Array<Buffer>(items.length);
  const started = performance.now();
  let next = 0;
  let done = 0;
  let bytes = 0;
  let lastLog = started;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as ManifestItem;
      out[i] = await store.getBlob(namespace, item.sha256, item.size);
      done++;
      bytes += item.size;
      const now = performance.now();
      if (now - lastLog > 5000) {
        lastLog = now;
        const seconds = (now - started) / 1000;
        log.info(
          { items: done, total: items.length, itemsPerSecond: Math.round(done / seconds) },
          'downloading',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  log.info({ items: done, bytes, seconds: Number(seconds.toFixed(2)) }, 'downloaded');
  return out;
}
