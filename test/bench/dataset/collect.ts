// Collecting a day of logged predictions: 10,000 rows of a prediction log like the inference
// server's in the real PostgreSQL, their 320×240 input photos already among the namespace's blobs
// in the real MinIO (as the server stores them), collected by the collect job run as its Job runs
// it. Target: ≤ 20 s. `benchCollect` is what a combined benchmark calls; run alone,
//   node test/bench/dataset/collect.ts      (BOSUN_TEST_ENV=<dir> reuses an environment)
// prints one JSON line (BOSUN_LOG_LEVEL=info adds the job's own progress lines); it asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { createTableStatements } from '../../../images/inference-server/prediction-table.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import {
  type EnvironmentState,
  readEnvironment,
  startEnvironment,
  stopEnvironment,
} from '../../cluster/environment.ts';
import { seeded } from '../../unit/inference-server/test-models.ts';
import { photoJpeg, photoVariant } from '../photo.ts';

const MAIN = fileURLToPath(new URL('../../../images/data-jobs/main.ts', import.meta.url));
export const COLLECT_ROWS = 10_000;
export const COLLECT_TARGET_SECONDS = 20;
/** Distinct photos to start from; each row's image differs from all others by a JPEG comment. */
const BASE_PHOTOS = 50;
const NS = 'default';

export interface CollectBenchResult {
  rows: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
  peakRssMb: number | undefined;
  targetSeconds: number;
  withinTarget: boolean;
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

function runCollect(
  env: Record<string, string>,
): Promise<{ code: number | null; message: string; rssKb?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'collect-bench-'));
  const log = join(dir, 'termination-log');
  return new Promise((resolve, reject) => {
    // /usr/bin/time would need a package; the job's own peak RSS comes from its status file at exit.
    const child = spawn(process.execPath, [MAIN, 'collect'], {
      env: {
        PATH: process.env.PATH ?? '',
        BOSUN_TERMINATION_LOG: log,
        BOSUN_LOG_LEVEL: process.env.BOSUN_LOG_LEVEL ?? 'warn',
        ...env,
      },
      stdio: ['ignore', process.env.BOSUN_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
    });
    let rssKb: number | undefined;
    const timer = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) rssKb = Math.max(rssKb ?? 0, Number(hwm[1]));
      } catch {
        // Exited between two looks.
      }
    }, 200);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      let message = '';
      try {
        message = readFileSync(log, 'utf8');
      } catch {
        // No message.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, message, ...(rssKb === undefined ? {} : { rssKb }) });
    });
  });
}

export async function benchCollect(env: EnvironmentState): Promise<CollectBenchResult> {
  const { endpoint, host, port, accessKey, secretKey } = env.minio;
  const bucket = `bench-collect-${Date.now().toString(36)}`;
  await new MinioClient({ endPoint: host, port, useSSL: false, accessKey, secretKey }).makeBucket(bucket);
  const store = new ArtifactStore({ endpoint, bucket, accessKey, secretKey });
  const table = `bench_predictions_${Date.now().toString(36)}`;
  const db = new pg.Client({ connectionString: env.postgres.url });
  await db.connect();
  try {
    for (const statement of createTableStatements(table)) await db.query(statement);
    const rnd = seeded(7);
    const photos = await Promise.all(Array.from({ length: BASE_PHOTOS }, () => photoJpeg(320, 240, rnd)));
    const keys: string[] = new Array(COLLECT_ROWS);
    await inParallel(
      Array.from({ length: COLLECT_ROWS }, (_, i) => i),
      16,
      async (i) => {
        keys[i] = (
          await store.putBlob(NS, photoVariant(photos[i % BASE_PHOTOS] as Buffer, `request ${i}`))
        ).key;
      },
    );
    const dayStart = Date.parse('2026-03-10T00:00:00Z');
    for (let from = 0; from < COLLECT_ROWS; from += 1000) {
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = from; i < Math.min(from + 1000, COLLECT_ROWS); i++) {
        const p = values.length;
        values.push(
          `r${i}`,
          new Date(dayStart + Math.floor((i * 86_400_000) / COLLECT_ROWS)),
          keys[i],
          i % 3 ? 'cat' : 'dog',
          0.5 + (i % 50) / 100,
          i % 5 === 0,
        );
        tuples.push(
          `($${p + 1}, $${p + 2}, 'pets', '3', $${p + 3}, '{}', $${p + 4}, $${p + 4}, $${p + 5}, $${p + 6})`,
        );
      }
      await db.query(
        `INSERT INTO ${table} (id, created_at, model, model_version, object_key, output, predicted_label, label, confidence, verified) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    const spec = {
      format: 'imagefolder',
      sources: [
        {
          name: 'served',
          postgres: {
            connectionSecret: { name: 'predictions-db' },
            query: `SELECT id, label, verified, confidence, object_key FROM ${table} WHERE created_at >= $1 AND created_at < $2`,
            columns: {
              id: 'id',
              label: 'label',
              verified: 'verified',
              confidence: 'confidence',
              objectKey: 'object_key',
            },
            images: { uri: `s3://${bucket}/` },
          },
        },
      ],
      collection: { schedule: '0 0 * * *', timeZone: 'Etc/UTC' },
    };
    const started = process.hrtime.bigint();
    const run = await runCollect({
      BOSUN_NAMESPACE: NS,
      BOSUN_DATASET: 'pets',
      BOSUN_DATASET_SPEC: JSON.stringify(spec),
      BOSUN_NOW: '2026-03-11T00:05:00Z',
      BOSUN_STORE_ENDPOINT: endpoint,
      BOSUN_STORE_BUCKET: bucket,
      BOSUN_STORE_ACCESS_KEY: accessKey,
      BOSUN_STORE_SECRET_KEY: secretKey,
      BOSUN_SOURCE_0_URL: env.postgres.url,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.code !== 0) throw new Error(`collect exited ${run.code}: ${run.message}`);
    const items = (JSON.parse(run.message) as { items: number }).items;
    return {
      rows: COLLECT_ROWS,
      items,
      seconds: Math.round(seconds * 100) / 100,
      itemsPerSecond: Math.round(items / seconds),
      peakRssMb: run.rssKb === undefined ? undefined : Math.round(run.rssKb / 1024),
      targetSeconds: COLLECT_TARGET_SECONDS,
      withinTarget: seconds <= COLLECT_TARGET_SECONDS,
    };
  } finally {
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await db.end();
  }
}

if (import.meta.main) {
  const reuse = process.env.BOSUN_TEST_ENV;
  const env = reuse ? readEnvironment(reuse) : await startEnvironment({ node: false });
  try {
    console.log(
      JSON.stringify({ benchmark: 'collect 10,000 logged predictions', ...(await benchCollect(env)) }),
    );
  } finally {
    if (!reuse) await stopEnvironment(env);
  }
}
