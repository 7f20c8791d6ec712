import { describe, expect, it } from 'vitest';
import { assessQuality } from '../../../images/data-jobs/snapshot/quality.ts';

const labels = (counts: Record<string, number>) => new Map(Object.entries(counts));
const clean = { corrupt: 0, files: 100, unknownBatches: 0 };

describe('snapshot quality', () => {
  it('measures every check, and passes when no gate is set', () => {
    const outcome = assessQuality(
      'imagefolder',
      {},
      { items: 30, labels: labels({ cat: 20, dog: 10 }) },
      clean,
    );
    expect(outcome.rejected).toBe(false);
    expect(outcome.findings).toEqual([
      { check: 'items', value: 30, limit: 1, passed: true, message: '30 items' },
      {
        check: 'minItemsPerLabel',
        value: 10,
        limit: null,
        passed: true,
        message: 'the smallest label is "dog" (10) of 2 labels',
      },
      {
        check: 'maxClassImbalance',
        value: 2,
        limit: null,
        passed: true,
        message: 'the largest label "cat" (20) has 2× the items of the smallest "dog" (10)',
      },
      {
        check: 'maxCorruptShare',
        value: 0,
        limit: null,
        passed: true,
        message: '0 of 100 files were corrupt and left out (0%)',
      },
    ]);
  });

  it('rejects with one reason per gate failed, naming the labels below the minimum', () => {
    const outcome = assessQuality(
      'imagefolder',
      { minItemsPerLabel: 5, maxClassImbalance: 3, maxCorruptShare: 0.01 },
      { items: 43, labels: labels({ cat: 40, dog: 2, bird: 1 }) },
      { corrupt: 3, files: 46, unknownBatches: 1 },
    );
    expect(outcome.rejected).toBe(true);
    expect(outcome.reasons).toEqual([
      'minItemsPerLabel: 2 of 3 labels have fewer than 5 items: "bird" (1), "dog" (2)',
      'maxClassImbalance: the largest label "cat" (40) has 40× the items of the smallest "bird" (1), more than 3×',
      'maxCorruptShare: 3 of 46 files were corrupt and left out (6.5217%), more than 1% (1 batches do not know what they left out)',
    ]);
  });

  it('always rejects a variant without items, and does not measure labels of tables', () => {
    const empty = assessQuality('imagefolder', {}, { items: 0, labels: new Map() }, { ...clean, files: 0 });
    expect(empty.reasons).toEqual(['items: the variant holds no item']);
    const table = assessQuality('tabular', { maxCorruptShare: 0.5 }, { items: 3, labels: new Map() }, clean);
    expect(table.rejected).toBe(false);
    expect(table.findings[1]).toMatchObject({
      value: null,
      passed: true,
      message: expect.stringMatching(/^not measured: a tabular item/),
    });
  });

  it('names ten labels and counts the rest', () => {
    const many = labels(
      Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 1])),
    );
    const outcome = assessQuality('imagefolder', { minItemsPerLabel: 2 }, { items: 14, labels: many }, clean);
    expect(outcome.reasons[0]).toMatch(/"l09" \(1\) and 4 more$/);
  });
});
