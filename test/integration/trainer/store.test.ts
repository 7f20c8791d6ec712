// The artifact store client against a real MinIO: per-namespace content-addressed blobs checked on
// read, streamed manifests with their digest, downloads streamed to disk, and all-or-nothing run
// outputs. Publishing a manifest is in publish.test.ts.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../lib/contract/errors.ts';
import { downloadVerified } from '../../../lib/store/download.ts';
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

const MIB = 1024 * 1024;

/** 64 MiB made of 1 MiB chunks, generated on demand so the test itself never holds the object. */
function* largeObjectChunks(): Generator<Buffer> {
  for (let i = 0; i < 64; i++) yield Buffer.alloc(MIB, i + 1);
}

describe('artifact store', () => {
  it('stores a blob once under its namespace and digest and refuses corrupt bytes on read', async () => {
    const t = await freshBucket('trainer');
    const a = await t.store.putBlob('default', Buffer.from('hello'));
    const b = await t.store.putBlob('default', Buffer.from('hello'));
    expect(a).toEqual(b);
    expect(a.key).toBe(blobKey('default', a.sha256));
    expect(a.key).toMatch(/^objects\/default\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
    expect((await t.store.getBlob('default', a.sha256, 5)).toString()).toBe('hello');
    await t.store.putObject(a.key, Buffer.from('jello'));
    await expect(t.store.getBlob('default', a.sha256)).rejects.toThrow(/is corrupt/);
    await expect(t.store.getBlob('default', 'f'.repeat(64))).rejects.toThrow(UserError);
  });

  it("keeps namespaces' blobs apart: a digest of namespace a is not readable as namespace b", async () => {
    const t = await freshBucket('trainer');
    const blob = await t.store.putBlob('team-a', Buffer.from('team a only'));
    await expect(t.store.getBlob('team-b', blob.sha256)).rejects.toMatchObject({
      reason: 'NotFound',
      message: `s3://${t.bucket}/objects/team-b/sha256/${blob.sha256.slice(0, 2)}/${blob.sha256} does not exist`,
    });
    // The same bytes stored by b are b's own copy.
    const copy = await t.store.putBlob('team-b', Buffer.from('team a only'));
    expect(copy.sha256).toBe(blob.sha256);
    expect(copy.key).not.toBe(blob.key);
    expect((await t.store.list('objects/')).sort()).toEqual([blob.key, copy.key].sort());
  });

  it('stores a blob once when writers race on it', async () => {
    const t = await freshBucket('trainer');
    const refs = await Promise.all(
      Array.from({ length: 8 }, () => t.store.putBlob('default', Buffer.from('raced'))),
    );
    expect(new Set(refs.map((r) => r.key)).size).toBe(1);
    expect((await t.store.getBlob('default', refs[0]?.sha256 as string, 5)).toString()).toBe('raced');
  });

  it('streams a large manifest out and back with its digest checked', async () => {
    const t = await freshBucket('trainer');
    const blob = await t.store.putBlob('default', Buffer.from('x'));
    const key = snapshotManifestKey('default', 'pets', '7', 'full');
    function* items() {
      for (let i = 0; i < 20_000; i++) yield item(i, blob.sha256, 1);
    }
    const written = await publishManifest(t.store, {
      namespace: 'default',
      manifestKey: key,
      summaryKey: snapshotSummaryKey('default', 'pets', '7', 'full'),
      items,
      summary: (w) => ({ items: w.count, sha256: w.sha256 }),
      checkBlobs: false,
    });
    expect(written).toMatchObject({ count: 20_000, created: true });
    expect(await t.store.objectSha256(key)).toBe(written.sha256);
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

  it('creates an object only where none exists', async () => {
    const t = await freshBucket('trainer');
    expect(await t.store.createObject('runs/default/once/a.txt', Buffer.from('first'))).toBe(true);
    expect(await t.store.createObject('runs/default/once/a.txt', Buffer.from('second'))).toBe(false);
    expect((await t.store.getObject('runs/default/once/a.txt')).toString()).toBe('first');
  });

  it('refuses a streamed body that is not what its digests say, and writes nothing', async () => {
    const t = await freshBucket('trainer');
    const said = Buffer.from('what was measured');
    const digests = {
      size: said.length,
      sha256: createHash('sha256').update(said).digest('hex'),
      md5: createHash('md5').update(said).digest('base64'),
    };
    const sent = Buffer.from('what was sent !!!'); // same length, other bytes
    await expect(
      t.store.createObject('runs/default/changed/a.txt', { digests, open: () => Readable.from([sent]) }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(BadDigest|XAmzContentSHA256Mismatch)$/) });
    expect(await t.store.exists('runs/default/changed/a.txt')).toBe(false);
  });

  it('streams a 64 MiB download to disk without holding it in memory', { timeout: 120_000 }, async () => {
    const t = await freshBucket('trainer');
    const key = 'models/default/big/1/model.onnx';
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    for (const chunk of largeObjectChunks()) {
      sha256.update(chunk);
      md5.update(chunk);
    }
    const digest = sha256.digest('hex');
    const created = await t.store.createObject(key, {
      digests: { size: 64 * MIB, sha256: digest, md5: md5.digest('base64') },
      open: () => Readable.from(largeObjectChunks(), { objectMode: false }),
    });
    expect(created).toBe(true);

    const dir = await mkdtemp(join(tmpdir(), 'download-'));
    const path = join(dir, 'model.onnx');
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 5);
    let result: Awaited<ReturnType<typeof downloadVerified>>;
    try {
      result = await downloadVerified(t.store, key, digest, path);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    expect(result).toEqual({ size: 64 * MIB, cached: false });
    expect((await stat(path)).size).toBe(64 * MIB);
    expect(await readdir(dir)).toEqual(['model.onnx']);
    // Loose on purpose (RSS is noisy): a download held in memory grows RSS by at least 64 MiB.
    expect(peak - baseline).toBeLessThan(24 * MIB);
    expect(await downloadVerified(t.store, key, digest, path)).toEqual({ size: -1, cached: true });
  });

  it('keeps no file when the downloaded bytes do not match the expected digest', async () => {
    const t = await freshBucket('trainer');
    const key = 'models/default/m/1/model.onnx';
    await t.store.putObject(key, Buffer.from('not the model'));
    const dir = await mkdtemp(join(tmpdir(), 'download-'));
    const path = join(dir, 'model.onnx');
    await expect(downloadVerified(t.store, key, 'a'.repeat(64), path)).rejects.toMatchObject({
      reason: 'ArtifactInvalid',
    });
    expect(await readdir(dir)).toEqual([]);
    await expect(
      downloadVerified(t.store, 'models/default/m/2/model.onnx', 'a'.repeat(64), path),
    ).rejects.toMatchObject({
      reason: 'NotFound',
    });
    expect(await readdir(dir)).toEqual([]);
    // A file left with other bytes is replaced, never trusted.
    await writeFile(path, 'stale');
    const sha = createHash('sha256').update('not the model').digest('hex');
    expect(await downloadVerified(t.store, key, sha, path)).toEqual({ size: 13, cached: false });
    expect((await readFile(path)).toString()).toBe('not the model');
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
