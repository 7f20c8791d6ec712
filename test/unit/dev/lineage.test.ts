import { describe, expect, it } from 'vitest';
import { type LineageVersion, lineageTable } from '../../dev/lineage.ts';

const version = (n: number, extra: Partial<LineageVersion> = {}): LineageVersion => ({
  modelVersion: `digits-v${n}`,
  stage: 'production',
  run: `digits-retrain-2026010${n}-000000`,
  snapshot: `2026010${n}-000000`,
  variant: 'verified',
  manifestSha256: `${n}`.repeat(64),
  items: 300 * n,
  sources: n === 1 ? { gold: 300 } : { gold: 300, feedback: 300 },
  batches:
    n === 1
      ? [{ window: '20260101T000000Z-20260101T000100Z', items: 0, verified: 0 }]
      : [
          { window: '20260101T000000Z-20260101T000100Z', items: 0, verified: 0 },
          { window: '20260102T000000Z-20260102T000100Z', items: 400, verified: 300 },
        ],
  metrics: { accuracy: 0.9 + n / 100, validation_items: 60 * n },
  promotion: n === 1 ? 'promoted to production: no Ready version held it' : '',
  ...extra,
});

describe('lineageTable', () => {
  it('chains what serves back to its batches, and sets the versions side by side', () => {
    const text = lineageTable(
      { url: 'http://digits.demo.svc:8080', hostUrl: 'http://10.96.0.9:8080', serving: 'digits-v2' },
      [version(1), version(2)],
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'http://digits.demo.svc:8080 → digits-v2 → TrainingRun digits-retrain-20260102-000000 → snapshot 20260102-000000 verified (manifest sha256 222222222222…) → batches 20260102T000000Z-20260102T000100Z',
    );
    expect(lines[1]).toMatch(/^\s+digits-v1\s+digits-v2 \(serving\)$/);
    expect(text).toMatch(/items\s+300 \(gold 300\)\s+600 \(gold 300, feedback 300\)/);
    expect(text).toMatch(
      /batches\s+1 \(0 with items: 0 items, 0 verified\)\s+2 \(1 with items: 400 items, 300 verified\)/,
    );
    expect(text).toMatch(/accuracy\s+0\.9100\s+0\.9200/);
    expect(text).toMatch(/validation_items\s+60\s+120/);
    expect(text).toMatch(/macro_f1\s+—\s+—/);
    expect(text).toContain('digits-v1: promoted to production: no Ready version held it');
    expect(lines[lines.length - 1]).toBe('from this machine: http://10.96.0.9:8080');
  });

  it('aligns every column', () => {
    const rows = lineageTable({ url: 'u', serving: 'digits-v1' }, [version(1), version(2)])
      .split('\n')
      .slice(1, 9);
    const second = rows.map((r) =>
      r.indexOf('digits-retrain-20260102') >= 0 ? r.indexOf('digits-retrain-20260102') : -1,
    );
    expect(second.filter((i) => i >= 0)).toHaveLength(1);
    const starts = rows.map((r) => /^(\S.*?\s{2,}|\s+)\S/.exec(r)?.[0].length);
    expect(new Set(starts).size).toBe(1);
  });
});
