import { describe, expect, it } from 'vitest';
import { emptyStats, selectVariant, verifiedDigests } from '../../../images/data-jobs/snapshot/select.ts';
import { DigestSet } from '../../../lib/dataset/digest-set.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';

const sha = (c: string) => c.repeat(64);

function item(
  digest: string,
  label: string | null,
  source: string,
  verified: boolean,
  rows?: number,
): ManifestItem {
  return {
    path: `${label ?? 'rows'}/${source}/${digest}.jpg`,
    sha256: sha(digest),
    size: 1,
    label,
    source,
    verified,
    collectedAt: '2026-01-01T00:00:00Z',
    attributes: rows === undefined ? {} : { rows },
  };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}

// Gold first, then the batches oldest first.
const candidates = [
  item('a', 'cat', 'gold', true),
  item('b', 'dog', 'gold', true),
  item('a', 'dog', 'web', false), // gold's bytes again
  item('c', 'dog', 'web', false), // verified later as a cat
  item('d', 'cat', 'web', false),
  item('c', 'cat', 'review', true),
  item('d', 'bird', 'web', false), // the first unverified d wins
  item('e', 'cat', 'review', true),
  item('e', 'dog', 'review', true), // the first verified e wins
];

describe('snapshot variants', () => {
  it('verified: gold and verified items, the first of each content', async () => {
    const stats = emptyStats();
    const items = await all(selectVariant('verified', candidates, stats));
    expect(items.map((i) => `${i.sha256[0]}:${i.source}:${i.label}`)).toEqual([
      'a:gold:cat',
      'b:gold:dog',
      'c:review:cat',
      'e:review:cat',
    ]);
    expect(stats).toMatchObject({ items: 4, verified: 4, unverified: 0, duplicates: 1 });
    expect(Object.fromEntries(stats.labels)).toEqual({ cat: 3, dog: 1 });
  });

  it('full: every content once, a verified occurrence before an unverified one wherever it comes', async () => {
    const stats = emptyStats();
    const verified = await verifiedDigests(candidates);
    const full = await all(selectVariant('full', candidates, stats, { verified }));
    expect(full.map((i) => `${i.sha256[0]}:${i.source}:${i.label}`)).toEqual([
      'a:gold:cat',
      'b:gold:dog',
      'd:web:cat',
      'c:review:cat',
      'e:review:cat',
    ]);
    expect(stats).toMatchObject({ items: 5, verified: 4, unverified: 1, duplicates: 4 });
    expect(Object.fromEntries(stats.sources)).toEqual({ gold: 2, review: 2, web: 1 });
    // verified ⊂ full, item for item.
    const onlyVerified = await all(selectVariant('verified', candidates, emptyStats()));
    for (const i of onlyVerified) expect(full).toContainEqual(i);
  });

  it("hands the verified selection's digests to the full variant", async () => {
    const set = new DigestSet();
    await all(selectVariant('verified', candidates, emptyStats(), { seen: set }));
    const fromPass = await all(selectVariant('full', candidates, emptyStats(), { verified: set }));
    const fromScan = await all(
      selectVariant('full', candidates, emptyStats(), { verified: await verifiedDigests(candidates) }),
    );
    expect(fromPass).toEqual(fromScan);
  });

  it('sums the rows of table files only when every file records them', async () => {
    const tables = [item('a', null, 'gold', true, 10), item('b', null, 'db', false, 5)];
    const stats = emptyStats();
    await all(selectVariant('full', tables, stats, { verified: await verifiedDigests(tables) }));
    expect(stats.rows).toBe(15);
    expect(stats.labels.size).toBe(0);
    const partial = emptyStats();
    const mixed = [...tables, item('c', null, 'db', false)];
    await all(selectVariant('full', mixed, partial, { verified: await verifiedDigests(mixed) }));
    expect(partial.rows).toBeNull();
  });

  it('refuses to select full without the verified digests', async () => {
    await expect(all(selectVariant('full', candidates, emptyStats()))).rejects.toThrow(/verified candidates/);
  });
});
