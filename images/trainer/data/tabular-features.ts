// Feature preprocessing fitted on the training rows: median imputation with a missing-value
// indicator, standardisation, and one-hot encoding. Every constant is a float32 and every step is
// computed as onnxruntime computes it in float32, so the exported graph gives the same features.
import type { FeatureColumn } from './tabular-dataset.ts';

export interface NumericFeature {
  column: string;
  median: number;
  mean: number;
  std: number;
  /** Adds a 0/1 "was missing" feature; only for columns with missing training values. */
  missingIndicator: boolean;
}

export interface CategoricalFeature {
  column: string;
  /** Most frequent first; others (and missing values) encode as all zeros. */
  categories: string[];
}

export interface FeatureSpec {
  numeric: NumericFeature[];
  categorical: CategoricalFeature[];
  /** Names of the encoded features, in matrix column order. */
  names: string[];
}

const f32 = Math.fround;

export function fitFeatures(columns: FeatureColumn[], rows: Uint32Array, maxCategories: number): FeatureSpec {
  const numeric: NumericFeature[] = [];
  const categorical: CategoricalFeature[] = [];
  for (const column of columns) {
    if (column.kind === 'numeric') {
      const values = column.values as Float64Array;
      const present: number[] = [];
      for (const r of rows) {
        const v = f32(values[r] as number);
        if (!Number.isNaN(v)) present.push(v);
      }
      present.sort((a, b) => a - b);
      const median = present.length === 0 ? 0 : f32(present[Math.floor((present.length - 1) / 2)] as number);
      let sum = 0;
      for (const r of rows) {
        const v = f32(values[r] as number);
        sum += Number.isNaN(v) ? median : v;
      }
      const mean = rows.length ? sum / rows.length : 0;
      let sq = 0;
      for (const r of rows) {
        const v = f32(values[r] as number);
        const d = (Number.isNaN(v) ? median : v) - mean;
        sq += d * d;
      }
      const std = rows.length ? Math.sqrt(sq / rows.length) : 0;
      numeric.push({
        column: column.name,
        median,
        mean: f32(mean),
        // A constant column keeps a unit scale instead of dividing by zero.
        std: std > 1e-12 ? f32(std) : 1,
        missingIndicator: present.length < rows.length,
      });
    } else {
      const values = column.values as (string | null)[];
      const counts = new Map<string, number>();
      for (const r of rows) {
        const v = values[r];
        if (v !== null && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const categories = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, maxCategories)
        .map(([c]) => c);
      categorical.push({ column: column.name, categories });
    }
  }
  const names = [
    ...numeric.map((n) => n.column),
    ...numeric.filter((n) => n.missingIndicator).map((n) => `${n.column}:missing`),
    ...categorical.flatMap((c) => c.categories.map((v) => `${c.column}=${v}`)),
  ];
  return { numeric, categorical, names };
}

/** The encoded feature matrix for `rows`, row-major [rows.length × names.length]. */
export function transformFeatures(
  spec: FeatureSpec,
  columns: FeatureColumn[],
  rows: Uint32Array,
): Float32Array {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const width = spec.names.length;
  const out = new Float32Array(rows.length * width);
  let offset = 0;
  spec.numeric.forEach((feature, j) => {
    const values = (byName.get(feature.column) as FeatureColumn).values as Float64Array;
    for (let i = 0; i < rows.length; i++) {
      const raw = f32(values[rows[i] as number] as number);
      const v = Number.isNaN(raw) ? feature.median : raw;
      out[i * width + j] = f32(f32(v - feature.mean) / feature.std);
    }
  });
  offset = spec.numeric.length;
  for (const feature of spec.numeric) {
    if (!feature.missingIndicator) continue;
    const values = (byName.get(feature.column) as FeatureColumn).values as Float64Array;
    for (let i = 0; i < rows.length; i++)
      out[i * width + offset] = Number.isNaN(values[rows[i] as number] as number) ? 1 : 0;
    offset++;
  }
  for (const feature of spec.categorical) {
    const values = (byName.get(feature.column) as FeatureColumn).values as (string | null)[];
    const index = new Map(feature.categories.map((c, k) => [c, k]));
    for (let i = 0; i < rows.length; i++) {
      const k = index.get(values[rows[i] as number] ?? '');
      if (k !== undefined) out[i * width + offset + k] = 1;
    }
    offset += feature.categories.length;
  }
  return out;
}

/** The raw model inputs for `rows`, one per column, as a server would send them. */
export function rawInputs(
  spec: FeatureSpec,
  columns: FeatureColumn[],
  rows: Uint32Array,
): Record<string, { dims: number[]; data: Float32Array | string[] }> {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const feeds: Record<string, { dims: number[]; data: Float32Array | string[] }> = {};
  for (const f of spec.numeric) {
    const values = (byName.get(f.column) as FeatureColumn).values as Float64Array;
    feeds[f.column] = { dims: [rows.length, 1], data: Float32Array.from(rows, (r) => values[r] as number) };
  }
  for (const f of spec.categorical) {
    const values = (byName.get(f.column) as FeatureColumn).values as (string | null)[];
    feeds[f.column] = { dims: [rows.length, 1], data: Array.from(rows, (r) => values[r] ?? '') };
  }
  return feeds;
}
