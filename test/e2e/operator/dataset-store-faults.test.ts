// MinIO cut off for 60 s while a snapshot is being built, on the real node: the operator reaches
// the store only through a TCP proxy on the node's address (--store-endpoint; the last flag wins),
// so its data jobs do too. A gold-only Dataset with some thousands of small JPEGs makes the
// snapshot take seconds; the proxy goes down once the snapshot's first blobs are in the store and
// comes back 60 s later. Read straight from MinIO, throughout and at the end, nothing is out of
// publishing order (no manifest without its items' blobs, no summary without its manifest, no card
// without every variant's manifest and summary); the Dataset says why while the store is gone; the
// Job's retry publishes the snapshot, and the Dataset ends Ready with it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { blobsPrefix } from '../../../lib/store/keys.ts';
import type { Condition } from '../../../operator/api/common.ts';
import { jpeg } from '../../integration/data-jobs/helpers.ts';
import { eventually, sleep } from '../../integration/operator/harness.ts';
import { startTcpProxy, type TcpProxy } from '../../integration/tcp-proxy.ts';
import {
  createDataset,
  type DatasetFixture,
  datasetCondition,
  datasetEvents,
  datasetJobs,
  datasetWhen,
  readDataset,
  requestSnapshot,
  snapshotKeys,
  snapshotPublished,
  startDatasets,
  uploadImages,
} from './datasets.ts';
import { publishingProblems } from './publishing-order.ts';
import { stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'bulk';
const VARIANTS = ['verified', 'full'] as const;
/** Gold objects: enough that indexing them (each read, decoded and stored) takes seconds. */
const GOLD_OBJECTS = 4000;
const UPLOADS_IN_FLIGHT = 16;
const OUTAGE_MS = 60_000;
let f: DatasetFixture;
let proxy: TcpProxy;
const seeds = Array.from({ length: GOLD_OBJECTS }, (_, i) => i);

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode || !env.node) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  // Pods reach host services at the node's address only.
  proxy = await startTcpProxy({ host: env.minio.host, port: env.minio.port }, env.node.address);
  f = await startDatasets(env, 'ds-store', [`--store-endpoint=http://${proxy.host}:${proxy.port}`]);
  const gold = `imports/${f.ns.watched}/gold/${NAME}/`;
  const images = seeds.map((seed) => ({ label: seed % 3 === 0 ? 'dog' : 'cat', seed }));
  await Promise.all(
    Array.from({ length: UPLOADS_IN_FLIGHT }, (_, k) =>
      uploadImages(
        f,
        gold,
        images.filter((_, i) => i % UPLOADS_IN_FLIGHT === k),
      ),
    ),
  );
  await createDataset(f, NAME, {
    format: 'imagefolder',
    gold: { uri: `s3://${f.ns.bucket}/${gold}` },
    snapshot: { variants: [...VARIANTS] },
  });
  // Settled while the store is there: the data jobs' credentials are minted through the proxy.
  await datasetWhen(f, NAME, (ds) => {
    expect(datasetCondition(ds, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingSnapshot' });
  });
}, 240_000);

afterAll(async () => {
  await stopServing(env, f);
  await proxy?.close();
});

/** The Dataset's conditions, `at` ms after the cut. */
interface Seen {
  at: number;
  ready: Condition | undefined;
  snapshots: Condition | undefined;
}

describe('MinIO stopped for 60 s during a snapshot', () => {
  it('publishes nothing out of order, says why meanwhile, and publishes the snapshot on the retry', async () => {
    // The distinct contents among the gold images (jpeg() repeats itself every 1792 seeds): what
    // each variant holds in the end, the rest left out as duplicates.
    const digests = new Set<string>();
    for (const seed of seeds)
      digests.add(
        createHash('sha256')
          .update(await jpeg(seed))
          .digest('hex'),
      );

    // Straight from MinIO, until the end: every problem found, with when (an object that cannot
    // be read back is one too).
    const problems: string[] = [];
    const started = Date.now();
    let watching = true;
    let checks = 0;
    const watcher = (async () => {
      while (watching) {
        const at = `${((Date.now() - started) / 1000).toFixed(1)} s`;
        try {
          for (const p of await publishingProblems(f, NAME, VARIANTS)) problems.push(`${at}: ${p}`);
        } catch (error) {
          problems.push(`${at}: the store could not be checked: ${(error as Error).message}`);
        }
        checks++;
        await sleep(500);
      }
    })();

    await requestSnapshot(f, NAME, 'during-outage');
    await eventually(
      async () => {
        const blobs = await f.bucket.store.list(blobsPrefix(f.ns.watched));
        if (blobs.length === 0) throw new Error('the snapshot has stored no gold blob yet');
      },
      180_000,
      100,
    );
    await proxy.down();
    const cutAt = Date.now();
    const atCut = await snapshotKeys(f, NAME);
    const blobsAtCut = (await f.bucket.store.list(blobsPrefix(f.ns.watched))).length;
    // Cut while building: had the card been written already, this would test nothing.
    expect(atCut.filter((k) => k.endsWith('/README.md'))).toEqual([]);

    const seen: Seen[] = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      const ds = await readDataset(f, NAME);
      seen.push({
        at: Date.now() - cutAt,
        ready: datasetCondition(ds, 'Ready'),
        snapshots: datasetCondition(ds, 'SnapshotsHealthy'),
      });
      await sleep(1000);
    }
    await proxy.up();
    const upAt = Date.now();
    const ds = await snapshotPublished(f, NAME, '', 300_000);
    const publishedAfter = (Date.now() - upAt) / 1000;
    watching = false;
    await watcher;
    console.log(
      `cut with ${blobsAtCut} blobs stored and ${atCut.length} snapshot keys; published ${publishedAfter.toFixed(1)} s after the store came back; ${checks} store checks`,
    );
    const distinct = (list: (Condition | undefined)[]) => [
      ...new Set(list.map((c) => (c ? `${c.status} ${c.reason}: ${c.message}` : 'none'))),
    ];
    console.log(`Ready while the store was cut:\n  ${distinct(seen.map((s) => s.ready)).join('\n  ')}`);
    console.log(
      `first store reason ${(seen.find((s) => s.ready?.reason?.startsWith('Store'))?.at ?? -1) / 1000} s after the cut`,
    );
    console.log(
      `SnapshotsHealthy while the store was cut:\n  ${distinct(seen.map((s) => s.snapshots)).join('\n  ')}`,
    );

    expect(problems).toEqual([]);
    expect(await publishingProblems(f, NAME, VARIANTS)).toEqual([]);

    // While the store was cut the Dataset said so, in words, not a stack trace: Ready waited for
    // the snapshot until the build's first failure, then named the store until it came back.
    const storeReasons = ['StoreError', 'StoreUnavailable'];
    const firstDown = seen.find((s) => storeReasons.includes(s.ready?.reason ?? ''));
    expect(firstDown?.at).toBeLessThan(30_000);
    for (const s of seen.filter((s) => s.at < (firstDown?.at ?? 0)))
      expect(s.ready).toMatchObject({ status: 'False', reason: 'AwaitingSnapshot' });
    for (const s of seen.filter((s) => s.at >= (firstDown?.at ?? 0))) {
      expect(s.ready?.status).toBe('False');
      expect(storeReasons).toContain(s.ready?.reason);
      expect(s.ready?.message).not.toMatch(/\n\s+at /);
    }
    expect(seen.map((s) => s.snapshots)).toContainEqual(
      expect.objectContaining({
        status: 'False',
        reason: 'StoreUnavailable',
        message: expect.stringMatching(/attempt \d+ failed, retrying/),
      }),
    );

    // The one Job's retry published the version it was given; nothing else was started.
    const jobs = await eventually(async () => {
      const list = await datasetJobs(f, NAME);
      if (!list.every((j) => j.succeeded)) throw new Error(`not complete yet: ${JSON.stringify(list)}`);
      return list;
    }, 60_000);
    expect(jobs).toEqual([
      expect.objectContaining({ request: 'during-outage', succeeded: true, failed: expect.any(Number) }),
    ]);
    expect(jobs[0]?.failed).toBeGreaterThanOrEqual(1);
    console.log(`the Job's attempts that failed before it published: ${jobs[0]?.failed}`);
    const version = ds.status?.latestSnapshot?.version;
    const folders = new Set((await snapshotKeys(f, NAME)).map((k) => k.split('/').at(-2)));
    expect([...folders]).toEqual([version]);
    expect(ds.status?.snapshots?.map((s) => [s.variant, s.items])).toEqual([
      ['verified', digests.size],
      ['full', digests.size],
    ]);
    expect(datasetCondition(ds, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(datasetCondition(ds, 'SnapshotsHealthy')).toMatchObject({
      status: 'True',
      reason: 'SnapshotPublished',
    });
    const events = await datasetEvents(f, NAME);
    expect(events.filter((e) => e.reason === 'SnapshotFailed')).toContainEqual(
      expect.objectContaining({ type: 'Warning', note: expect.stringMatching(/^StoreUnavailable: /) }),
    );
    expect(events.filter((e) => e.reason === 'SnapshotPublished').map((e) => e.note)).toEqual([
      expect.stringContaining(`Snapshot ${version} published`),
    ]);
    console.log(`events: ${events.map((e) => `${e.type} ${e.reason}: ${e.note}`).join('\n  ')}`);
  }, 480_000);
});
