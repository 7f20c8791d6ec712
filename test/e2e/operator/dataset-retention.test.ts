// Retention on the real node and MinIO: a gold-only Dataset keeping two snapshots, whose first
// snapshot a ModelVersion was trained on (spec.source.dataset). Three more snapshots on request
// delete only the version no ModelVersion names; the protected one stays in the store and in
// status (retainedBy) past spec.retention. Once that ModelVersion is deleted, the reconcile its
// watch starts deletes the version too, and the newest two remain with their gold indexes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { goldIndexKey, goldIndexPrefix } from '../../../lib/store/keys.ts';
import type { Dataset } from '../../../operator/api/dataset.ts';
import {
  createModelVersion,
  eventually,
  modelVersionBody,
  modelVersionPath,
  onnxModel,
  settledModelVersion,
  sha256,
  upload,
} from '../../integration/operator/harness.ts';
import {
  createDataset,
  type DatasetFixture,
  datasetEvents,
  requestSnapshot,
  snapshotKeys,
  snapshotPublished,
  startDatasets,
  uploadImages,
} from './datasets.ts';
import { stopServing } from './serving.ts';

const env = inject('environment');
const NAME = 'curated';
const MODEL = 'curated-model';
let f: DatasetFixture;

/** The versions that have anything under snapshots/, oldest first. */
async function storedVersions(): Promise<string[]> {
  const prefix = `datasets/${f.ns.watched}/${NAME}/snapshots/`;
  const versions = (await snapshotKeys(f, NAME)).map((k) => k.slice(prefix.length).split('/')[0] as string);
  return [...new Set(versions)].sort();
}

async function goldIndexes(): Promise<string[]> {
  return (await f.bucket.store.list(goldIndexPrefix(f.ns.watched, NAME))).sort();
}

/** status.snapshots as [version, variant, retainedBy] in their order. */
const entries = (ds: Dataset) =>
  (ds.status?.snapshots ?? []).map((s) => [s.version, s.variant, s.retainedBy ?? []] as const);

async function deletedEvents(): Promise<string[]> {
  return (await datasetEvents(f, NAME)).filter((e) => e.reason === 'SnapshotDeleted').map((e) => e.note);
}

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the Dataset tests need a node for the data Jobs: ${noNode}`);
  f = await startDatasets(env, 'ds-retention');
  await uploadImages(f, `imports/${f.ns.watched}/gold/`, [
    { label: 'cat', seed: 1 },
    { label: 'cat', seed: 2 },
    { label: 'dog', seed: 3 },
    { label: 'dog', seed: 4 },
  ]);
}, 120_000);

afterAll(async () => {
  await stopServing(env, f);
});

describe('snapshot retention', () => {
  it('with snapshots: 2 and a ModelVersion naming the oldest, three new snapshots delete only the unprotected ones; deleting that ModelVersion lets the next reconcile remove it', async () => {
    await createDataset(f, NAME, {
      format: 'imagefolder',
      gold: { uri: `s3://${f.ns.bucket}/imports/${f.ns.watched}/gold/` },
      snapshot: { variants: ['verified', 'full'] },
      retention: { snapshots: 2 },
    });
    await requestSnapshot(f, NAME, 'snapshot-1');
    let ds = await snapshotPublished(f, NAME);
    const oldest = ds.status?.latestSnapshot?.version as string;
    const trainedOn = ds.status?.snapshots?.find((s) => s.version === oldest && s.variant === 'full');
    expect(trainedOn).toMatchObject({ items: 4 });

    // A model registered as trained on the oldest snapshot's full variant.
    const model = onnxModel(7);
    const uri = await upload(env, f.ns.bucket, `models/${f.ns.watched}/${MODEL}/1/model.onnx`, model);
    const mv = modelVersionBody(
      f.ns.watched,
      MODEL,
      1,
      { uri, sha256: sha256(model) },
      {
        source: {
          dataset: {
            name: NAME,
            snapshot: oldest,
            variant: 'full',
            manifestSha256: trainedOn?.manifest.sha256 as string,
          },
        },
      },
    );
    await createModelVersion(f.client, mv);
    await settledModelVersion(f.client, f.ns.watched, mv.metadata.name, 120_000);

    const versions = [oldest];
    for (const value of ['snapshot-2', 'snapshot-3', 'snapshot-4']) {
      await requestSnapshot(f, NAME, value);
      ds = await snapshotPublished(f, NAME, versions[versions.length - 1]);
      versions.push(ds.status?.latestSnapshot?.version as string);
      // Nothing is deleted until a version that no ModelVersion names falls past the newest two.
      if (value === 'snapshot-3') expect(await storedVersions()).toEqual(versions);
    }
    const [v1, v2, v3, v4] = versions as [string, string, string, string];
    expect(new Set(versions).size).toBe(4);

    // The unprotected v2 is gone; v1 stays for its ModelVersion, past spec.retention.
    expect(await storedVersions()).toEqual([v1, v3, v4]);
    expect(entries(ds)).toEqual([
      [v4, 'verified', []],
      [v4, 'full', []],
      [v3, 'verified', []],
      [v3, 'full', []],
      [v1, 'verified', [mv.metadata.name]],
      [v1, 'full', [mv.metadata.name]],
    ]);
    expect(ds.status?.latestSnapshot?.version).toBe(v4);
    const protectedManifest = await f.bucket.store.objectSha256(
      `datasets/${f.ns.watched}/${NAME}/snapshots/${v1}/full.jsonl.gz`,
    );
    expect(protectedManifest).toBe(trainedOn?.manifest.sha256);
    const deleted = await deletedEvents();
    expect(deleted).toEqual([expect.stringContaining(`Snapshot ${v2} deleted`)]);
    expect(await goldIndexes()).toEqual([v1, v3, v4].map((v) => goldIndexKey(f.ns.watched, NAME, v)));

    // Without its ModelVersion the oldest snapshot is one too many: the watch starts the reconcile.
    await f.client.request('DELETE', modelVersionPath(f.ns.watched, mv.metadata.name));
    await eventually(async () => {
      const gone = await f.client.request('GET', modelVersionPath(f.ns.watched, mv.metadata.name)).then(
        () => false,
        () => true,
      );
      if (!gone) throw new Error(`${mv.metadata.name} still exists`);
    }, 60_000);
    await eventually(async () => {
      const stored = await storedVersions();
      if (stored.includes(v1)) throw new Error(`${v1} is still in the store: ${stored.join(', ')}`);
    }, 90_000);
    expect(await storedVersions()).toEqual([v3, v4]);
    ds = await eventually(async () => {
      const d = await snapshotPublished(f, NAME, '', 10_000);
      if (entries(d).some(([v]) => v === v1)) throw new Error(`${v1} still in status`);
      return d;
    }, 60_000);
    expect(entries(ds)).toEqual([
      [v4, 'verified', []],
      [v4, 'full', []],
      [v3, 'verified', []],
      [v3, 'full', []],
    ]);
    expect(ds.status?.latestSnapshot?.version).toBe(v4);
    expect(await deletedEvents()).toEqual([
      expect.stringContaining(`Snapshot ${v2} deleted`),
      expect.stringContaining(`Snapshot ${v1} deleted`),
    ]);
    // The newest versions keep their gold indexes (the next snapshot reads gold from v4's).
    expect(await goldIndexes()).toEqual([v3, v4].map((v) => goldIndexKey(f.ns.watched, NAME, v)));
  }, 420_000);
});
