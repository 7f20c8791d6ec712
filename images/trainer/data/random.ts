// Seeded randomness, so a run's split and initialisation are the same every time.

/** mulberry32: small, fast, and good enough for shuffles and initial weights. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box-Muller). */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

export function shuffle<T extends { length: number; [i: number]: number }>(
  values: T,
  random: () => number,
): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = values[i] as number;
    values[i] = values[j] as number;
    values[j] = t;
  }
  return values;
}

export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * A seeded split of `n` rows; with `strata` (class indices) each class is split in proportion, so a
 * rare class is never missing from either side when it has at least two rows.
 */
export function splitRows(n: number, fraction: number, seed: number, strata?: ArrayLike<number>): Split {
  const random = rng(seed);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = strata ? (strata[i] as number) : 0;
    let list = groups.get(g);
    if (!list) {
      list = [];
      groups.set(g, list);
    }
    list.push(i);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = shuffle(Uint32Array.from(groups.get(key) as number[]), random);
    let v = Math.round(rows.length * fraction);
    if (rows.length >= 2) v = Math.min(Math.max(v, 1), rows.length - 1);
    for (let i = 0; i < rows.length; i++) (i < v ? validation : train).push(rows[i] as number);
  }
  return {
    train: Uint32Array.from(train).sort(),
    validation: Uint32Array.from(validation).sort(),
  };
}
