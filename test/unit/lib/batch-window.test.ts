import { describe, expect, it } from 'vitest';
import { parseBatchKey, parseWindowSegment, windowSegment } from '../../../lib/dataset/batch-window.ts';

const window = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-02T00:00:00Z') };

describe('batch windows in keys', () => {
  it('are a fixed-width UTC form that reads back', () => {
    expect(windowSegment(window)).toBe('20260101T000000Z-20260102T000000Z');
    expect(parseWindowSegment('20260101T000000Z-20260102T000000Z')).toEqual(window);
  });

  it('are whole seconds and end after they start', () => {
    expect(() => windowSegment({ ...window, start: new Date('2026-01-01T00:00:00.5Z') })).toThrow(RangeError);
    expect(() => windowSegment({ start: window.end, end: window.start })).toThrow(RangeError);
  });

  it('read nothing else as a window', () => {
    for (const s of [
      '20260230T000000Z-20260301T000000Z',
      '20260102T000000Z-20260101T000000Z',
      'x',
      '20260101T000000Z',
      '20260101T000000Z-20260102T000000Z-1',
    ])
      expect(parseWindowSegment(s)).toBeUndefined();
  });

  it('tell manifests from summaries under a batches/ prefix', () => {
    const prefix = 'datasets/ns/pets/batches/';
    expect(parseBatchKey(prefix, `${prefix}20260101T000000Z-20260102T000000Z.jsonl.gz`)).toEqual({
      window,
      segment: '20260101T000000Z-20260102T000000Z',
      kind: 'manifest',
    });
    expect(parseBatchKey(prefix, `${prefix}20260101T000000Z-20260102T000000Z.json`)?.kind).toBe('summary');
    expect(parseBatchKey(prefix, `${prefix}notes.txt`)).toBeUndefined();
    expect(
      parseBatchKey(prefix, 'datasets/ns/other/batches/20260101T000000Z-20260102T000000Z.json'),
    ).toBeUndefined();
  });
});
