import { describe, expect, it } from 'vitest';
import {
  batchesUpTo,
  encodeInputs,
  parseInputs,
  type SnapshotInputs,
} from '../../../images/data-jobs/snapshot/inputs.ts';
import { parseBatchKey } from '../../../lib/dataset/batch-window.ts';

const PREFIX = 'datasets/ml/pets/batches/';
const file = (name: string) =>
  parseBatchKey(PREFIX, `${PREFIX}${name}`) as NonNullable<ReturnType<typeof parseBatchKey>>;

describe('snapshot inputs', () => {
  it('takes the batches whose window ends by the snapshot time, oldest first, knowing which have a summary', () => {
    const files = [
      file('20260103T000000Z-20260104T000000Z.jsonl.gz'),
      file('20260101T000000Z-20260102T000000Z.jsonl.gz'),
      file('20260101T000000Z-20260102T000000Z.json'),
      file('20260102T000000Z-20260103T000000Z.json'), // a summary alone is not a batch
      file('20260101T120000Z-20260102T000000Z.jsonl.gz'),
      file('20260104T000000Z-20260105T000000Z.jsonl.gz'),
    ];
    const chosen = batchesUpTo(files, new Date('2026-01-04T00:00:00Z'));
    expect(chosen.map((f) => [f.segment, f.hasSummary])).toEqual([
      ['20260101T000000Z-20260102T000000Z', true],
      ['20260101T120000Z-20260102T000000Z', false],
      ['20260103T000000Z-20260104T000000Z', false],
    ]);
  });

  const inputs: SnapshotInputs = {
    snapshotInputs: 1,
    namespace: 'ml',
    dataset: 'pets',
    version: '20260201-000000',
    time: '2026-02-01T00:00:00.000Z',
    parent: null,
    format: 'imagefolder',
    variants: ['verified', 'full'],
    quality: {},
    gold: null,
    batches: [
      {
        segment: '20260101T000000Z-20260102T000000Z',
        window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-02T00:00:00.000Z' },
        manifest: { key: `${PREFIX}20260101T000000Z-20260102T000000Z.jsonl.gz`, sha256: 'a'.repeat(64) },
        items: 3,
        corrupt: null,
      },
    ],
  };

  it('reads its own pin back and refuses anything else with a reason', () => {
    expect(parseInputs('inputs.json', encodeInputs(inputs))).toEqual(inputs);
    const broken = (change: (i: Record<string, unknown>) => void) => {
      const copy = structuredClone(inputs) as unknown as Record<string, unknown>;
      change(copy);
      return () => parseInputs('inputs.json', Buffer.from(JSON.stringify(copy)));
    };
    expect(() => parseInputs('inputs.json', Buffer.from('{'))).toThrow(
      'inputs.json cannot be read back: not JSON',
    );
    expect(broken((i) => (i.snapshotInputs = 2))).toThrow(/not snapshot inputs of format 1/);
    expect(broken((i) => (i.variants = ['everything']))).toThrow(/variants/);
    expect(
      broken((i) => {
        for (const b of i.batches as { manifest: { sha256: string } }[]) b.manifest.sha256 = 'x';
      }),
    ).toThrow(/batches are malformed/);
    expect(broken((i) => (i.gold = { uri: 's3://b/g/' }))).toThrow(/gold entry is malformed/);
  });
});
