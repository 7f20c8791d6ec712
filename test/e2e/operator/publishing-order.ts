// What a reader of the store would find out of order for one Dataset, read straight from the
// store (DESIGN §2: blobs first, manifest last, summary after the manifest; a snapshot's card
// after every variant's manifest and summary): a manifest, of a batch or a snapshot, with an item
// whose blob is missing; a summary whose manifest is missing or holds other bytes; a card without
// a variant's manifest or summary. Fault tests poll it while a component is cut off.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  batchesPrefix,
  blobKey,
  blobsPrefix,
  snapshotManifestKey,
  snapshotSummaryKey,
  snapshotsPrefix,
} from '../../../lib/store/keys.ts';
import { decodeManifest } from '../../../lib/store/manifest.ts';
import type { DatasetFixture } from './datasets.ts';

const CARD = /^(.+)\/README\.md$/;

/** The problems found, one sentence each; empty when the store is in order. */
export async function publishingProblems(
  f: DatasetFixture,
  dataset: string,
  variants: readonly string[],
): Promise<string[]> {
  const namespace = f.ns.watched;
  const store = f.bucket.store;
  const snapshots = snapshotsPrefix(namespace, dataset);
  const keys = [...(await store.list(batchesPrefix(namespace, dataset))), ...(await store.list(snapshots))];
  // Listed after the manifests: nothing deletes a blob, so one a listed manifest needs is there now.
  const blobs = new Set(await store.list(blobsPrefix(namespace)));
  const listed = new Set(keys);
  // A key written between two pages of the listing may be missing from it, not from the store.
  const present = async (key: string) => listed.has(key) || (await store.exists(key));
  const problems: string[] = [];
  const manifestDigests = new Map<string, string>();

  for (const key of keys.filter((k) => k.endsWith('.jsonl.gz'))) {
    const bytes = await store.getObject(key);
    manifestDigests.set(key, createHash('sha256').update(bytes).digest('hex'));
    let items = 0;
    const missing: string[] = [];
    for await (const item of decodeManifest(Readable.from([bytes]))) {
      items++;
      if (
        !blobs.has(blobKey(namespace, item.sha256)) &&
        !(await store.exists(blobKey(namespace, item.sha256)))
      )
        missing.push(item.sha256);
    }
    if (missing.length > 0)
      problems.push(`${key}: ${missing.length} of ${items} items have no blob (the first: ${missing[0]})`);
  }

  for (const key of keys.filter((k) => k.endsWith('.json') && !k.endsWith('/inputs.json'))) {
    const summary = JSON.parse((await store.getObject(key)).toString()) as {
      manifest?: { uri?: string; sha256?: string };
    };
    const uri = summary.manifest?.uri ?? '';
    const manifest = uri.replace(`s3://${f.bucket.bucket}/`, '');
    if (!uri.startsWith(`s3://${f.bucket.bucket}/`) || !(await present(manifest))) {
      problems.push(`${key}: its manifest ${uri || '(none)'} is not in the store`);
      continue;
    }
    const digest =
      manifestDigests.get(manifest) ??
      createHash('sha256')
        .update(await store.getObject(manifest))
        .digest('hex');
    if (digest !== summary.manifest?.sha256)
      problems.push(
        `${key}: its manifest's sha256 is ${digest}, the summary says ${summary.manifest?.sha256}`,
      );
  }

  for (const key of keys) {
    const version = CARD.exec(key.slice(snapshots.length))?.[1];
    if (!version) continue;
    for (const variant of variants)
      for (const part of [
        snapshotManifestKey(namespace, dataset, version, variant),
        snapshotSummaryKey(namespace, dataset, version, variant),
      ])
        if (!(await present(part))) problems.push(`${key}: the card is there, ${part} is not`);
  }
  return problems;
}
