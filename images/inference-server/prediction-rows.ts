// Turns a served prediction into prediction log rows: one per row of the batch dimension for
// tensor requests (each table row is its own item for a Dataset), one per image for the image route.
import { randomUUID } from 'node:crypto';
import { type HostTensor, toJsonValues } from './datatypes.ts';
import type { Prediction } from './image-classifier.ts';
import type { PredictionRow } from './prediction-table.ts';

/** Inputs with at most this many values per row are kept inline in the `input` column. */
const MAX_INLINE_VALUES = 256;

interface Context {
  model: string;
  modelVersion: string;
  requestId: string;
}

/** Row `i` of a tensor whose first dimension has `rows` entries, as JSON values. */
function rowValues(t: HostTensor, i: number, rows: number): unknown[] {
  const per = rows === 0 ? 0 : t.data.length / rows;
  return toJsonValues(t.datatype, t.data.slice(i * per, (i + 1) * per) as HostTensor['data']);
}

const single = (values: unknown[]) => (values.length === 1 ? values[0] : values);

/**
 * Rows for an infer request. The first id is the request's prediction id; multi-row requests
 * number their rows `<id>-<i>`.
 */
export function inferRows(
  context: Context,
  feeds: Record<string, HostTensor>,
  outputs: Record<string, HostTensor>,
  batchable: boolean,
): { predictionId: string; rows: PredictionRow[] } {
  const predictionId = randomUUID();
  const first = Object.values(feeds)[0];
  const n = batchable && first ? (first.shape[0] as number) : 1;
  const createdAt = new Date();
  const rows: PredictionRow[] = [];
  for (let i = 0; i < n; i++) {
    const slice = (t: HostTensor) =>
      batchable ? single(rowValues(t, i, n)) : toJsonValues(t.datatype, t.data);
    const inline = Object.values(feeds).every((t) => t.data.length / n <= MAX_INLINE_VALUES);
    const input = inline ? Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, slice(t)])) : null;
    const output = Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, slice(t)]));
    const label = output.label ?? output.prediction;
    const probabilities = output.probabilities;
    rows.push({
      ...context,
      id: n === 1 ? predictionId : `${predictionId}-${i}`,
      createdAt,
      objectKey: null,
      input,
      output,
      predictedLabel: label === undefined || Array.isArray(label) ? null : String(label),
      confidence: Array.isArray(probabilities) ? Math.max(...(probabilities as number[])) : null,
    });
  }
  return { predictionId, rows };
}

export function classificationRow(context: Context, predictions: Prediction[]): PredictionRow {
  const top = predictions[0];
  return {
    ...context,
    id: randomUUID(),
    createdAt: new Date(),
    objectKey: null,
    input: null,
    output: { predictions },
    predictedLabel: top?.label ?? null,
    confidence: top?.probability ?? null,
  };
}
