import { describe, expect, it } from 'vitest';
import { latencies, meetsTarget, percentile } from '../../bench/training-run/latencies.ts';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('is a value the runs took', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([0.4, 0.9, 1.3], 50)).toBe(0.9);
  });

  it('takes the worst of few runs as their 95th percentile', () => {
    expect(percentile([1, 2, 3, 4, 5], 95)).toBe(5);
    expect(percentile([7], 50)).toBe(7);
  });

  it('is NaN without values', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('latencies', () => {
  it('sorts a copy and reports n, p50, p95 and max', () => {
    const values = [3, 1, 2, 10, 4];
    expect(latencies(values)).toEqual({ n: 5, p50: 3, p95: 10, max: 10 });
    expect(values).toEqual([3, 1, 2, 10, 4]);
  });
});

describe('meetsTarget', () => {
  it('holds when every run was measured within the target', () => {
    expect(meetsTarget(latencies([0.5, 1.9, 2]), 3, 2)).toBe(true);
  });

  it('fails on the worst run, not the median', () => {
    expect(meetsTarget(latencies([0.5, 0.6, 2.1]), 3, 2)).toBe(false);
  });

  it('fails when a run was not measured (it never got there)', () => {
    expect(meetsTarget(latencies([0.5, 0.6]), 3, 2)).toBe(false);
    expect(meetsTarget(latencies([]), 3, 2)).toBe(false);
  });
});
