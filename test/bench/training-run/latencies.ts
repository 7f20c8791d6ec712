// The figures the TrainingRun benchmark reports for one interval over many runs: how many were
// measured, the median, the 95th percentile and the worst (nearest-rank percentiles, so every
// figure is one a run actually took), and the verdict against a target.

export interface Latencies {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

/** Nearest rank: the smallest value with at least p % of the values at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function latencies(values: readonly number[]): Latencies {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.length === 0 ? Number.NaN : (sorted.at(-1) as number),
  };
}

/**
 * Met when every run was measured (`expected` of them, none missing or failed) and the worst is
 * within the target: a run that never got there counts against it, not out of it.
 */
export function meetsTarget(figures: Latencies, expected: number, targetSeconds: number): boolean {
  return figures.n === expected && figures.max <= targetSeconds;
}
