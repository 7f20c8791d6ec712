// The artifact store client against a real MinIO: content-addressed blobs checked on read,
// streamed manifests with their digest, publish order and all-or-nothing run outputs.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../lib/contract/errors.ts';
import { blobKey, snapshotManifestKey, snapshotSummaryKey } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { publishFiles, publishManifest } from '../../../lib/store/publish.ts';
import { freshBucket } from '../clients.ts';

function item(i: number, sha256: string, size: number): ManifestItem {
  return {
    path: `cat/${i}.jpg`,
    sha256,
    size,
    label: 'cat',
    source: 'gold',
    verified: i % 2 === 0,
    collectedAt: '2026-01-01T00:00:00Z',
    attributes: { i },
  };
}

describe('artifact store', () => {
  it('stores a blob once under its digest and refuses corrupt bytes on read', async () => {
    const t = await freshBucket('trainer');
    const a = await t.store.putBlob(Buffer.from('hello'));
    const b = await t.store.putBlob(Buffer.from('hello'));
    expect(a).toEqual(b);
    expect(a.key).toBe(blobKey(a.sha256));
    expect((await t.store.getBlob(a.sha256, 5)).toString()).toBe('hello');
    await t.store.putObject(a.key, Buffer.from('jello'));
    await expect(t.store.getBlob(a.sha256)).rejects.toThrow(/is corrupt/);
    await expect(t.store.getBlob('f'.repeat(64))).rejects.toThrow(UserError);
  });

  it('streams a large manifest out and back with its digest checked', async () => {
    const t = await freshBucket('trainer');
    const blob = await t.store.putBlob(Buffer.from('x'));
    const key = snapshotManifestKey('default', 'pets', '7', 'full');
    function* items() {
      for (let i = 0; i < 20_000; i++) yield item(i, blob.sha256, 1);
    }
    const written = await publishManifest(t.store, {
      manifestKey: key,
      summaryKey: snapshotSummaryKey('default', 'pets', '7', 'full'),
      items,
      summary: (w) => ({ items: w.count, sha256: w.sha256 }),
      checkBlobs: false,
    });
    expect(written.count).toBe(20_000);
    let count = 0;
    for await (const read of t.store.readManifest(key, written.sha256)) {
      expect(read).toEqual(item(count, blob.sha256, 1));
      count++;
    }
    expect(count).toBe(20_000);
    const summary = JSON.parse(
      (await t.store.getObject(snapshotSummaryKey('default', 'pets', '7', 'full'))).toString(),
    );
    expect(summary).toEqual({ items: 20_000, sha256: written.sha256 });
    const drain = async () => {
      for await (const _ of t.store.readManifest(key, '0'.repeat(64)));
    };
    await expect(drain()).rejects.toThrow(/changed after it was published/);
  });

  it('publishes no manifest whose blobs are missing, and never overwrites one', async () => {
    const t = await freshBucket('trainer');
    const key = snapshotManifestKey('default', 'pets', '1', 'verified');
    const summaryKey = snapshotSummaryKey('default', 'pets', '1', 'verified');
    const options = { manifestKey: key, summaryKey, summary: () => ({}) };
    await expect(
      publishManifest(t.store, { ...options, items: () => [item(0, 'a'.repeat(64), 1)] }),
    ).rejects.toThrow(/blob a{64} is not in the store/);
    expect(await t.store.exists(key)).toBe(false);
    const blob = await t.store.putBlob(Buffer.from('y'));
    await publishManifest(t.store, { ...options, items: () => [item(0, blob.sha256, 1)] });
    expect(await t.store.exists(summaryKey)).toBe(true);
    await expect(publishManifest(t.store, { ...options, items: () => [] })).rejects.toThrow(/already exists/);
    const other = snapshotManifestKey('default', 'pets', '2', 'full');
    await expect(
      publishManifest(t.store, {
        ...options,
        manifestKey: other,
        items: () => [{ ...item(0, blob.sha256, 1), verified: 'yes' as unknown as boolean }],
        checkBlobs: false,
      }),
    ).rejects.toThrow(/"verified" must be true or false/);
    expect(await t.store.exists(other)).toBe(false);
  });

  it('uploads run outputs all or nothing, metrics last', async () => {
    const t = await freshBucket('trainer');
    const dir = await mkdtemp(join(tmpdir(), 'publish-'));
    await writeFile(join(dir, 'model.onnx'), 'm');
    await writeFile(join(dir, 'metrics.json'), '{}');
    const keys = await publishFiles(t.store, {
      dir,
      prefix: 'runs/default/ok/',
      files: ['metrics.json', 'model.onnx'],
      last: ['metrics.json'],
    });
    expect(keys).toEqual(['runs/default/ok/model.onnx', 'runs/default/ok/metrics.json']);
    await expect(
      publishFiles(t.store, {
        dir,
        prefix: 'runs/default/bad/',
        files: ['model.onnx', 'missing.json'],
        last: [],
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(await t.store.list('runs/default/bad/')).toEqual([]);
  });
});
