// Shared steps for the data jobs' integration tests: the image's entry point run as its Job runs
// it (a process with the BOSUN_* environment, its termination message in a file), and small images.
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import type { DatasetSpec } from '../../../operator/api/dataset.ts';
import { type EntryPointRun, runEntryPoint } from '../entry-point.ts';

const MAIN = fileURLToPath(new URL('../../../images/data-jobs/main.ts', import.meta.url));

export type JobRun = EntryPointRun;

/** Runs `main.ts <command>` with `env` (and nothing else of this process' environment but PATH/HOME). */
export function runDataJob(command: string, env: Record<string, string>): Promise<JobRun> {
  return runEntryPoint(MAIN, [command], env);
}

/** The environment of a collect Job for `spec`. */
export function collectEnv(
  storeEnv: Record<string, string>,
  dataset: string,
  spec: DatasetSpec | Record<string, unknown>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...storeEnv,
    BOSUN_NAMESPACE: 'default',
    BOSUN_DATASET: dataset,
    BOSUN_DATASET_SPEC: JSON.stringify(spec),
    ...extra,
  };
}

/** A small JPEG whose bytes depend on `seed`. */
export async function jpeg(seed: number, size = 16): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (seed * 37 + i * 11 + ((i * seed) % 7)) & 0xff;
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .jpeg()
    .toBuffer();
}

export async function readItems(store: ArtifactStore, key: string): Promise<ManifestItem[]> {
  const items: ManifestItem[] = [];
  for await (const item of store.readManifest(key)) items.push(item);
  return items;
}

export async function readJson<T = Record<string, unknown>>(store: ArtifactStore, key: string): Promise<T> {
  return JSON.parse((await store.getObject(key)).toString('utf8')) as T;
}
