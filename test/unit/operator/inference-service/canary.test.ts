import { describe, expect, it } from 'vitest';
import { canaryBeside, splitReplicas } from '../../../../operator/controllers/inference-service/canary.ts';

describe('splitting replicas for a canary', () => {
  it.each([
    // total, percent → primary, canary, achieved percent
    [4, 25, 3, 1, 25],
    [10, 10, 9, 1, 10],
    [10, 25, 8, 2, 20], // 2.5 is a tie between 2 and 3: the smaller canary wins
    [3, 50, 2, 1, 33],
    [5, 60, 2, 3, 60],
    [2, 10, 1, 1, 50],
    [20, 1, 19, 1, 5],
    [100, 37, 63, 37, 37],
    [4, 99, 1, 3, 75],
  ])('%i replicas at %i percent → %i + %i (%i percent)', (total, percent, primary, canary, achieved) => {
    expect(splitReplicas(total, percent)).toEqual({ primary, canary, percent: achieved });
  });

  it('keeps the achieved share as close as possible to the configured one', () => {
    for (let total = 2; total <= 40; total++)
      for (let percent = 1; percent <= 99; percent++) {
        const { primary, canary } = splitReplicas(total, percent);
        expect(primary + canary).toBe(total);
        const best = Math.min(
          ...Array.from({ length: total - 1 }, (_, i) => Math.abs((i + 1) / total - percent / 100)),
        );
        expect(Math.abs(canary / total - percent / 100)).toBeCloseTo(best, 12);
      }
  });

  it('runs both sides on one replica each, and neither on zero', () => {
    expect(splitReplicas(1, 10)).toEqual({ primary: 1, canary: 1, percent: 50 });
    expect(splitReplicas(0, 10)).toEqual({ primary: 0, canary: 0, percent: 10 });
  });
});

describe('a canary beside an autoscaled primary', () => {
  it.each([
    [3, 25, 1, 25],
    [9, 10, 1, 10],
    [1, 25, 1, 50],
    [6, 50, 6, 50],
    [10, 20, 3, 23], // 3/13 = 23.1% is closer to 20% than 2/12 = 16.7%
  ])(
    'a primary of %i at %i percent gets %i canary replicas (%i percent)',
    (primary, percent, canary, achieved) => {
      expect(canaryBeside(primary, percent)).toEqual({ primary, canary, percent: achieved });
    },
  );

  it('runs no canary while the primary runs nothing', () => {
    expect(canaryBeside(0, 25)).toEqual({ primary: 0, canary: 0, percent: 25 });
  });
});
