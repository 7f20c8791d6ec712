import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeManifest,
  encodeManifest,
  type ManifestItem,
  measureManifest,
  parseItem,
} from '../../../lib/store/manifest.ts';

const item: ManifestItem = {
  path: 'cat/1.jpg',
  sha256: 'a'.repeat(64),
  size: 10,
  label: 'cat',
  source: 'gold',
  verified: true,
  collectedAt: '2026-01-01T00:00:00Z',
  attributes: { confidence: 0.9 },
};

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect(source: Buffer, sha?: string): Promise<ManifestItem[]> {
  const out: ManifestItem[] = [];
  for await (const i of decodeManifest(Readable.from([source]), sha)) out.push(i);
  return out;
}

describe('manifests', () => {
  it('round-trips items through gzip JSON Lines and checks the digest', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ ...item, path: `cat/${i}.jpg` }));
    const gz = await bytes(encodeManifest(items));
    const sha = createHash('sha256').update(gz).digest('hex');
    expect(await collect(gz, sha)).toEqual(items);
    await expect(collect(gz, 'b'.repeat(64))).rejects.toThrow(/changed after it was published/);
  });

  it('decodes multi-byte characters split across chunk boundaries', async () => {
    const labels = ['café', '猫', '🐈‍⬛', 'naïve façade', 'ß'];
    const items = labels.map((label, i) => ({
      ...item,
      path: `${label}/${i}.jpg`,
      label,
      attributes: { note: `${label}${label}` },
    }));
    const gz = await bytes(encodeManifest(items));
    // One compressed byte per chunk: gunzip then emits a few bytes at a time, so multi-byte
    // characters are split between its output chunks.
    const oneByteChunks = Readable.from(
      Array.from(gz, (b) => Buffer.of(b)),
      { objectMode: false, highWaterMark: 1 },
    );
    const out: ManifestItem[] = [];
    for await (const i of decodeManifest(oneByteChunks, createHash('sha256').update(gz).digest('hex')))
      out.push(i);
    expect(out).toEqual(items);
    expect(out.map((i) => i.label).join('')).not.toContain('\uFFFD');
  });

  it('encodes to the bytes of one gzip of all lines, however the lines are chunked', async () => {
    // 3,000 items are several encoder chunks.
    const items = Array.from({ length: 3000 }, (_, i) => ({ ...item, path: `cat/${i}.jpg` }));
    const whole = gzipSync(items.map((i) => `${JSON.stringify(i)}\n`).join(''));
    expect((await bytes(encodeManifest(items))).equals(whole)).toBe(true);
  });

  it('measures what the encoding will be without keeping it', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ ...item, path: `cat/${i}.jpg` }));
    const gz = await bytes(encodeManifest(items));
    expect(await measureManifest(items)).toEqual({
      sha256: createHash('sha256').update(gz).digest('hex'),
      md5: createHash('md5').update(gz).digest('base64'),
      size: gz.length,
      count: 300,
    });
    await expect(measureManifest([{ ...item, size: -1 }])).rejects.toThrow(/"size"/);
  });

  it('keeps the encoded bytes while they fit the limit given', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ ...item, path: `cat/${i}.jpg` }));
    const gz = await bytes(encodeManifest(items));
    const kept = await measureManifest(items, gz.length);
    expect(Buffer.concat(kept.bytes ?? []).equals(gz)).toBe(true);
    expect(kept.sha256).toBe(createHash('sha256').update(gz).digest('hex'));
    const over = await measureManifest(items, gz.length - 1);
    expect(over.bytes).toBeUndefined();
    expect(over.size).toBe(gz.length);
  });

  it('refuses a line too long to be an item', async () => {
    const gz = gzipSync(`${JSON.stringify(item)}\n${'x'.repeat(2 * 1024 * 1024)}`);
    await expect(collect(gz)).rejects.toThrow('manifest line 2: longer than 1048576 characters');
  });

  it('names the line and field of an invalid item', async () => {
    const lines = `${JSON.stringify(item)}\n${JSON.stringify({ ...item, sha256: 'xyz' })}\n`;
    await expect(collect(gzipSync(lines))).rejects.toThrow(
      'manifest line 2: "sha256" must be 64 lowercase hex digits',
    );
    await expect(collect(gzipSync('{not json'))).rejects.toThrow('manifest line 1: not valid JSON');
    await expect(collect(Buffer.from('plain text'))).rejects.toThrow(/not valid gzip JSON Lines/);
  });

  it.each([
    [{ path: '../x' }, /relative path/],
    [{ path: '/abs' }, /relative path/],
    [{ size: -1 }, /"size"/],
    [{ verified: 'yes' }, /"verified"/],
    [{ collectedAt: 'yesterday' }, /"collectedAt"/],
    [{ attributes: { a: [1] } }, /attribute "a"/],
  ])('refuses %j', (patch, message) => {
    expect(() => parseItem({ ...item, ...patch }, 1)).toThrow(message);
  });

  it('refuses to write an item it could not read back', async () => {
    await expect(bytes(encodeManifest([{ ...item, sha256: 'nope' }]))).rejects.toThrow(/"sha256"/);
  });
});
