// Publishing a manifest on a real MinIO: blobs confirmed first (concurrently, streamed), the
// manifest written create-only so concurrent publishers of one key end with exactly one manifest,
// a retry after a failure between manifest and summary finishing the publish, and a different
// manifest under a published key refused.
import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { snapshotManifestKey, snapshotSummaryKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { BLOB_CHECKS_IN_FLIGHT, publishManifest } from '../../../lib/store/publish.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';

function item(i: number, sha256: string, label = 'cat'): ManifestItem {
  return {
    path: `${label}/${i}.jpg`,
    sha256,
    size: 1,
    label,
    source: 'gold',
    verified: true,
    collectedAt: '2026-01-01T00:00:00Z',
    attributes: {},
  };
}

const manifestKey = snapshotManifestKey('default', 'pets', '1', 'full');
const summaryKey = snapshotSummaryKey('default', 'pets', '1', 'full');

function publish(t: BucketFixture, items: () => Iterable<ManifestItem>, checkBlobs = true) {
  return publishManifest(t.store, {
    namespace: 'default',
    manifestKey,
    summaryKey,
    items,
    summary: (w) => ({ items: w.count, sha256: w.sha256 }),
    checkBlobs,
  });
}

async function readItems(store: ArtifactStore, sha256: string): Promise<ManifestItem[]> {
  const out: ManifestItem[] = [];
  for await (const i of store.readManifest(manifestKey, sha256)) out.push(i);
  return out;
}

async function summary(t: BucketFixture): Promise<unknown> {
  return JSON.parse((await t.store.getObject(summaryKey)).toString());
}

describe('publishing a manifest', () => {
  it('publishes no manifest whose blobs are missing from its namespace', async () => {
    const t = await freshBucket('publish');
    await expect(publish(t, () => [item(0, 'a'.repeat(64))])).rejects.toMatchObject({
      reason: 'BlobMissing',
      message: `item cat/0.jpg: blob ${'a'.repeat(64)} is not in the store`,
    });
    // Another namespace's copy of the bytes does not count.
    const theirs = await t.store.putBlob('team-b', Buffer.from('y'));
    await expect(publish(t, () => [item(0, theirs.sha256)])).rejects.toMatchObject({ reason: 'BlobMissing' });
    expect(await t.store.exists(manifestKey)).toBe(false);
    expect(await t.store.exists(summaryKey)).toBe(false);
  });

  it("refuses keys outside the namespace's prefixes", async () => {
    const t = await freshBucket('publish');
    await expect(
      publishManifest(t.store, {
        namespace: 'team-b',
        manifestKey,
        summaryKey,
        items: () => [],
        summary: () => ({}),
      }),
    ).rejects.toMatchObject({ reason: 'OutsideNamespace' });
    expect(await t.store.list('')).toEqual([]);
  });

  it('refuses an invalid item by its line and writes nothing', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    await expect(
      publish(t, () => [
        item(0, blob.sha256),
        { ...item(1, blob.sha256), verified: 'yes' as unknown as boolean },
      ]),
    ).rejects.toThrow('manifest line 2: "verified" must be true or false');
    expect(await t.store.exists(manifestKey)).toBe(false);
  });

  it('checks blobs concurrently, BLOB_CHECKS_IN_FLIGHT at once, without reading ahead', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    let inFlight = 0;
    let maxInFlight = 0;
    let checked = 0;
    let produced = 0;
    let maxAhead = 0;
    const exists = t.store.exists.bind(t.store);
    // The real store, observed: how many HEAD requests are open at a time.
    t.store.exists = async (key: string) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await exists(key);
      } finally {
        inFlight--;
        checked++;
      }
    };
    const count = 400;
    function* items() {
      for (let i = 0; i < count; i++) {
        // Only the first pass checks blobs; the second one encodes the upload.
        if (produced < count) maxAhead = Math.max(maxAhead, produced - checked);
        produced++;
        yield item(i, blob.sha256);
      }
    }
    const written = await publish(t, items);
    expect(written.count).toBe(count);
    expect(checked).toBe(count); // one HEAD per item
    expect(maxInFlight).toBe(BLOB_CHECKS_IN_FLIGHT);
    // Streamed: the items pulled but not yet checked never exceed the checks in flight.
    expect(maxAhead).toBeLessThanOrEqual(BLOB_CHECKS_IN_FLIGHT);
  });

  it('lets exactly one of several concurrent publishers of one key win, with its own items', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const publishers = Array.from({ length: 6 }, (_, p) =>
      // Each publisher has different items (a different label), so any mix would show.
      Array.from({ length: 3000 }, (_, i) => item(i, blob.sha256, `label${p}`)),
    );
    // Observed on the real store: how the create-only writes were decided.
    const writes: boolean[] = [];
    const createObject = t.store.createObject.bind(t.store);
    t.store.createObject = async (...args) => {
      const created = await createObject(...args);
      writes.push(created);
      return created;
    };
    // Blobs are not checked here, so that the publishers reach the write at about the same time.
    const outcomes = await Promise.allSettled(publishers.map((items) => publish(t, () => items, false)));
    const won = outcomes.flatMap((o, p) => (o.status === 'fulfilled' ? [{ p, value: o.value }] : []));
    const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(5);
    for (const e of lost)
      expect(e).toMatchObject({
        reason: 'AlreadyPublished',
        message: `${manifestKey} is already published with other items; a manifest is never replaced`,
      });
    // The conditional write itself refused at least one racing publisher, and let one through.
    expect(writes.filter((w) => w)).toHaveLength(1);
    expect(writes.length).toBeGreaterThan(1);
    const winner = won[0] as (typeof won)[number];
    expect(winner.value.created).toBe(true);
    expect(await readItems(t.store, winner.value.sha256)).toEqual(publishers[winner.p]);
    expect(await summary(t)).toEqual({ items: 3000, sha256: winner.value.sha256 });
  });

  it('lets concurrent publishers of the same items all succeed with one write', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const items = Array.from({ length: 2000 }, (_, i) => item(i, blob.sha256));
    const results = await Promise.all(Array.from({ length: 5 }, () => publish(t, () => items, false)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    expect(await readItems(t.store, results[0]?.sha256 as string)).toEqual(items);
    expect(await summary(t)).toEqual({ items: 2000, sha256: results[0]?.sha256 });
  });

  it('with keepBytes, uploads what its one pass over the items encoded, and without, encodes again', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const items = Array.from({ length: 2000 }, (_, i) => item(i, blob.sha256));
    let passes = 0;
    const counted = () => {
      passes++;
      return items;
    };
    const once = await publishManifest(t.store, {
      namespace: 'default',
      manifestKey,
      summaryKey,
      items: counted,
      summary: (w) => ({ items: w.count, sha256: w.sha256 }),
      checkBlobs: false,
      keepBytes: 1024 * 1024,
    });
    expect(passes).toBe(1);
    expect(await readItems(t.store, once.sha256)).toEqual(items);
    const other = await freshBucket('publish');
    passes = 0;
    const twice = await publishManifest(other.store, {
      namespace: 'default',
      manifestKey,
      summaryKey,
      items: counted,
      summary: (w) => ({ items: w.count, sha256: w.sha256 }),
      checkBlobs: false,
      // Smaller than the manifest: it is encoded again for the upload.
      keepBytes: 100,
    });
    expect(passes).toBe(2);
    expect(twice.sha256).toBe(once.sha256);
  });

  it('finishes a publish whose summary was never written when it is retried', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const items = () => [item(0, blob.sha256), item(1, blob.sha256)];
    const first = await publish(t, items);
    // What a crash between manifest and summary leaves behind.
    await t.store.remove([summaryKey]);
    const retried = await publish(t, items);
    expect(retried).toEqual({ ...first, created: false });
    expect(await summary(t)).toEqual({ items: 2, sha256: first.sha256 });
    // And once more: a completed publish retried is a no-op that succeeds.
    expect(await publish(t, items)).toEqual({ ...first, created: false });
  });

  it('refuses other items under a published key, even with the summary missing', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const first = await publish(t, () => [item(0, blob.sha256)]);
    await t.store.remove([summaryKey]);
    await expect(publish(t, () => [item(0, blob.sha256), item(1, blob.sha256)])).rejects.toMatchObject({
      reason: 'AlreadyPublished',
    });
    expect(await t.store.exists(summaryKey)).toBe(false);
    expect(await t.store.objectSha256(manifestKey)).toBe(first.sha256);
  });

  it('refuses to complete a publish over a manifest whose bytes changed', async () => {
    const t = await freshBucket('publish');
    const blob = await t.store.putBlob('default', Buffer.from('y'));
    const items = () => [item(0, blob.sha256)];
    await t.store.putObject(manifestKey, Buffer.from('not the manifest these items encode to'));
    await expect(publish(t, items)).rejects.toMatchObject({ reason: 'AlreadyPublished' });
    expect((await t.store.getObject(manifestKey)).toString()).toBe('not the manifest these items encode to');
    expect(await t.store.exists(summaryKey)).toBe(false);
  });
});
