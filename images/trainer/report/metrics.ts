// Validation metrics, flat name → number as the workload contract asks for metrics.json.

export interface ClassificationReport {
  metrics: Record<string, number>;
  /** confusion[actual][predicted] */
  confusion: number[][];
}

export function classificationMetrics(
  y: Int32Array,
  probabilities: ArrayLike<number>,
  labels: string[],
): ClassificationReport {
  const k = labels.length;
  const n = y.length;
  const confusion = labels.map(() => new Array<number>(k).fill(0));
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++)
      if ((probabilities[i * k + c] as number) > (probabilities[i * k + best] as number)) best = c;
    const actual = y[i] as number;
    const row = confusion[actual] as number[];
    row[best] = (row[best] as number) + 1;
    logLoss -= Math.log(Math.min(Math.max(probabilities[i * k + actual] as number, 1e-15), 1 - 1e-15));
  }
  let correct = 0;
  let f1Sum = 0;
  const metrics: Record<string, number> = {};
  const perClass: Record<string, number> = {};
  for (let c = 0; c < k; c++) {
    const row = confusion[c] as number[];
    const tp = row[c] as number;
    correct += tp;
    const actual = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[c] as number), 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = actual === 0 ? 0 : tp / actual;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[`precision.${labels[c]}`] = precision;
    perClass[`recall.${labels[c]}`] = recall;
  }
  metrics.accuracy = n === 0 ? 0 : correct / n;
  metrics.macro_f1 = k === 0 ? 0 : f1Sum / k;
  metrics.log_loss = n === 0 ? 0 : logLoss / n;
  metrics.validation_items = n;
  return { metrics: { ...metrics, ...perClass }, confusion };
}

export function regressionMetrics(y: Float64Array, prediction: ArrayLike<number>): Record<string, number> {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] as number;
  mean /= n || 1;
  let se = 0;
  let ae = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = (y[i] as number) - (prediction[i] as number);
    se += e * e;
    ae += Math.abs(e);
    total += ((y[i] as number) - mean) ** 2;
  }
  return {
    rmse: Math.sqrt(se / (n || 1)),
    mae: ae / (n || 1),
    r2: total === 0 ? 0 : 1 - se / total,
    validation_items: n,
  };
}
