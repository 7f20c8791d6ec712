// Shared steps for the trainer's integration tests: a fresh bucket on the real MinIO, datasets
// published as the snapshot builder publishes them, and the trainer run as its Job runs it.
import { fileURLToPath } from 'node:url';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { publishManifest } from '../../../lib/store/publish.ts';
import type { BucketFixture } from '../clients.ts';
import { runEntryPoint } from '../entry-point.ts';

const MAIN = fileURLToPath(new URL('../../../images/trainer/main.ts', import.meta.url));

/** Stores the files as blobs of the namespace and publishes a snapshot manifest listing them. */
export async function publishDataset(
  t: BucketFixture,
  name: string,
  files: { path: string; data: Buffer; label?: string }[],
  namespace = 'default',
): Promise<{ uri: string; sha256: string }> {
  const items: ManifestItem[] = [];
  for (const file of files) {
    const blob = await t.store.putBlob(namespace, file.data);
    items.push({
      path: file.path,
      sha256: blob.sha256,
      size: blob.size,
      label: file.label ?? null,
      source: 'gold',
      verified: true,
      collectedAt: '2026-01-01T00:00:00Z',
      attributes: {},
    });
  }
  const manifestKey = `datasets/${namespace}/${name}/snapshots/1/full.jsonl.gz`;
  const written = await publishManifest(t.store, {
    namespace,
    manifestKey,
    summaryKey: `datasets/${namespace}/${name}/snapshots/1/full.json`,
    items: () => items,
    summary: (w) => ({ items: w.count, sha256: w.sha256 }),
  });
  return { uri: `s3://${t.bucket}/${manifestKey}`, sha256: written.sha256 };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the trainer CLI as its Job does; BOSUN_NAMESPACE is `default` unless `env` sets it. */
export function runTrainer(env: Record<string, string>, args: string[] = []): Promise<RunResult> {
  return runEntryPoint(MAIN, ['train', ...args], { BOSUN_NAMESPACE: 'default', ...env });
}
