// A model's scores as probabilities: softmax when they are not already, and the top probability
// (the logged confidence). Loops, not Math.max(...values): spreading a large output into call
// arguments overflows the stack (beyond about 125 000 values on Node 24).

/** The largest value; -Infinity for none. */
export function largest(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) if ((values[i] as number) > max) max = values[i] as number;
  return max;
}

/** Scores that are not already probabilities (non-negative, summing to 1) go through softmax. */
export function asProbabilities(scores: Float32Array): Float32Array {
  const sum = scores.reduce((a, b) => a + b, 0);
  if (scores.every((s) => s >= 0 && s <= 1) && Math.abs(sum - 1) < 1e-3) return scores;
  const max = largest(scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
