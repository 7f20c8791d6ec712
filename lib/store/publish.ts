// Publishing in the order that keeps readers safe: blobs first, manifest last, summary after, and
// a run's outputs all or nothing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../contract/errors.ts';
import type { ArtifactStore } from './client.ts';
import { blobKey, joinKey } from './keys.ts';
import type { ManifestItem } from './manifest.ts';

/**
 * Writes a manifest whose blobs are already stored, then its summary. With `checkBlobs` every
 * item's blob is confirmed first, so a reader never sees a manifest whose blobs are missing.
 */
export async function publishManifest(
  store: ArtifactStore,
  options: {
    manifestKey: string;
    summaryKey: string;
    items: () => Iterable<ManifestItem> | AsyncIterable<ManifestItem>;
    summary: (written: { sha256: string; count: number }) => unknown;
    checkBlobs?: boolean;
  },
): Promise<{ sha256: string; count: number }> {
  if (await store.exists(options.manifestKey))
    throw new UserError('AlreadyPublished', `${options.manifestKey} already exists; manifests are immutable`);
  if (options.checkBlobs ?? true)
    for await (const item of options.items())
      if (!(await store.exists(blobKey(item.sha256))))
        throw new UserError('BlobMissing', `item ${item.path}: blob ${item.sha256} is not in the store`);
  const written = await store.writeManifest(options.manifestKey, options.items());
  const summary = `${JSON.stringify(options.summary(written), null, 2)}\n`;
  await store.putObject(options.summaryKey, Buffer.from(summary), 'application/json');
  return written;
}

const CONTENT_TYPES: Record<string, string> = {
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.png': 'image/png',
};

function contentType(name: string): string {
  const dot = name.lastIndexOf('.');
  return CONTENT_TYPES[dot < 0 ? '' : name.slice(dot)] ?? 'application/octet-stream';
}

/**
 * Uploads finished local files under `prefix`, `last` files at the end (a reader waits for them),
 * and removes what it uploaded if any upload fails, so a failed run leaves no partial outputs.
 */
export async function publishFiles(
  store: ArtifactStore,
  options: { dir: string; prefix: string; files: string[]; last: string[] },
): Promise<string[]> {
  const ordered = [
    ...options.files.filter((f) => !options.last.includes(f)),
    ...options.last.filter((f) => options.files.includes(f)),
  ];
  const keys = ordered.map((f) => joinKey(options.prefix, f));
  const uploaded: string[] = [];
  try {
    for (const [i, file] of ordered.entries()) {
      const key = keys[i] as string;
      await store.putObject(key, await readFile(join(options.dir, file)), contentType(file));
      uploaded.push(key);
    }
  } catch (e) {
    await store.remove(uploaded).catch(() => undefined);
    throw e;
  }
  return keys;
}
