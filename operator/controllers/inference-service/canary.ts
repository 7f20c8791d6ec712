// The canary's share by replica ratio: both Deployments sit behind one Service, which spreads
// connections evenly over the ready Pods, so the canary's share is its share of the replicas (the
// "basic canary" of Argo Rollouts, without a traffic manager). The counts are chosen so that the
// achieved share is as close as possible to the configured percent; status reports the achieved one.

export interface ReplicaSplit {
  primary: number;
  canary: number;
  /** The canary's share of the replicas, in percent (rounded, 1–99 as status allows). */
  percent: number;
}

function share(canary: number, total: number, fallback: number): number {
  if (total === 0) return fallback;
  return Math.min(99, Math.max(1, Math.round((100 * canary) / total)));
}

/**
 * Splits `total` replicas (spec.replicas) between primary and canary. Each side gets at least one
 * while anything runs, so 1 replica becomes 1 + 1 (the canary exists, at 50%); 0 stops both. Of
 * equally close splits the one with the smaller canary wins: 50% of 3 is 2 + 1.
 */
export function splitReplicas(total: number, percent: number): ReplicaSplit {
  if (total <= 0) return { primary: 0, canary: 0, percent };
  if (total === 1) return { primary: 1, canary: 1, percent: 50 };
  // |c/total − p/100| scaled by 100·total: integers, so ties are exact and the smaller canary wins.
  const error = (c: number) => Math.abs(100 * c - percent * total);
  let best = 1;
  for (let c = 2; c < total; c++) if (error(c) < error(best)) best = c;
  return { primary: total - best, canary: best, percent: share(best, total, percent) };
}

/**
 * The canary replicas beside a primary whose count someone else sets (the autoscaler): the count
 * whose share of the sum is closest to `percent`, at least 1 while the primary runs.
 */
export function canaryBeside(primary: number, percent: number): ReplicaSplit {
  if (primary <= 0) return { primary: 0, canary: 0, percent };
  // c / (primary + c) = p  ⇔  c = primary · p / (1 − p); the best integer is next to it.
  const exact = (primary * percent) / (100 - percent);
  const candidates = [Math.floor(exact), Math.ceil(exact)].map((c) => Math.max(1, c));
  // The share's distance from the percent, in percentage points.
  const error = (c: number) => Math.abs(100 * c - percent * (primary + c)) / (primary + c);
  const best = candidates.reduce((a, b) => (error(b) < error(a) ? b : a));
  return { primary, canary: best, percent: share(best, primary + best, percent) };
}
