import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  compareKeys,
  encodeGoldIndex,
  type GoldEntry,
  type GoldIndexHeader,
  openGoldIndex,
  sameLocation,
} from '../../../images/data-jobs/snapshot/gold-index.ts';

const header: GoldIndexHeader = {
  goldIndex: 1,
  uri: 's3://bosun/imports/ml/gold/',
  endpoint: null,
  format: 'imagefolder',
};

const entries: GoldEntry[] = Array.from({ length: 3000 }, (_, i) =>
  i % 100 === 7
    ? {
        key: `cat/${i}.jpg`,
        etag: `e${i}`,
        size: 10,
        leftOut: 'corrupt',
        detail: `cat/${i}.jpg: not an image`,
      }
    : {
        key: `cat/${i}.jpg`,
        etag: `e${i}`,
        size: 10 + i,
        item: {
          path: `cat/${i}.jpg`,
          sha256: createHash('sha256').update(String(i)).digest('hex'),
          size: 10 + i,
          label: 'cat',
          source: 'gold',
          verified: true,
          collectedAt: '2026-01-01T00:00:00.000Z',
          attributes: {},
        },
      },
);

async function read(bytes: Buffer, sha?: string): Promise<{ header: GoldIndexHeader; entries: GoldEntry[] }> {
  const opened = await openGoldIndex(Readable.from([bytes]), 'the index', sha);
  const out: GoldEntry[] = [];
  for await (const e of opened.entries) out.push(e);
  return { header: opened.header, entries: out };
}

describe('gold index', () => {
  it('round-trips its header and entries, and its bytes are one gzip of its lines', async () => {
    const bytes = await encodeGoldIndex(header, entries);
    expect(bytes.equals(gzipSync([header, ...entries].map((l) => `${JSON.stringify(l)}\n`).join('')))).toBe(
      true,
    );
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(await read(bytes, sha)).toEqual({ header, entries });
  });

  it('refuses an index whose bytes are not the ones pinned, or that is not an index', async () => {
    const bytes = await encodeGoldIndex(header, entries.slice(0, 3));
    await expect(read(bytes, 'f'.repeat(64))).rejects.toThrow(/changed after it was written/);
    await expect(read(gzipSync('{"hello":1}\n'))).rejects.toMatchObject({ reason: 'SnapshotInputsInvalid' });
    await expect(read(Buffer.from('plain text'))).rejects.toThrow(/not gzip JSON lines/);
    await expect(
      read(gzipSync(`${JSON.stringify(header)}\n{"key":"a","etag":"e","size":1}\n`)),
    ).rejects.toThrow(/line 2 has neither an item nor a reason/);
  });

  it('orders keys as S3 lists them (UTF-8 bytes) and tells locations apart', () => {
    // U+FF5E sorts before U+1F600 in UTF-16 code units' reverse: JavaScript's < says otherwise.
    expect('\u{1F600}' < '\uFF5E').toBe(true);
    expect(compareKeys('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect(compareKeys('cat/1.jpg', 'cat/1.jpg')).toBe(0);
    expect(sameLocation(header, { ...header })).toBe(true);
    expect(sameLocation(header, { ...header, uri: 's3://bosun/imports/ml/gold2/' })).toBe(false);
    expect(sameLocation(header, { ...header, endpoint: 'https://s3.example.com' })).toBe(false);
  });
});
