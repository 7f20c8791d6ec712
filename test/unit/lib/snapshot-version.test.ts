import { describe, expect, it } from 'vitest';
import { isSnapshotVersion, snapshotVersionAt } from '../../../lib/dataset/snapshot-version.ts';

describe('snapshot versions', () => {
  it('names a time in UTC to the second, in an order that is the time order', () => {
    expect(snapshotVersionAt(new Date('2026-02-01T03:00:00+01:00'))).toBe('20260201-020000');
    expect(snapshotVersionAt(new Date('2026-12-31T23:59:59.999Z'))).toBe('20261231-235959');
    const times = [
      '2026-01-31T23:00:00Z',
      '2026-02-01T00:00:00Z',
      '2026-10-01T00:00:00Z',
      '2027-01-01T00:00:00Z',
    ];
    const versions = times.map((t) => snapshotVersionAt(new Date(t)));
    expect([...versions].sort()).toEqual(versions);
    expect(versions.every(isSnapshotVersion)).toBe(true);
  });

  it('refuses a time that has no version', () => {
    expect(() => snapshotVersionAt(new Date('nonsense'))).toThrow(RangeError);
    expect(() => snapshotVersionAt(new Date(Date.UTC(10000, 0, 1)))).toThrow(RangeError);
  });

  it('tells a version from anything else', () => {
    expect(isSnapshotVersion('20260201-000000')).toBe(true);
    for (const text of ['2026-02-01', '20260201T000000Z', '20260201-0000000', 'latest', ''])
      expect(isSnapshotVersion(text), text).toBe(false);
  });
});
