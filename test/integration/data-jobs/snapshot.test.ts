// The snapshot job on the real MinIO, run as its Job runs it: gold plus batches into a verified and
// a full variant, counts that match, verified ⊂ full, a re-run that writes the same bytes, gold
// objects read once (counted at the store by a recording proxy), a partial publish finished,
// quality gates that reject, a scheduled run that derives its version from the schedule and its
// parent from the store, and the user errors a spec can cause.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshotMessage, type SnapshotResult } from '../../../images/data-jobs/job-contract.ts';
import {
  goldIndexKey,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotManifestKey,
  snapshotSummaryKey,
} from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';
import { collectEnv, jpeg, readItems, readJson, runDataJob } from './helpers.ts';
import { startRecordingProxy } from './recording-proxy.ts';
import { NAMESPACE, publishBatch, snapshotEnv, snapshotObjects } from './snapshot-fixtures.ts';

const GOLD = 'imports/default/gold/pets/';

function result(message: string): SnapshotResult {
  const parsed = parseSnapshotMessage(message);
  if (!parsed?.ok) throw new Error(`not a snapshot result: ${message}`);
  return parsed;
}

describe('snapshot', () => {
  let t: BucketFixture;
  const images: Buffer[] = [];
  const spec = (extra: Record<string, unknown> = {}) => ({
    format: 'imagefolder',
    gold: { uri: `s3://${t.bucket}/${GOLD}` },
    ...extra,
  });

  beforeAll(async () => {
    t = await freshBucket('snapshot');
    for (let i = 0; i < 13; i++) images.push(await jpeg(i + 1));
    const gold: [string, Buffer][] = [
      ['cat/1.jpg', images[0] as Buffer],
      ['cat/2.jpg', images[1] as Buffer],
      ['cat/3.jpg', images[2] as Buffer],
      ['dog/1.jpg', images[3] as Buffer],
      ['dog/2.jpg', images[4] as Buffer],
      ['cat/broken.jpg', Buffer.from('not an image at all')],
      ['README.txt', Buffer.from('gold for pets')],
    ];
    for (const [key, data] of gold) await t.store.putObject(`${GOLD}${key}`, data);
  });

  it('builds gold plus the batches up to its time into verified ⊂ full, and a re-run writes the same bytes', async () => {
    const dataset = 'pets';
    await publishBatch(
      t.store,
      dataset,
      1,
      [
        { data: images[5] as Buffer, label: 'cat', verified: true, name: 'a.jpg' },
        { data: images[6] as Buffer, label: 'dog', verified: false, name: 'b.jpg' },
        // The same bytes as gold's cat/1.jpg: gold's item wins in both variants.
        { data: images[0] as Buffer, label: 'dog', verified: false, name: 'again.jpg' },
        // Unverified here, verified the next day: the verified one is the item of both variants.
        { data: images[7] as Buffer, label: 'dog', verified: false, name: 'c.jpg' },
      ],
      2,
    );
    await publishBatch(t.store, dataset, 2, [
      { data: images[7] as Buffer, label: 'cat', verified: true, source: 'review', name: 'c.jpg' },
      { data: images[8] as Buffer, label: 'bird', verified: false, name: 'd.jpg' },
    ]);
    // Its window (February 1st) ends after the snapshot time; one that ends at it is in.
    await publishBatch(t.store, dataset, 32, [
      { data: images[9] as Buffer, label: 'cat', verified: true, name: 'late.jpg' },
    ]);
    const env = snapshotEnv(t.env, dataset, spec(), '20260201-000000');
    const run = await runDataJob('snapshot', env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = result(run.message);
    expect(out.version).toBe('20260201-000000');
    expect(out.rejected).toBe(false);

    const verifiedKey = snapshotManifestKey(NAMESPACE, dataset, out.version, 'verified');
    const fullKey = snapshotManifestKey(NAMESPACE, dataset, out.version, 'full');
    const verified = await readItems(t.store, verifiedKey);
    const full = await readItems(t.store, fullKey);
    const labelsOf = (items: ManifestItem[]) => items.map((i) => `${i.source}:${i.label}`);
    expect(labelsOf(verified)).toEqual([
      'gold:cat',
      'gold:cat',
      'gold:cat',
      'gold:dog',
      'gold:dog',
      'web:cat',
      'review:cat',
    ]);
    expect(labelsOf(full)).toEqual([
      'gold:cat',
      'gold:cat',
      'gold:cat',
      'gold:dog',
      'gold:dog',
      'web:cat',
      'web:dog',
      'review:cat',
      'web:bird',
    ]);
    // Every verified item is in full exactly as it is.
    for (const item of verified) expect(full).toContainEqual(item);
    expect(new Set(full.map((i) => i.sha256)).size).toBe(full.length);
    expect(verified[0]?.path).toBe('cat/1.jpg');

    expect(out.variants.verified).toMatchObject({ items: 7, labels: 2, rejected: false, reasons: [] });
    expect(out.variants.full).toMatchObject({ items: 9, labels: 3, rejected: false });
    expect(out.variants.full?.manifest.uri).toBe(`s3://${t.bucket}/${fullKey}`);

    const summary = await readJson(t.store, snapshotSummaryKey(NAMESPACE, dataset, out.version, 'full'));
    expect(summary).toMatchObject({
      version: '20260201-000000',
      variant: 'full',
      items: 9,
      verified: 7,
      unverified: 2,
      labels: { bird: 1, cat: 5, dog: 3 },
      sources: { gold: 5, review: 1, web: 3 },
      duplicates: 2,
      corrupt: { gold: 1, batches: 2, unknownBatches: 0 },
      parent: null,
      rejected: false,
      manifest: { sha256: out.variants.full?.manifest.sha256 },
      gold: { objects: 7, items: 5, leftOut: { corrupt: 1, unlabelled: 1 } },
      batches: { count: 2 },
    });
    const card = (await t.store.getObject(snapshotCardKey(NAMESPACE, dataset, out.version))).toString('utf8');
    expect(card).toContain('# pets — snapshot 20260201-000000');
    expect(card).toContain('| `full` | 9 | 7 | 2 | 3 | 2 | accepted |');
    expect(card).toContain('| cat | 5 | 5 |');
    expect(card).toContain(`variant: verified`);

    const before = await snapshotObjects(t.store, dataset, out.version);
    expect([...before.keys()].map((k) => k.split('/').slice(3).join('/'))).toEqual([
      'gold-index/20260201-000000.jsonl.gz',
      'snapshots/20260201-000000/README.md',
      'snapshots/20260201-000000/full.json',
      'snapshots/20260201-000000/full.jsonl.gz',
      'snapshots/20260201-000000/inputs.json',
      'snapshots/20260201-000000/verified.json',
      'snapshots/20260201-000000/verified.jsonl.gz',
    ]);
    const again = await runDataJob('snapshot', env);
    expect(again.code).toBe(0);
    expect(again.message).toBe(run.message);
    const after = await snapshotObjects(t.store, dataset, out.version);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, bytes] of before) expect(after.get(key)?.equals(bytes), key).toBe(true);
  });

  it('reads a gold object again only when its ETag or size changed, and never reads an item blob', async () => {
    const dataset = 'pets-gold';
    const gold = `imports/default/gold/${dataset}/`;
    for (let i = 0; i < 6; i++)
      await t.store.putObject(`${gold}${i % 2 ? 'dog' : 'cat'}/${i}.jpg`, images[i] as Buffer);
    await publishBatch(t.store, dataset, 3, [
      { data: images[10] as Buffer, label: 'cat', verified: true, name: 'x.jpg' },
    ]);
    const proxy = await startRecordingProxy(t.env.BOSUN_STORE_ENDPOINT as string, t.bucket);
    try {
      const goldSpec = { format: 'imagefolder', gold: { uri: `s3://${t.bucket}/${gold}` } };
      const env = (version: string) =>
        snapshotEnv({ ...t.env, BOSUN_STORE_ENDPOINT: proxy.endpoint }, dataset, goldSpec, version);
      const goldReads = () =>
        proxy.requests
          .filter((r) => r.method === 'GET' && r.key.startsWith(gold))
          .map((r) => r.key.slice(gold.length));
      const first = await runDataJob('snapshot', env('20260201-000000'));
      expect(first.code).toBe(0);
      expect(goldReads().sort()).toEqual([
        'cat/0.jpg',
        'cat/2.jpg',
        'cat/4.jpg',
        'dog/1.jpg',
        'dog/3.jpg',
        'dog/5.jpg',
      ]);

      // One object replaced by other bytes, one added, the rest untouched.
      await t.store.putObject(`${gold}cat/2.jpg`, images[11] as Buffer);
      await t.store.putObject(`${gold}dog/7.jpg`, images[12] as Buffer);
      proxy.requests.length = 0;
      const second = await runDataJob('snapshot', env('20260301-000000'));
      expect(second.code).toBe(0);
      expect(goldReads().sort()).toEqual(['cat/2.jpg', 'dog/7.jpg']);
      const blobGets = proxy.requests.filter(
        (r) => r.method === 'GET' && r.key.startsWith(`objects/${NAMESPACE}/`),
      );
      expect(blobGets).toEqual([]);
      // The new bytes' blobs were stored (gold is read once, stored once); no other item byte moved.
      const blobPuts = proxy.requests.filter(
        (r) => r.method === 'PUT' && r.key.startsWith(`objects/${NAMESPACE}/`),
      );
      expect(blobPuts.map((r) => r.requestBytes).sort()).toEqual(
        [images[12]?.length, images[11]?.length].sort(),
      );

      const full = await readItems(
        t.store,
        snapshotManifestKey(NAMESPACE, dataset, '20260301-000000', 'full'),
      );
      const byPath = new Map(full.map((i) => [i.path, i]));
      expect(full).toHaveLength(8);
      expect(byPath.get('cat/2.jpg')?.size).toBe(images[11]?.length);
      expect(byPath.has('dog/7.jpg')).toBe(true);

      // A third snapshot with nothing changed reads no gold object at all.
      proxy.requests.length = 0;
      const third = await runDataJob('snapshot', env('20260401-000000'));
      expect(third.code).toBe(0);
      expect(goldReads()).toEqual([]);
      expect(proxy.requests.filter((r) => r.key.startsWith(`objects/${NAMESPACE}/`))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('finishes a partial publish as first planned, even when a late batch came in meanwhile', async () => {
    const dataset = 'pets-resume';
    await publishBatch(t.store, dataset, 4, [
      { data: images[5] as Buffer, label: 'cat', verified: true, name: 'a.jpg' },
      { data: images[6] as Buffer, label: 'dog', verified: false, name: 'b.jpg' },
    ]);
    const env = snapshotEnv(t.env, dataset, spec(), '20260201-000000');
    const complete = await runDataJob('snapshot', env);
    expect(complete.code).toBe(0);
    const published = await snapshotObjects(t.store, dataset, '20260201-000000');
    // What a run stopped right after the verified variant leaves behind.
    await t.store.remove([
      snapshotManifestKey(NAMESPACE, dataset, '20260201-000000', 'full'),
      snapshotSummaryKey(NAMESPACE, dataset, '20260201-000000', 'full'),
      snapshotCardKey(NAMESPACE, dataset, '20260201-000000'),
    ]);
    // A missed window caught up after the first run: not part of a version already planned.
    await publishBatch(t.store, dataset, 5, [
      { data: images[8] as Buffer, label: 'bird', verified: true, name: 'd.jpg' },
    ]);
    const resumed = await runDataJob('snapshot', env);
    expect(resumed.code).toBe(0);
    expect(resumed.message).toBe(complete.message);
    const finished = await snapshotObjects(t.store, dataset, '20260201-000000');
    expect([...finished.keys()]).toEqual([...published.keys()]);
    for (const [key, bytes] of published) expect(finished.get(key)?.equals(bytes), key).toBe(true);
  });

  it('publishes a variant that fails a quality gate as rejected and still exits 0', async () => {
    const dataset = 'pets-gated';
    const env = snapshotEnv(
      t.env,
      dataset,
      spec({ quality: { minItemsPerLabel: 3, maxCorruptShare: 0.5 } }),
      '20260201-000000',
      { BOSUN_SNAPSHOT_PARENT: '20260101-000000' },
    );
    const run = await runDataJob('snapshot', env);
    expect(run.code).toBe(0);
    const out = result(run.message);
    expect(out.rejected).toBe(true);
    expect(out.parent).toBe('20260101-000000');
    expect(out.variants.verified?.rejected).toBe(true);
    expect(out.variants.verified?.reasons).toEqual([
      'minItemsPerLabel: 1 of 2 labels have fewer than 3 items: "dog" (2)',
    ]);
    const summary = await readJson(t.store, snapshotSummaryKey(NAMESPACE, dataset, out.version, 'verified'));
    expect(summary).toMatchObject({
      rejected: true,
      parent: '20260101-000000',
      quality: { gates: { minItemsPerLabel: 3 } },
    });
    const card = (await t.store.getObject(snapshotCardKey(NAMESPACE, dataset, out.version))).toString('utf8');
    expect(card).toContain('**Rejected:** verified, full failed a quality gate');
    expect(card).toContain('Follows snapshot `20260101-000000`.');
  });

  it('names a scheduled run by its tick and finds its parent in the store, once', async () => {
    const dataset = 'pets-scheduled';
    await publishBatch(t.store, dataset, 31, [
      { data: images[5] as Buffer, label: 'cat', verified: true, name: 'a.jpg' },
    ]);
    // Its window (February 1st, 00:00 to the next day) ends after the tick: not in.
    await publishBatch(t.store, dataset, 32, [
      { data: images[6] as Buffer, label: 'dog', verified: true, name: 'b.jpg' },
    ]);
    const onDemand = async (version: string, time: string, extra: Record<string, unknown> = {}) => {
      const run = await runDataJob(
        'snapshot',
        snapshotEnv(t.env, dataset, spec(extra), version, { BOSUN_SNAPSHOT_TIME: time }),
      );
      expect(run.code, run.message).toBe(0);
      return result(run.message);
    };
    // The candidates for a parent: accepted, rejected, newer than the tick, and a build that stopped.
    await onDemand('20260101-000000', '2026-01-01T00:00:00Z');
    expect(
      (await onDemand('20260115-000000', '2026-01-15T00:00:00Z', { quality: { minItemsPerLabel: 100 } }))
        .rejected,
    ).toBe(true);
    await onDemand('20260301-000000', '2026-03-01T00:00:00Z');
    await t.store.putObject(snapshotInputsKey(NAMESPACE, dataset, '20260120-000000'), Buffer.from('{}'));

    // As the CronJob's Job runs it: no version, time or parent; 03:00 on the 1st in Berlin, a
    // few minutes late (02:00 UTC in winter).
    const scheduled = (now: string) =>
      collectEnv(t.env, dataset, spec({ snapshot: { schedule: '0 3 1 * *', timeZone: 'Europe/Berlin' } }), {
        BOSUN_NOW: now,
      });
    const run = await runDataJob('snapshot', scheduled('2026-02-01T02:04:00Z'));
    expect(run.stderr).toBe('');
    expect(run.code, run.message).toBe(0);
    const out = result(run.message);
    expect(out).toMatchObject({ version: '20260201-020000', parent: '20260101-000000', rejected: false });
    const summary = await readJson(t.store, snapshotSummaryKey(NAMESPACE, dataset, out.version, 'full'));
    expect(summary).toMatchObject({
      time: '2026-02-01T02:00:00.000Z',
      parent: '20260101-000000',
      batches: { count: 1, windows: ['20260131T000000Z-20260201T000000Z'] },
    });
    const card = (await t.store.getObject(snapshotCardKey(NAMESPACE, dataset, out.version))).toString('utf8');
    expect(card).toContain('Follows snapshot `20260101-000000`.');

    // An accepted version older than the tick appears meanwhile; a retry of the same Job later in
    // the month names the same version and finishes it as planned, with the parent it was planned with.
    await onDemand('20260125-000000', '2026-01-25T00:00:00Z');
    const published = await snapshotObjects(t.store, dataset, out.version);
    await t.store.remove([snapshotCardKey(NAMESPACE, dataset, out.version)]);
    const retry = await runDataJob('snapshot', scheduled('2026-02-20T12:00:00Z'));
    expect(retry.code, retry.message).toBe(0);
    expect(retry.message).toBe(run.message);
    const finished = await snapshotObjects(t.store, dataset, out.version);
    for (const [key, bytes] of published) expect(finished.get(key)?.equals(bytes), key).toBe(true);

    // The next month's run follows the newest accepted version before it.
    const next = result((await runDataJob('snapshot', scheduled('2026-03-01T02:00:00Z'))).message);
    expect(next).toMatchObject({ version: '20260301-020000', parent: '20260301-000000' });

    const unscheduled = await runDataJob(
      'snapshot',
      collectEnv(t.env, dataset, spec(), { BOSUN_NOW: '2026-02-01T02:04:00Z' }),
    );
    expect(unscheduled.code).toBe(1);
    expect(unscheduled.message).toMatch(
      /^ConfigInvalid: BOSUN_SNAPSHOT_VERSION is not set and the Dataset has no spec.snapshot.schedule/,
    );
  });

  it('fails with a reason when gold is empty, outside the namespace, or the version is malformed', async () => {
    const empty = await runDataJob(
      'snapshot',
      snapshotEnv(
        t.env,
        'empty',
        spec({ gold: { uri: `s3://${t.bucket}/imports/default/gold/nothing/` } }),
        '20260201-000000',
      ),
    );
    expect(empty.code).toBe(1);
    expect(empty.message).toMatch(
      /^GoldEmpty: spec.gold s3:\/\/.+\/imports\/default\/gold\/nothing\/ holds no object/,
    );
    expect(await t.store.list('datasets/default/empty/')).toEqual([]);

    const outside = await runDataJob(
      'snapshot',
      snapshotEnv(
        t.env,
        'outside',
        spec({ gold: { uri: `s3://${t.bucket}/imports/other/gold/` } }),
        '20260201-000000',
      ),
    );
    expect(outside.code).toBe(1);
    expect(outside.message).toMatch(/^OutsideNamespace: /);

    const badVersion = await runDataJob('snapshot', snapshotEnv(t.env, 'pets', spec(), 'latest'));
    expect(badVersion.code).toBe(1);
    expect(badVersion.message).toBe(
      'ConfigInvalid: BOSUN_SNAPSHOT_VERSION must be a snapshot version YYYYMMDD-HHMMSS (UTC), got "latest"',
    );
    expect(badVersion.stderr).not.toMatch(/at .+\.ts:\d+/);
  });

  it('indexes a tabular gold of table files and references batch tables without reading them', async () => {
    const dataset = 'iris';
    const gold = `imports/default/gold/${dataset}/`;
    await t.store.putObject(`${gold}part-1.csv`, Buffer.from('sepal,species\n5.1,setosa\n'));
    await t.store.putObject(`${gold}part-2.jsonl`, Buffer.from('{"sepal":6.3,"species":"virginica"}\n'));
    await t.store.putObject(`${gold}broken.jsonl`, Buffer.from('{"sepal":\n'));
    await publishBatch(t.store, dataset, 6, [
      {
        data: Buffer.from('{"sepal":4.9,"species":"setosa"}\n'),
        label: null,
        verified: false,
        name: 'rows.jsonl',
      },
    ]);
    const run = await runDataJob(
      'snapshot',
      snapshotEnv(
        t.env,
        dataset,
        { format: 'tabular', tabular: { labelColumn: 'species' }, gold: { uri: `s3://${t.bucket}/${gold}` } },
        '20260201-000000',
      ),
    );
    expect(run.code).toBe(0);
    const out = result(run.message);
    expect(out.variants.verified).toMatchObject({ items: 2, labels: 0, rejected: false });
    expect(out.variants.full).toMatchObject({ items: 3, labels: 0 });
    const index = await t.store.getObject(goldIndexKey(NAMESPACE, dataset, '20260201-000000'));
    expect(index.length).toBeGreaterThan(0);
    const summary = await readJson(t.store, snapshotSummaryKey(NAMESPACE, dataset, out.version, 'full'));
    expect(summary).toMatchObject({ gold: { objects: 3, items: 2, leftOut: { corrupt: 1 } }, labels: {} });
  });
});
