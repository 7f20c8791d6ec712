import { describe, expect, it } from 'vitest';
import { asProbabilities, largest } from '../../../images/inference-server/probabilities.ts';

// Past about 125 000 values, Math.max(...values) overflows the stack on Node 24.
const HUGE = 1_000_000;

describe('probabilities', () => {
  it('finds the largest of a million values', () => {
    const values = new Float32Array(HUGE).fill(0.25);
    values[HUGE - 3] = 0.75;
    expect(largest(values)).toBe(0.75);
    expect(largest([-3, -1, -2])).toBe(-1);
    expect(largest([])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('turns a million scores into probabilities that sum to 1', () => {
    const scores = Float32Array.from({ length: HUGE }, (_, i) => (i === 7 ? 50 : i % 13));
    const p = asProbabilities(scores);
    expect(p).toHaveLength(HUGE);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(largest(p)).toBe(p[7]);
  });

  it('keeps scores that already are probabilities', () => {
    const scores = Float32Array.from([0.1, 0.7, 0.2]);
    expect(asProbabilities(scores)).toBe(scores);
  });
});
