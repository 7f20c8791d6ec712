// Publishing in the order that keeps readers safe: blobs first, manifest last, summary after, and
// a run's outputs all or nothing. See docs/decisions/0007-create-only-manifest-publish.md.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { UserError } from '../contract/errors.ts';
import type { ArtifactStore } from './client.ts';
import { blobKey, checkTenantKey, joinKey } from './keys.ts';
import { encodeManifest, type ManifestItem, measureManifest, parseItem } from './manifest.ts';

type Items = Iterable<ManifestItem> | AsyncIterable<ManifestItem>;

/** How many blob existence checks are in flight at once while a manifest is published. */
export const BLOB_CHECKS_IN_FLIGHT = 16;

/**
 * Passes the items through while checking that each one's blob is among namespace N's blobs,
 * with at most `BLOB_CHECKS_IN_FLIGHT` checks at once; holds no more than that many items.
 * Throws `BlobMissing` (the first one found) at the latest when the items end.
 */
async function* withBlobsChecked(
  store: ArtifactStore,
  namespace: string,
  items: Items,
): AsyncGenerator<ManifestItem> {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let line = 0;
  for await (const raw of items) {
    // Validated first, so an invalid item is reported by its line, not by the key it would form.
    const item = parseItem(raw, ++line);
    const check: Promise<void> = store
      .exists(blobKey(namespace, item.sha256))
      .then((found) => {
        if (!found)
          throw new UserError('BlobMissing', `item ${item.path}: blob ${item.sha256} is not in the store`);
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(check));
    inFlight.add(check);
    if (inFlight.size >= BLOB_CHECKS_IN_FLIGHT) await Promise.race(inFlight);
    if (failure) throw failure.error;
    yield raw;
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}

export interface PublishedManifest {
  sha256: string;
  count: number;
  /** False when an earlier attempt (or a concurrent publisher) had written the same manifest. */
  created: boolean;
}

/**
 * Publishes a manifest of namespace N whose blobs are already stored, then its summary.
 *
 * - With `checkBlobs` (the default) every item's blob is confirmed among N's blobs before the
 *   manifest is written, so a reader never sees a manifest whose blobs are missing.
 * - The manifest is written create-only: of concurrent publishers of one key exactly one writes
 *   it, and nothing overwrites it.
 * - A retry finishes a partial publish: when the manifest exists with the digest these items
 *   encode to (encoding is deterministic), only the summary is written. When it exists with
 *   another digest, `AlreadyPublished`.
 *
 * `items()` is iterated twice (to learn the digest, then to upload) and must yield the same items;
 * with `keepBytes`, a manifest that encodes to at most that many bytes is kept in memory from the
 * first pass and uploaded from there, so the items are iterated once.
 */
export async function publishManifest(
  store: ArtifactStore,
  options: {
    namespace: string;
    manifestKey: string;
    summaryKey: string;
    items: () => Items;
    summary: (written: { sha256: string; count: number }) => unknown;
    checkBlobs?: boolean;
    keepBytes?: number;
  },
): Promise<PublishedManifest> {
  const { namespace, manifestKey } = options;
  checkTenantKey('manifest key', namespace, manifestKey);
  checkTenantKey('summary key', namespace, options.summaryKey);
  let existing = await store.objectSha256(manifestKey);
  // Blobs are checked only before a first write: an existing manifest is already visible.
  const encoded = await measureManifest(
    existing === undefined && (options.checkBlobs ?? true)
      ? withBlobsChecked(store, namespace, options.items())
      : options.items(),
    existing === undefined ? (options.keepBytes ?? 0) : 0,
  );
  let created = false;
  if (existing === undefined) {
    const { bytes } = encoded;
    created = await store.createObject(
      manifestKey,
      {
        digests: encoded,
        open: () => (bytes ? Readable.from(bytes) : encodeManifest(options.items())),
      },
      'application/gzip',
    );
    if (!created) {
      // Another publisher wrote the key between the first look and the write.
      existing = await store.objectSha256(manifestKey);
      if (existing === undefined)
        throw new UserError(
          'PublishConflict',
          `${manifestKey} was written and removed again while this publish ran; retry it`,
        );
    }
  }
  if (existing !== undefined && existing !== encoded.sha256)
    throw new UserError(
      'AlreadyPublished',
      `${manifestKey} is already published with other items; a manifest is never replaced`,
    );
  const written = { sha256: encoded.sha256, count: encoded.count };
  // Derived from the manifest alone, so whichever publisher of it writes the summary last, it is right.
  const summary = `${JSON.stringify(options.summary(written), null, 2)}\n`;
  await store.putObject(options.summaryKey, Buffer.from(summary), 'application/json');
  return { ...written, created };
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
