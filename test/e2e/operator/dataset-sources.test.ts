// An s3 and an http source on the real node: images uploaded under imports/<ns>/incoming/<label>/
// during the window (the s3 source takes the objects whose LastModified lies in it), and URLs
// served by the test's own HTTP server on the node address (a label per URL, one of them not an
// image). The Dataset's one-minute CronJob collects both into its batches, each item with its
// source's name; the corrupt URL is left out and counted, a file outside a label folder too. A
// snapshot on request then counts each source's items in its summaries.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BatchSummary } from '../../../images/data-jobs/collect/summary.ts';
import type { VariantSummary } from '../../../images/data-jobs/snapshot/summary.ts';
import { snapshotManifestKey, snapshotSummaryKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { jpeg } from '../../integration/data-jobs/helpers.ts';
import { sha256 } from '../../integration/operator/harness.ts';
import {
  batchKeys,
  createDataset,
  type DatasetFixture,
  datasetCondition,
  datasetWhen,
  manifestItems,
  minutesAgo,
  requestSnapshot,
  snapshotPublished,
  startDatasets,
  uploadImages,
} from './datasets.ts';
import { stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'mixed';
let f: DatasetFixture;
let server: Server;
let baseUrl = '';

/** What the HTTP server serves, by path: three images and one file that is not an image. */
const served = new Map<string, { label: string; body: Buffer }>();
const requests = new Map<string, number>();

const uploads = [
  { label: 'cat', seed: 1 },
  { label: 'cat', seed: 2 },
  { label: 'cat', seed: 3 },
  { label: 'dog', seed: 4 },
  { label: 'dog', seed: 5 },
];

async function readJson<T>(key: string): Promise<T> {
  return JSON.parse((await f.bucket.store.getObject(key)).toString()) as T;
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  const address = env.node?.address;
  if (!address) throw new Error('the environment has no node address for the HTTP server');
  served.set('/pets/0.jpg', { label: 'cat', body: await jpeg(11) });
  served.set('/pets/1.jpg', { label: 'dog', body: await jpeg(12) });
  served.set('/pets/2.jpg', { label: 'dog', body: await jpeg(13) });
  served.set('/pets/broken.jpg', { label: 'cat', body: Buffer.from('this is no JPEG at all') });
  server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const entry = served.get(path);
    if (!entry) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': entry.body.length }).end(entry.body);
  });
  // Pods reach the host at the node address, not at loopback.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve());
  });
  baseUrl = `http://${address}:${(server.address() as AddressInfo).port}`;
  f = await startDatasets(env, 'ds-sources');
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stopServing(env, f);
});

describe('an s3 and an http source', () => {
  let batches: BatchSummary[] = [];
  let items: ManifestItem[] = [];

  it('each produce a batch: items with their source names, the corrupt URL left out and counted', async () => {
    const prefix = `imports/${f.ns.watched}/incoming/`;
    const since = minutesAgo(0);
    await createDataset(f, NAME, {
      format: 'imagefolder',
      sources: [
        // A person sorted these into label folders.
        { name: 'uploads', s3: { uri: `s3://${f.ns.bucket}/${prefix}`, verified: true } },
        {
          name: 'partner',
          http: { urls: [...served].map(([path, { label }]) => ({ url: `${baseUrl}${path}`, label })) },
        },
      ],
      collection: { schedule: '* * * * *', timeZone: 'Etc/UTC', since: since.toISOString() },
      snapshot: { variants: ['verified', 'full'] },
    });
    const keys = await uploadImages(f, prefix, uploads);
    // Directly under the prefix, in no label folder.
    await f.bucket.store.putObject(`${prefix}stray.jpg`, await jpeg(6), 'image/jpeg');
    let lastUpload = 0;
    for await (const object of f.bucket.store.listObjects(prefix))
      lastUpload = Math.max(lastUpload, object.lastModified.getTime());
    expect(lastUpload).toBeGreaterThanOrEqual(since.getTime());
    // Until a window that ends after the last upload is collected.
    await datasetWhen(
      f,
      NAME,
      (d) => {
        const end = new Date(d.status?.lastCollection?.window.end ?? 0).getTime();
        if (end <= lastUpload || datasetCondition(d, 'CollectionHealthy')?.status !== 'True')
          throw new Error(`not collected past the uploads yet: ${JSON.stringify(d.status)}`);
      },
      240_000,
    );

    const summaryKeys = (await batchKeys(f, NAME)).filter((k) => k.endsWith('.json'));
    batches = await Promise.all(summaryKeys.map((k) => readJson<BatchSummary>(k)));
    items = (
      await Promise.all(
        batches.map((b) => manifestItems(f, b.manifest.uri.replace(`s3://${f.ns.bucket}/`, ''))),
      )
    ).flat();
    const total = (pick: (b: BatchSummary) => number | undefined) =>
      batches.reduce((n, b) => n + (pick(b) ?? 0), 0);

    // The s3 source: each uploaded image once, labelled by its folder, verified as the spec says.
    const fromS3 = items.filter((i) => i.source === 'uploads');
    expect(fromS3.map((i) => i.attributes.object).sort()).toEqual(
      keys.map((k) => `s3://${f.ns.bucket}/${k}`).sort(),
    );
    for (const { label, seed } of uploads) {
      const item = fromS3.find(
        (i) => i.attributes.object === `s3://${f.ns.bucket}/${prefix}${label}/${seed}.jpg`,
      );
      expect(item).toMatchObject({ label, verified: true, sha256: sha256(await jpeg(seed)) });
      expect(item?.path.startsWith(`${label}/uploads/`)).toBe(true);
    }
    expect(total((b) => b.sources.uploads?.items)).toBe(uploads.length);
    expect(total((b) => b.sources.uploads?.leftOut.unlabelled)).toBe(1);

    // The http source: each image URL once with its label; the one that is no image left out.
    const fromHttp = items.filter((i) => i.source === 'partner');
    const images = [...served].filter(([path]) => path !== '/pets/broken.jpg');
    expect(fromHttp.map((i) => i.attributes.url).sort()).toEqual(
      images.map(([p]) => `${baseUrl}${p}`).sort(),
    );
    for (const [path, { label, body }] of images)
      expect(fromHttp.find((i) => i.attributes.url === `${baseUrl}${path}`)).toMatchObject({
        label,
        verified: false,
        sha256: sha256(body),
      });
    expect(total((b) => b.sources.partner?.items)).toBe(images.length);
    expect(total((b) => b.sources.partner?.leftOut.corrupt)).toBe(1);
    expect(total((b) => b.corrupt ?? 0)).toBe(1);
    // Windows after the first fetch every URL again and find nothing new.
    expect(total((b) => b.sources.partner?.unchanged)).toBe(served.size * (batches.length - 1));
    expect(requests.get('/pets/broken.jpg')).toBeGreaterThanOrEqual(1);
    expect(items).toHaveLength(uploads.length + images.length);
    expect(total((b) => b.items)).toBe(items.length);
  }, 300_000);

  it('counts both sources in the snapshot: full has every item, verified the verified source', async () => {
    await requestSnapshot(f, NAME, 'with-both-sources');
    const ds = await snapshotPublished(f, NAME);
    const version = ds.status?.latestSnapshot?.version as string;
    const summary = (variant: 'full' | 'verified') =>
      readJson<VariantSummary>(snapshotSummaryKey(f.ns.watched, NAME, version, variant));
    const full = await summary('full');
    expect(full).toMatchObject({
      rejected: false,
      items: uploads.length + 3,
      verified: uploads.length,
      unverified: 3,
      sources: { partner: 3, uploads: uploads.length },
      labels: { cat: 3 + 1, dog: 2 + 2 },
      corrupt: { gold: 0, batches: 1, unknownBatches: 0 },
    });
    expect(full.gold ?? null).toBeNull();
    // Windows collected since are empty: the URLs' content is unchanged and nothing was uploaded.
    expect(full.batches.count).toBeGreaterThanOrEqual(batches.length);
    const verified = await summary('verified');
    expect(verified).toMatchObject({
      rejected: false,
      items: uploads.length,
      sources: { uploads: uploads.length },
      labels: { cat: 3, dog: 2 },
    });
    expect(Object.keys(verified.sources)).toEqual(['uploads']);
    expect(ds.status?.latestSnapshot).toMatchObject({
      items: uploads.length + 3,
      verifiedItems: uploads.length,
    });
    // The full manifest holds the batches' items as they are.
    const manifest = await manifestItems(f, snapshotManifestKey(f.ns.watched, NAME, version, 'full'));
    expect(manifest.map((i) => i.sha256).sort()).toEqual(items.map((i) => i.sha256).sort());
  }, 300_000);
});
