import { describe, expect, it } from 'vitest';
import {
  isAccepted,
  latestAccepted,
  type PublishedSnapshot,
  type PublishedVariant,
  parseSummary,
  type SnapshotListing,
} from '../../../lib/dataset/published-snapshots.ts';

const summary = (fields: Record<string, unknown> = {}) => ({
  dataset: 'pets',
  namespace: 'ml',
  version: '20260201-000000',
  variant: 'full',
  format: 'imagefolder',
  time: '2026-02-01T00:00:00.000Z',
  parent: '20260101-000000',
  rejected: false,
  reasons: [],
  manifest: {
    uri: 's3://bosun/datasets/ml/pets/snapshots/20260201-000000/full.jsonl.gz',
    sha256: 'a'.repeat(64),
  },
  items: 12,
  verified: 9,
  unverified: 3,
  labels: { cat: 7, dog: 5 },
  distinctLabels: 2,
  sources: { gold: 12 },
  ...fields,
});

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('a published summary', () => {
  it('is read for the fields the controller and the snapshot job use', () => {
    expect(parseSummary(bytes(summary()), '20260201-000000', 'full')).toEqual({
      variant: 'full',
      items: 12,
      verified: 9,
      labels: { cat: 7, dog: 5 },
      distinctLabels: 2,
      manifest: {
        uri: 's3://bosun/datasets/ml/pets/snapshots/20260201-000000/full.jsonl.gz',
        sha256: 'a'.repeat(64),
      },
      rejected: false,
      reasons: [],
      time: '2026-02-01T00:00:00.000Z',
      parent: '20260101-000000',
    });
    // Past the label limit, and for tabular rows, the summary has no labels.
    const { labels: _, ...withoutLabels } = summary({ parent: null });
    const parsed = parseSummary(bytes(withoutLabels), '20260201-000000', 'full');
    expect(parsed).toMatchObject({ parent: null, distinctLabels: 2 });
    expect(parsed).not.toHaveProperty('labels');
  });

  it.each([
    ['is not JSON', '{"items":'],
    ['is not a JSON object', '[1,2]'],
    ['names version "20260301-000000"', JSON.stringify(summary({ version: '20260301-000000' }))],
    ['names variant "verified"', JSON.stringify(summary({ variant: 'verified' }))],
    ['has no count items', JSON.stringify(summary({ items: -1 }))],
    ['has no count distinctLabels', JSON.stringify(summary({ distinctLabels: '2' }))],
    ['has labels that are not counts per label', JSON.stringify(summary({ labels: { cat: 1.5 } }))],
    [
      'has no manifest URI and sha256',
      JSON.stringify(summary({ manifest: { uri: 'x', sha256: 'a'.repeat(64) } })),
    ],
    ['does not say whether it is rejected', JSON.stringify(summary({ rejected: 'no' }))],
    ['has reasons that are not a list of sentences', JSON.stringify(summary({ reasons: [1] }))],
    ['has no snapshot time', JSON.stringify(summary({ time: 'yesterday' }))],
    ['has a parent that is not a version', JSON.stringify(summary({ parent: 'latest' }))],
  ])('that is malformed says why: it %s', (why, text) => {
    expect(parseSummary(Buffer.from(text), '20260201-000000', 'full')).toBe(why);
  });
});

describe('the latest accepted snapshot', () => {
  const variant = (rejected: boolean) =>
    parseSummary(bytes(summary({ rejected })), '20260201-000000', 'full') as PublishedVariant;
  const published = (version: string, ...rejected: boolean[]): PublishedSnapshot => ({
    version,
    publishedAt: '2026-02-01T00:01:00.000Z',
    variants: rejected.map(variant),
  });
  const listing: SnapshotListing['published'] = [
    published('20260401-000000', false, false),
    { version: '20260315-000000', invalid: 'full.json is not JSON' },
    published('20260301-000000', false, true),
    published('20260201-000000', false, false),
    published('20260101-000000', false),
  ];

  it('is the newest version none of whose variants is rejected, and none that cannot be read', () => {
    expect(latestAccepted(listing)?.version).toBe('20260401-000000');
    expect(latestAccepted(listing, '20260401-000000')?.version).toBe('20260201-000000');
    expect(latestAccepted(listing, '20260201-000000')?.version).toBe('20260101-000000');
    expect(latestAccepted(listing, '20260101-000000')).toBeUndefined();
    expect(latestAccepted([])).toBeUndefined();
    expect(listing.map(isAccepted)).toEqual([true, false, false, true, true]);
  });
});
