import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as MinioClient } from 'minio';
import { windowSegment } from '../../../lib/dataset/batch-window.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import { batchManifestKey, batchSummaryKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { publishManifest } from '../../../lib/store/publish.ts';
import { imageStage, nodeFlags } from '../../cluster/dockerfile.ts';
import {
  type EnvironmentState,
  readEnvironment,
  startEnvironment,
  stopEnvironment,
} from '../../cluster/environment.ts';
import { type RecordedRequest, startRecordingProxy } from '../../integration/data-jobs/recording-proxy.ts';
import { runEntryPoint } from '../../integration/entry-point.ts';
import { seeded } from '../../unit/inference-server/test-models.ts';
import { photoJpeg, photoVariant } from '../photo.ts';
import { benchCollect, type CollectBenchResult } from './collect.ts';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = fileURLToPath(new URL('../../../images/data-jobs/main.ts', import.meta.url));
const NS = 'default';
const DATASET = 'pets';
const SNAPSHOT_ITEMS = Number(process.env.BENCH_SNAPSHOT_ITEMS ?? 1_000_000);
const GOLD_PHOTOS = 1_000;
const BATCHES = 100;
const LABELS = 10;
const SEED_ITEMS = Number(process.env.BENCH_SEED_ITEMS ?? 10_000);
const SEED_COPIES_IN_FLIGHT = 16;
const TARGET_SECONDS = 30;
const TARGET_RSS_MB = 300;
const GOLD = `imports/${NS}/gold/${DATASET}/`;
const RESULTS =
  process.env.BENCH_RESULTS_DIR ?? join(here, 'results', new Date().toISOString().replace(/[:.]/g, '-'));

async function inParallel(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

interface JobRun {
  code: number | null;
  message: string;
  seconds: number;
  peakRssMb: number | undefined;
  log: string;
}

/** Runs the snapshot job as its Job runs it; its peak RSS is the kernel's VmHWM, looked at every 100 ms. */
async function runSnapshot(env: Record<string, string>): Promise<JobRun> {
  const started = process.hrtime.bigint();
  let rssKb: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const run = await runEntryPoint(
    MAIN,
    ['snapshot'],
    { BOSUN_LOG_LEVEL: 'info', ...env },
    {
      // With the entry point's own node flags, so the figures are those of the image.
      nodeFlags: nodeFlags(imageStage('data-jobs')),
      onSpawn: (child) => {
        timer = setInterval(() => {
          try {
            const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (hwm) rssKb = Math.max(rssKb ?? 0, Number(hwm[1]));
          } catch {
            // Exited between two looks.
          }
        }, 100);
      },
    },
  );
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(run.stderr);
  const log = run.stdout;
  // The job logs the kernel's own peak (getrusage) as it ends: the better figure when present.
  const own = /"maxRssMiB":(\d+)/.exec(log)?.[1];
  const peakRssMb = own ? Number(own) * 1.048576 : rssKb === undefined ? undefined : rssKb / 1000;
  return { code: run.code, message: run.message, seconds, peakRssMb, log };
}

async function prepareGold(store: ArtifactStore): Promise<void> {
  const rnd = seeded(11);
  const photos = await Promise.all(Array.from({ length: 20 }, () => photoJpeg(160, 120, rnd)));
  await inParallel(GOLD_PHOTOS, 16, async (i) => {
    await store.putObject(
      `${GOLD}label-${i % LABELS}/${i}.jpg`,
      photoVariant(photos[i % photos.length] as Buffer, `photo ${i}`),
    );
  });
}

/** Batches as collect publishes them, with distinct digests whose blobs are not stored (see above). */
async function prepareBatches(store: ArtifactStore, items: number): Promise<void> {
  const perBatch = Math.ceil(items / BATCHES);
  for (let b = 0; b < BATCHES; b++) {
    const start = new Date(Date.UTC(2026, 0, 1 + b));
    const end = new Date(Date.UTC(2026, 0, 2 + b));
    const segment = windowSegment({ start, end });
    const from = b * perBatch;
    const to = Math.min(items, from + perBatch);
    const make = function* (): Generator<ManifestItem> {
      for (let i = from; i < to; i++) {
        const sha256 = createHash('sha256').update(`item ${i}`).digest('hex');
        const label = `label-${i % LABELS}`;
        yield {
          path: `${label}/served/r${i}.jpg`,
          sha256,
          size: 20_000 + (i % 9_000),
          label,
          source: 'served',
          verified: i % 10 < 3,
          collectedAt: end.toISOString(),
          attributes: { id: `r${i}`, confidence: (i % 100) / 100 },
        };
      }
    };
    const manifestKey = batchManifestKey(NS, DATASET, segment);
    await publishManifest(store, {
      namespace: NS,
      manifestKey,
      summaryKey: batchSummaryKey(NS, DATASET, segment),
      items: make,
      checkBlobs: false,
      summary: (w) => ({
        window: { start: start.toISOString(), end: end.toISOString() },
        manifest: { uri: `s3://${store.bucket}/${manifestKey}`, sha256: w.sha256 },
        items: w.count,
        corrupt: 0,
      }),
    });
  }
}

interface Traffic {
  requests: number;
  itemBytesRead: number;
  itemBytesWritten: number;
  manifestBytesRead: number;
  manifestBytesWritten: number;
  byMethod: Record<string, number>;
}

function traffic(requests: RecordedRequest[]): Traffic {
  const item = (r: RecordedRequest) => r.key.startsWith(`objects/${NS}/`) || r.key.startsWith(GOLD);
  const t: Traffic = {
    requests: requests.length,
    itemBytesRead: 0,
    itemBytesWritten: 0,
    manifestBytesRead: 0,
    manifestBytesWritten: 0,
    byMethod: {},
  };
  for (const r of requests) {
    t.byMethod[r.method] = (t.byMethod[r.method] ?? 0) + 1;
    // A HEAD answers headers only, a listing names keys: neither moves item data.
    if (item(r)) {
      if (r.method === 'GET') t.itemBytesRead += r.responseBytes;
      else t.itemBytesWritten += r.requestBytes;
    } else if (r.method === 'GET') t.manifestBytesRead += r.responseBytes;
    else t.manifestBytesWritten += r.requestBytes;
  }
  return t;
}

async function seedCopy(
  minio: MinioClient,
  bucket: string,
  store: ArtifactStore,
): Promise<{ seconds: number }> {
  const rnd = seeded(5);
  const photos = await Promise.all(Array.from({ length: 50 }, () => photoJpeg(320, 240, rnd)));
  const source = `imports/${NS}/seed/${DATASET}/`;
  await inParallel(SEED_ITEMS, 16, async (i) => {
    await store.putObject(
      `${source}label-${i % LABELS}/${i}.jpg`,
      photoVariant(photos[i % photos.length] as Buffer, `photo ${i}`),
    );
  });
  const keys = await store.list(source);
  const started = process.hrtime.bigint();
  await inParallel(keys.length, SEED_COPIES_IN_FLIGHT, async (i) => {
    const key = keys[i] as string;
    await minio.copyObject(
      bucket,
      `imports/${NS}/seed-copies/2026-02/${key.slice(source.length)}`,
      `/${bucket}/${key}`,
    );
  });
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const reuse = process.env.BOSUN_TEST_ENV;
  const env: EnvironmentState = reuse ? readEnvironment(reuse) : await startEnvironment({ node: false });
  try {
    const { endpoint, host, port, accessKey, secretKey } = env.minio;
    const bucket = `bench-dataset-${Date.now().toString(36)}`;
    const minio = new MinioClient({ endPoint: host, port, useSSL: false, accessKey, secretKey });
    await minio.makeBucket(bucket);
    const store = new ArtifactStore({ endpoint, bucket, accessKey, secretKey });
    const storeEnv = {
      BOSUN_STORE_BUCKET: bucket,
      BOSUN_STORE_ACCESS_KEY: accessKey,
      BOSUN_STORE_SECRET_KEY: secretKey,
      BOSUN_NAMESPACE: NS,
      BOSUN_DATASET: DATASET,
      BOSUN_DATASET_SPEC: JSON.stringify({ format: 'imagefolder', gold: { uri: `s3://${bucket}/${GOLD}` } }),
    };
    const batchItems = SNAPSHOT_ITEMS - GOLD_PHOTOS;
    process.stderr.write(
      `writing ${GOLD_PHOTOS} gold photos and ${BATCHES} batches of ${fmt(batchItems)} items…\n`,
    );
    await prepareGold(store);
    await prepareBatches(store, batchItems);

    // Gold is indexed by an earlier snapshot (one that takes no batch): what every later one starts from.
    const indexing = await runSnapshot({
      ...storeEnv,
      BOSUN_STORE_ENDPOINT: endpoint,
      BOSUN_SNAPSHOT_VERSION: '20260101-000000',
      BOSUN_SNAPSHOT_TIME: '2026-01-01T00:00:00Z',
    });
    writeFileSync(join(RESULTS, 'snapshot-0-gold-indexing.log'), indexing.log);
    if (indexing.code !== 0)
      throw new Error(`the indexing snapshot exited ${indexing.code}: ${indexing.message}`);

    process.stderr.write('building the 1,000,000-item snapshot through the recording proxy…\n');
    const proxy = await startRecordingProxy(endpoint, bucket);
    let counted: JobRun;
    let counts: Traffic;
    try {
      counted = await runSnapshot({
        ...storeEnv,
        BOSUN_STORE_ENDPOINT: proxy.endpoint,
        BOSUN_SNAPSHOT_VERSION: '20260501-000000',
        BOSUN_SNAPSHOT_TIME: '2026-05-01T00:00:00Z',
        BOSUN_SNAPSHOT_PARENT: '20260101-000000',
      });
      counts = traffic(proxy.requests);
    } finally {
      await proxy.close();
    }
    writeFileSync(join(RESULTS, 'snapshot-1-counted.log'), counted.log);
    writeFileSync(join(RESULTS, 'snapshot-1-requests.json'), `${JSON.stringify(counts, null, 2)}\n`);
    if (counted.code !== 0) throw new Error(`the snapshot exited ${counted.code}: ${counted.message}`);
    const result = JSON.parse(counted.message) as { variants: Record<string, { items: number }> };

    process.stderr.write('building it again as another version, straight to the store…\n');
    const direct = await runSnapshot({
      ...storeEnv,
      BOSUN_STORE_ENDPOINT: endpoint,
      BOSUN_SNAPSHOT_VERSION: '20260502-000000',
      BOSUN_SNAPSHOT_TIME: '2026-05-01T00:00:00Z',
      BOSUN_SNAPSHOT_PARENT: '20260501-000000',
    });
    writeFileSync(join(RESULTS, 'snapshot-2-direct.log'), direct.log);
    if (direct.code !== 0) throw new Error(`the snapshot exited ${direct.code}: ${direct.message}`);

    process.stderr.write(`the seed's method: copying ${fmt(SEED_ITEMS)} photos with the minio client…\n`);
    const seed = await seedCopy(minio, bucket, store);
    const seedScaled = (seed.seconds / SEED_ITEMS) * SNAPSHOT_ITEMS;

    process.stderr.write('collecting 10,000 logged predictions…\n');
    const collect: CollectBenchResult = await benchCollect(env);

    const itemBytes = counts.itemBytesRead + counts.itemBytesWritten;
    const rss = Math.max(counted.peakRssMb ?? 0, direct.peakRssMb ?? 0);
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const rows: string[][] = [
      [
        `snapshot of ${fmt(SNAPSHOT_ITEMS)} items (full ${fmt(result.variants.full?.items ?? 0)}, verified ${fmt(result.variants.verified?.items ?? 0)}), to the store`,
        `${fmt(direct.seconds)} s`,
        `≤ ${TARGET_SECONDS} s`,
        verdict(direct.seconds <= TARGET_SECONDS),
      ],
      ['the same, every request through the recording proxy', `${fmt(counted.seconds)} s`, '', ''],
      [
        'item data read / written by it (gold and blobs)',
        `${fmt(counts.itemBytesRead, 0)} B / ${fmt(counts.itemBytesWritten, 0)} B`,
        '0 B',
        verdict(itemBytes === 0),
      ],
      [
        'manifests and index read / written by it',
        `${fmt(counts.manifestBytesRead / 1e6)} MB / ${fmt(counts.manifestBytesWritten / 1e6)} MB in ${fmt(counts.requests, 0)} requests`,
        '',
        '',
      ],
      [
        'peak RSS of the snapshot job',
        `${fmt(rss)} MB`,
        `≤ ${TARGET_RSS_MB} MB`,
        verdict(rss <= TARGET_RSS_MB),
      ],
      [
        `seed: copy ${fmt(SEED_ITEMS)} photos (minio copyObject, ${SEED_COPIES_IN_FLIGHT} at a time)`,
        `${fmt(seed.seconds)} s (${fmt((seed.seconds / SEED_ITEMS) * 1000, 2)} ms/item)`,
        '',
        '',
      ],
      [`seed scaled to ${fmt(SNAPSHOT_ITEMS)} items`, `${fmt(seedScaled)} s`, '', ''],
      [
        'ratio: seed scaled / snapshot',
        `${fmt(seedScaled / direct.seconds)}×`,
        '> 1×',
        verdict(seedScaled > direct.seconds),
      ],
      [
        `collect ${fmt(collect.rows)} logged predictions (${fmt(collect.items)} items)`,
        `${fmt(collect.seconds)} s, ${collect.peakRssMb ?? '?'} MB peak`,
        `≤ ${collect.targetSeconds} s`,
        verdict(collect.withinTarget),
      ],
    ];
    const table = [
      '| measure | result | target | verdict |',
      '| --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n');
    const raw = {
      counted: { ...counted, log: undefined },
      direct: { ...direct, log: undefined },
      counts,
      seed,
      collect,
    };
    writeFileSync(join(RESULTS, 'table.md'), `${table}\n`);
    writeFileSync(join(RESULTS, 'raw.json'), `${JSON.stringify(raw, null, 2)}\n`);
    console.log(table);
    console.log(`\nraw output: ${RESULTS}`);
  } finally {
    if (!reuse) await stopEnvironment(env);
  }
}

await main();
