// A Dataset's snapshot versions on the real MinIO: which are published and what their summaries
// say, which are incomplete, a malformed summary reported and not thrown, summaries read once with
// a cache (requests counted at the store by a recording proxy), and a version removed card first,
// idempotently and after a removal that stopped half-way, never touching blobs or batches.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStoreConfig } from '../../../lib/contract/env.ts';
import {
  listPublishedSnapshots,
  removeSnapshot,
  type SummaryCache,
} from '../../../lib/dataset/published-snapshots.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import {
  batchManifestKey,
  blobKey,
  goldIndexKey,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotManifestKey,
  snapshotPrefix,
  snapshotSummaryKey,
  snapshotsPrefix,
  type Variant,
} from '../../../lib/store/keys.ts';
import { BoundedMap } from '../../../operator/runtime/bounded-map.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';
import { startRecordingProxy } from '../data-jobs/recording-proxy.ts';

const NS = 'team-a';
const SHA = 'ab'.repeat(32);

/** A variant's summary as the snapshot job writes it (the fields the listing reads, and others). */
function summary(dataset: string, version: string, variant: Variant, fields: Record<string, unknown> = {}) {
  return {
    dataset,
    namespace: NS,
    version,
    variant,
    format: 'imagefolder',
    time: `${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}T00:00:00.000Z`,
    parent: null,
    rejected: false,
    reasons: [],
    manifest: { uri: `s3://bosun/${snapshotManifestKey(NS, dataset, version, variant)}`, sha256: SHA },
    items: variant === 'full' ? 10 : 7,
    verified: 7,
    unverified: variant === 'full' ? 3 : 0,
    labels: variant === 'full' ? { cat: 6, dog: 4 } : { cat: 4, dog: 3 },
    distinctLabels: 2,
    sources: { gold: 5, web: 5 },
    ...fields,
  };
}

/** Writes a version's objects in the job's order; `card: false` stops before the card. */
async function writeVersion(
  store: ArtifactStore,
  dataset: string,
  version: string,
  options: { card?: boolean; summaries?: Partial<Record<Variant, Buffer>> } = {},
): Promise<void> {
  await store.putObject(goldIndexKey(NS, dataset, version), Buffer.from('gold index'));
  await store.putObject(snapshotInputsKey(NS, dataset, version), Buffer.from('{}'));
  for (const variant of ['verified', 'full'] as const) {
    await store.putObject(
      snapshotManifestKey(NS, dataset, version, variant),
      Buffer.from(`manifest ${variant}`),
    );
    const bytes =
      options.summaries?.[variant] ?? Buffer.from(JSON.stringify(summary(dataset, version, variant)));
    await store.putObject(snapshotSummaryKey(NS, dataset, version, variant), bytes);
  }
  if (options.card !== false)
    await store.putObject(snapshotCardKey(NS, dataset, version), Buffer.from(`# ${dataset} ${version}`));
}

/** A store whose deletions are recorded, one entry per request, and that can stop after the n-th. */
class RecordingRemovals extends ArtifactStore {
  readonly removals: string[][] = [];
  stopAfter: number | undefined;

  override async remove(keys: string[]): Promise<void> {
    if (this.stopAfter !== undefined && this.removals.length >= this.stopAfter)
      throw new Error('the process stopped here');
    if (keys.length > 0) this.removals.push([...keys].sort());
    await super.remove(keys);
  }
}

describe('published snapshots', () => {
  let t: BucketFixture;

  beforeAll(async () => {
    t = await freshBucket('published');
  });

  it('lists published versions newest first with their variants, incomplete ones apart, and a malformed one as invalid', async () => {
    const dataset = 'pets';
    await writeVersion(t.store, dataset, '20260101-000000');
    await writeVersion(t.store, dataset, '20260201-000000', {
      summaries: {
        full: Buffer.from(
          JSON.stringify(
            summary(dataset, '20260201-000000', 'full', {
              rejected: true,
              reasons: ['minItemsPerLabel: 1 of 2 labels have fewer than 5 items: "dog" (4)'],
              parent: '20260101-000000',
            }),
          ),
        ),
      },
    });
    await writeVersion(t.store, dataset, '20260301-000000', {
      summaries: { full: Buffer.from('{"items": 3') },
    });
    await writeVersion(t.store, dataset, '20260401-000000', { card: false });
    // Not a snapshot job's: ignored.
    await t.store.putObject(`${snapshotsPrefix(NS, dataset)}notes.txt`, Buffer.from('hello'));
    await t.store.putObject(`${snapshotsPrefix(NS, dataset)}old/README.md`, Buffer.from('hello'));
    // Another Dataset's versions are not this one's.
    await writeVersion(t.store, 'pets-2', '20260501-000000');

    const cardTime = async (version: string) => {
      for await (const o of t.store.listObjects(snapshotCardKey(NS, dataset, version))) return o.lastModified;
      throw new Error(`no card for ${version}`);
    };
    const listing = await listPublishedSnapshots(t.store, NS, dataset);
    expect(listing.incomplete).toEqual(['20260401-000000']);
    expect(listing.published.map((s) => s.version)).toEqual([
      '20260301-000000',
      '20260201-000000',
      '20260101-000000',
    ]);
    expect(listing.published[0]).toEqual({ version: '20260301-000000', invalid: 'full.json is not JSON' });
    expect(listing.published[1]).toEqual({
      version: '20260201-000000',
      publishedAt: (await cardTime('20260201-000000')).toISOString(),
      variants: [
        {
          variant: 'verified',
          items: 7,
          verified: 7,
          labels: { cat: 4, dog: 3 },
          distinctLabels: 2,
          manifest: {
            uri: `s3://bosun/${snapshotManifestKey(NS, dataset, '20260201-000000', 'verified')}`,
            sha256: SHA,
          },
          rejected: false,
          reasons: [],
          time: '2026-02-01T00:00:00.000Z',
          parent: null,
        },
        {
          variant: 'full',
          items: 10,
          verified: 7,
          labels: { cat: 6, dog: 4 },
          distinctLabels: 2,
          manifest: {
            uri: `s3://bosun/${snapshotManifestKey(NS, dataset, '20260201-000000', 'full')}`,
            sha256: SHA,
          },
          rejected: true,
          reasons: ['minItemsPerLabel: 1 of 2 labels have fewer than 5 items: "dog" (4)'],
          time: '2026-02-01T00:00:00.000Z',
          parent: '20260101-000000',
        },
      ],
    });
    expect(listing.published[2]).toMatchObject({
      version: '20260101-000000',
      publishedAt: (await cardTime('20260101-000000')).toISOString(),
      variants: [{ variant: 'verified' }, { variant: 'full' }],
    });
    expect(await listPublishedSnapshots(t.store, NS, 'nothing-yet')).toEqual({
      published: [],
      incomplete: [],
    });
  });

  it('reads each summary once with a cache: a second listing makes one request', async () => {
    const dataset = 'cached';
    for (const version of ['20260101-000000', '20260201-000000', '20260301-000000'])
      await writeVersion(t.store, dataset, version);
    await writeVersion(t.store, dataset, '20260401-000000', { summaries: { verified: Buffer.from('[]') } });
    const proxy = await startRecordingProxy(t.env.BOSUN_STORE_ENDPOINT as string, t.bucket);
    try {
      const store = new ArtifactStore(parseStoreConfig({ ...t.env, BOSUN_STORE_ENDPOINT: proxy.endpoint }));
      const cache: SummaryCache = new BoundedMap(64);
      const summaryReads = () =>
        proxy.requests.filter((r) => r.method === 'GET' && r.key.startsWith(snapshotsPrefix(NS, dataset)));
      const first = await listPublishedSnapshots(store, NS, dataset, cache);
      expect(first.published.map((s) => ('invalid' in s ? s.invalid : s.version))).toEqual([
        'verified.json is not a JSON object',
        '20260301-000000',
        '20260201-000000',
        '20260101-000000',
      ]);
      expect(summaryReads()).toHaveLength(8);
      const listings = proxy.requests.filter((r) => r.key === '');
      expect(listings).toHaveLength(1);

      proxy.requests.length = 0;
      const second = await listPublishedSnapshots(store, NS, dataset, cache);
      expect(second).toEqual(first);
      expect(proxy.requests.map((r) => `${r.method} ${r.key === '' ? '(listing)' : r.key}`)).toEqual([
        'GET (listing)',
      ]);

      // A version removed and built again: only a summary whose bytes (ETag) changed is read again.
      await removeSnapshot(t.store, NS, dataset, '20260201-000000', { keepGoldIndex: false });
      await writeVersion(t.store, dataset, '20260201-000000', {
        summaries: {
          full: Buffer.from(JSON.stringify(summary(dataset, '20260201-000000', 'full', { items: 11 }))),
        },
      });
      proxy.requests.length = 0;
      const third = await listPublishedSnapshots(store, NS, dataset, cache);
      expect(summaryReads().map((r) => r.key.split('/').slice(-2).join('/'))).toEqual([
        '20260201-000000/full.json',
      ]);
      expect(third.published[2]).toMatchObject({ variants: [{ items: 7 }, { items: 11 }] });
    } finally {
      await proxy.close();
    }
  });

  it('removes a version card first, then the rest of its folder and its gold index, and nothing else', async () => {
    const dataset = 'removed';
    const store = new RecordingRemovals(parseStoreConfig(t.env));
    await writeVersion(store, dataset, '20260101-000000');
    await writeVersion(store, dataset, '20260201-000000');
    const version = '20260101-000000';
    const folder = snapshotPrefix(NS, dataset, version);
    await store.putObject(`${folder}plots/labels.png`, Buffer.from('png'));
    // What the version refers to and must outlive it.
    const blob = await store.putBlob(NS, Buffer.from('an item'));
    const batch = batchManifestKey(NS, dataset, '20260101T000000Z-20260102T000000Z');
    await store.putObject(batch, Buffer.from('batch'));
    const everything = async () => (await store.list('')).sort();
    const before = await everything();

    await removeSnapshot(store, NS, dataset, version, { keepGoldIndex: false });
    const short = (keys: string[]) => keys.map((k) => k.slice(`datasets/${NS}/${dataset}/`.length));
    expect(store.removals.map(short)).toEqual([
      [`snapshots/${version}/README.md`],
      [`snapshots/${version}/full.json`, `snapshots/${version}/verified.json`],
      [`snapshots/${version}/full.jsonl.gz`, `snapshots/${version}/verified.jsonl.gz`],
      [`snapshots/${version}/inputs.json`],
      [`snapshots/${version}/plots/labels.png`],
      [`gold-index/${version}.jsonl.gz`],
    ]);
    const kept = before.filter((k) => !k.startsWith(folder) && k !== goldIndexKey(NS, dataset, version));
    expect(await everything()).toEqual(kept);
    expect(kept).toContain(blobKey(NS, blob.sha256));
    expect(kept).toContain(batch);
    expect(kept).toContain(snapshotCardKey(NS, dataset, '20260201-000000'));

    // Again: nothing left to do, and no error.
    await removeSnapshot(store, NS, dataset, version, { keepGoldIndex: false });
    expect(await everything()).toEqual(kept);
    expect((await listPublishedSnapshots(store, NS, dataset)).published.map((s) => s.version)).toEqual([
      '20260201-000000',
    ]);
  });

  it('finishes a removal that stopped half-way, and keeps the newest gold index when asked', async () => {
    const dataset = 'half-removed';
    const store = new RecordingRemovals(parseStoreConfig(t.env));
    const version = '20260301-000000';
    await writeVersion(store, dataset, version);
    // Stopped after the card and the summaries: what is left is no published version.
    store.stopAfter = 2;
    await expect(removeSnapshot(store, NS, dataset, version, { keepGoldIndex: true })).rejects.toThrow(
      'the process stopped here',
    );
    expect(await listPublishedSnapshots(store, NS, dataset)).toEqual({
      published: [],
      incomplete: [version],
    });
    expect((await store.list(snapshotPrefix(NS, dataset, version))).length).toBe(3);

    store.stopAfter = undefined;
    await removeSnapshot(store, NS, dataset, version, { keepGoldIndex: true });
    expect(await store.list(snapshotPrefix(NS, dataset, version))).toEqual([]);
    expect(await listPublishedSnapshots(store, NS, dataset)).toEqual({ published: [], incomplete: [] });
    // keepGoldIndex: the index is what the next snapshot reads beside a new listing of gold.
    expect(await store.exists(goldIndexKey(NS, dataset, version))).toBe(true);

    await expect(removeSnapshot(store, NS, dataset, '../batches', { keepGoldIndex: false })).rejects.toThrow(
      'invalid snapshot version "../batches": expected YYYYMMDD-HHMMSS',
    );
  });
});
