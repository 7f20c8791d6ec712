import { describe, expect, it } from 'vitest';
import { renderCard } from '../../../images/data-jobs/snapshot/card.ts';
import type { SnapshotInputs } from '../../../images/data-jobs/snapshot/inputs.ts';
import { emptyStats, type VariantStats } from '../../../images/data-jobs/snapshot/select.ts';
import { corruptCounts, variantSummary } from '../../../images/data-jobs/snapshot/summary.ts';

const inputs: SnapshotInputs = {
  snapshotInputs: 1,
  namespace: 'ml',
  dataset: 'pets',
  version: '20260201-000000',
  time: '2026-02-01T00:00:00.000Z',
  parent: '20260101-000000',
  format: 'imagefolder',
  variants: ['verified', 'full'],
  quality: { minItemsPerLabel: 2 },
  gold: {
    uri: 's3://bosun/imports/ml/gold/',
    endpoint: null,
    index: { key: 'datasets/ml/pets/gold-index/20260201-000000.jsonl.gz', sha256: 'a'.repeat(64) },
    objects: 6,
    items: 4,
    leftOut: { corrupt: 1, missing: 0, outsideNamespace: 0, tooLarge: 0, unlabelled: 1 },
  },
  batches: [
    {
      segment: '20260101T000000Z-20260102T000000Z',
      window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
      manifest: {
        key: 'datasets/ml/pets/batches/20260101T000000Z-20260102T000000Z.jsonl.gz',
        sha256: 'b'.repeat(64),
      },
      items: 5,
      corrupt: 2,
    },
    {
      segment: '20260102T000000Z-20260103T000000Z',
      window: { start: '2026-01-02T00:00:00.000Z', end: '2026-01-03T00:00:00.000Z' },
      manifest: {
        key: 'datasets/ml/pets/batches/20260102T000000Z-20260103T000000Z.jsonl.gz',
        sha256: 'c'.repeat(64),
      },
      items: null,
      corrupt: null,
    },
  ],
};

function stats(
  labels: Record<string, number>,
  sources: Record<string, number>,
  verified: number,
): VariantStats {
  const items = Object.values(labels).reduce((a, b) => a + b, 0);
  return {
    ...emptyStats(),
    items,
    verified,
    unverified: items - verified,
    labels: new Map(Object.entries(labels)),
    sources: new Map(Object.entries(sources)),
  };
}

const manifest = (v: string) => ({
  uri: `s3://bosun/datasets/ml/pets/snapshots/20260201-000000/${v}.jsonl.gz`,
  sha256: 'd'.repeat(64),
});

describe('snapshot summary and card', () => {
  const verified = variantSummary(
    inputs,
    'verified',
    manifest('verified'),
    stats({ dog: 2, cat: 3 }, { gold: 4, web: 1 }, 5),
  );
  const full = variantSummary(
    inputs,
    'full',
    manifest('full'),
    stats({ dog: 3, cat: 4, 'a|b': 1 }, { web: 4, gold: 4 }, 5),
  );

  it('counts corrupt files of gold and of the batches that know theirs', () => {
    expect(corruptCounts(inputs)).toEqual({ gold: 1, batches: 2, corrupt: 3, files: 12, unknownBatches: 1 });
  });

  it('summarises a variant with sorted counts, the findings and where it came from', () => {
    expect(full).toMatchObject({
      variant: 'full',
      items: 8,
      verified: 5,
      unverified: 3,
      labels: { 'a|b': 1, cat: 4, dog: 3 },
      distinctLabels: 3,
      sources: { gold: 4, web: 4 },
      parent: '20260101-000000',
      rejected: true,
      reasons: ['minItemsPerLabel: 1 of 3 labels have fewer than 2 items: "a|b" (1)'],
      corrupt: { gold: 1, batches: 2, unknownBatches: 1 },
      gold: { objects: 6, items: 4, leftOut: { corrupt: 1, unlabelled: 1 } },
      batches: { count: 2, windows: inputs.batches.map((b) => b.segment) },
    });
    expect(Object.keys(full.labels ?? {})).toEqual(['a|b', 'cat', 'dog']);
    expect(verified.rejected).toBe(false);
    expect(
      JSON.stringify(
        variantSummary(
          inputs,
          'full',
          manifest('full'),
          stats({ dog: 3, cat: 4, 'a|b': 1 }, { web: 4, gold: 4 }, 5),
        ),
      ),
    ).toBe(JSON.stringify(full));
  });

  it('renders a card with the counts per variant, labels, sources, findings, lineage and how to load it', () => {
    const card = renderCard(inputs, 'bosun', [verified, full]);
    expect(card).toContain('# pets — snapshot 20260201-000000');
    expect(card).toContain('**Rejected:** full failed a quality gate');
    expect(card).toContain('| `verified` | 5 | 5 | 0 | 2 | 0 | accepted |');
    expect(card).toContain('| `full` | 8 | 5 | 3 | 3 | 0 | **rejected** |');
    expect(card).toContain('| cat | 3 | 4 |');
    // A label is user data: a pipe would split its table row.
    expect(card).toContain('| a\\|b | 0 | 1 |');
    expect(card).toContain('| web | 1 | 4 |');
    expect(card).toContain(
      'Gold: `s3://bosun/imports/ml/gold/`, 6 objects, 4 items (left out: 1 corrupt, 1 unlabelled).',
    );
    expect(card).toContain('Batches: 2, windows from 2026-01-01T00:00:00.000Z to 2026-01-03T00:00:00.000Z.');
    expect(card).toContain(
      '| `minItemsPerLabel` | 2 | passed: the smallest label is "dog" (2) of 2 labels | **failed**: 1 of 3 labels',
    );
    expect(card).toContain('Follows snapshot `20260101-000000`.');
    expect(card).toContain('    variant: verified');
    expect(card).toContain('Key="datasets/ml/pets/snapshots/20260201-000000/verified.jsonl.gz"');
    expect(renderCard(inputs, 'bosun', [verified, full])).toBe(card);
  });

  it('lists the most frequent labels and sums the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`l${i}`, i + 1]));
    const s = variantSummary(inputs, 'full', manifest('full'), stats(many, { web: 1 }, 0));
    const card = renderCard(inputs, 'bosun', [s]);
    expect(card).toContain('| l59 | 60 |');
    expect(card).toContain('| *10 more* | 55 |');
    expect(card).not.toContain('| l0 |');
  });
});
