// A nearest-centroid classifier with class priors: numeric features standardised (missing values
// take the column mean), one mean point per class, and each row scored per class as
//   z·c_k − ‖c_k‖²/2 + log(n_k/n)
// which is −‖z − c_k‖²/2 + log prior up to a per-row constant: the highest score is the nearest
// centroid, and a softmax of the scores is the posterior of unit-variance Gaussian classes.
import { UserError } from './errors.ts';
import { numeric, type Row } from './rows.ts';

export interface CentroidModel {
  target: string;
  features: string[];
  /** Sorted class names. */
  labels: string[];
  mean: number[];
  std: number[];
  /** Row-major [features × labels]: the centroids as columns. */
  weights: number[];
  /** [labels] */
  bias: number[];
}

/** Names the model's outputs use; a feature column of either name would be ambiguous. */
export const OUTPUT_NAMES = ['probabilities', 'label'];

function invalid(message: string): never {
  throw new UserError('DatasetInvalid', message);
}

/** Every column in the order first seen. */
export function columnsOf(rows: Row[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const name of row.keys()) columns.add(name);
  return [...columns];
}

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');

/** A column is numeric when it has values and every one of them is a number. */
function isNumeric(rows: Row[], column: string): boolean {
  let seen = false;
  for (const row of rows) {
    const value = row.get(column) ?? null;
    if (value === null) continue;
    if (numeric(value) === undefined) return false;
    seen = true;
  }
  return seen;
}

function chooseFeatures(rows: Row[], columns: string[], target: string, requested?: string[]): string[] {
  if (requested) {
    for (const name of requested) {
      if (!columns.includes(name))
        invalid(`hyperparameter features names unknown column "${name}"; the columns are ${quoted(columns)}`);
      if (name === target) invalid(`column "${name}" is the target; it cannot also be a feature`);
      if (!isNumeric(rows, name)) invalid(`feature column "${name}" is not numeric`);
    }
    return requested;
  }
  const features = columns.filter((c) => c !== target && isNumeric(rows, c));
  if (features.length === 0)
    invalid(`no numeric column besides the target "${target}"; the columns are ${quoted(columns)}`);
  return features;
}

/** Standardised features of a row; a missing value is the mean, so 0. */
function standardise(model: Pick<CentroidModel, 'features' | 'mean' | 'std'>, row: Row): number[] {
  return model.features.map((name, j) => {
    const x = numeric(row.get(name) ?? null);
    return x === undefined ? 0 : (x - (model.mean[j] as number)) / (model.std[j] as number);
  });
}

export function fitCentroids(rows: Row[], target: string, requestedFeatures?: string[]): CentroidModel {
  if (rows.length === 0) invalid('the dataset has no rows');
  const columns = columnsOf(rows);
  if (!columns.includes(target))
    invalid(`unknown target column "${target}"; the columns are ${quoted(columns)}`);
  const labelled = rows.filter((row) => (row.get(target) ?? null) !== null);
  if (labelled.length === 0) invalid(`no row has a value in the target column "${target}"`);
  const features = chooseFeatures(labelled, columns, target, requestedFeatures);
  for (const name of features)
    if (OUTPUT_NAMES.includes(name))
      invalid(
        `feature column "${name}" has the name of a model output; rename it or leave it out of features`,
      );
  const labels = [...new Set(labelled.map((row) => String(row.get(target))))].sort();
  if (labels.length < 2) invalid(`the target column "${target}" has only one class (${quoted(labels)})`);

  const d = features.length;
  const k = labels.length;
  const mean: number[] = [];
  const std: number[] = [];
  for (const name of features) {
    const values = labelled.flatMap((row) => numeric(row.get(name) ?? null) ?? []);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length;
    mean.push(m);
    // A constant column carries no information; dividing by 1 keeps it harmless.
    std.push(variance > 0 ? Math.sqrt(variance) : 1);
  }
  const sums = Array.from({ length: k }, () => new Array<number>(d).fill(0));
  const counts = new Array<number>(k).fill(0);
  for (const row of labelled) {
    const c = labels.indexOf(String(row.get(target)));
    counts[c] = (counts[c] as number) + 1;
    standardise({ features, mean, std }, row).forEach((z, j) => {
      (sums[c] as number[])[j] = ((sums[c] as number[])[j] as number) + z;
    });
  }
  const weights = new Array<number>(d * k).fill(0);
  const bias: number[] = [];
  for (let c = 0; c < k; c++) {
    const centroid = (sums[c] as number[]).map((s) => s / (counts[c] as number));
    centroid.forEach((v, j) => {
      weights[j * k + c] = v;
    });
    const norm = centroid.reduce((a, v) => a + v * v, 0);
    bias.push(-norm / 2 + Math.log((counts[c] as number) / labelled.length));
  }
  return { target, features, labels, mean, std, weights, bias };
}

/** The class the model gives a row (the graph computes the same in float32). */
export function predict(model: CentroidModel, row: Row): string {
  const z = standardise(model, row);
  const k = model.labels.length;
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < k; c++) {
    let score = model.bias[c] as number;
    z.forEach((v, j) => {
      score += v * (model.weights[j * k + c] as number);
    });
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return model.labels[best] as string;
}

/** Share of the labelled rows whose class the model gets right. */
export function accuracy(model: CentroidModel, rows: Row[]): { accuracy: number; rows: number } {
  const labelled = rows.filter((row) => (row.get(model.target) ?? null) !== null);
  const right = labelled.filter((row) => predict(model, row) === String(row.get(model.target))).length;
  return { accuracy: right / labelled.length, rows: labelled.length };
}
