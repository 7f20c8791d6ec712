// Turns a served prediction into prediction log rows: one per row of the batch dimension for
// tensor requests (each table row is its own item for a Dataset), one per image for the image route.
// What a row keeps is capped, so a model with large outputs cannot fill the log's queue or table:
// a tensor too large to keep is logged as its datatype and shape only.
import { randomUUID } from 'node:crypto';
import { float16Values, type HostTensor, toJsonValues } from './datatypes.ts';
import type { Prediction } from './image-classifier.ts';
import type { PredictionRow } from './prediction-table.ts';
import { largest } from './probabilities.ts';

/** Inputs with at most this many values per row are kept inline in the `input` column. */
const MAX_INLINE_VALUES = 256;
/** An output with more values per row is not converted at all (its JSON would be over the cap). */
const MAX_LOGGED_VALUES = 4096;
/** Most JSON text kept of one input or output of a row; a larger one is logged as omitted. */
export const MAX_LOGGED_TENSOR_BYTES = 32 * 1024;
/** Most JSON text kept of a row's outputs together; the outputs past it are logged as omitted. */
export const MAX_LOGGED_ROW_BYTES = 64 * 1024;

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

/** What a row logs of a tensor it does not keep. */
const omitted = (t: HostTensor, shape: number[]) =>
  JSON.stringify({ omitted: true, datatype: t.datatype, shape });

/**
 * A JSON object of name → value text, each value at most `maxEach` bytes and all of them at most
 * `maxAll`; a value over either is replaced by `fallback(name)`, or the whole object is undefined
 * without a fallback.
 */
function cappedObject(
  values: [string, string][],
  maxEach: number,
  maxAll: number,
  fallback?: (name: string) => string,
): string | undefined {
  let total = 0;
  const parts: string[] = [];
  for (const [name, json] of values) {
    const size = Buffer.byteLength(json);
    let kept = json;
    if (size > maxEach || total + size > maxAll) {
      if (!fallback) return undefined;
      kept = fallback(name);
    } else total += size;
    parts.push(`${JSON.stringify(name)}:${kept}`);
  }
  return `{${parts.join(',')}}`;
}

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
  const perRow = (t: HostTensor) => (batchable ? (n === 0 ? 0 : t.data.length / n) : t.data.length);
  const rowShape = (t: HostTensor) => (batchable ? t.shape.slice(1) : t.shape);
  const slice = (t: HostTensor, i: number) =>
    batchable ? single(rowValues(t, i, n)) : toJsonValues(t.datatype, t.data);
  const inline = Object.values(feeds).every((t) => perRow(t) <= MAX_INLINE_VALUES);
  const probabilities = outputs.probabilities;
  const label = outputs.label ?? outputs.prediction;
  for (let i = 0; i < n; i++) {
    // An input too large to keep (long strings) drops the whole input, as a large tensor does.
    const inputJson = inline
      ? (cappedObject(
          Object.entries(feeds).map(([k, t]): [string, string] => [k, JSON.stringify(slice(t, i))]),
          MAX_LOGGED_TENSOR_BYTES,
          MAX_LOGGED_ROW_BYTES,
        ) ?? null)
      : null;
    const outputJson = cappedObject(
      Object.entries(outputs).map(([k, t]): [string, string] => [
        k,
        perRow(t) <= MAX_LOGGED_VALUES ? JSON.stringify(slice(t, i)) : omitted(t, rowShape(t)),
      ]),
      MAX_LOGGED_TENSOR_BYTES,
      MAX_LOGGED_ROW_BYTES,
      (name) => omitted(outputs[name] as HostTensor, rowShape(outputs[name] as HostTensor)),
    ) as string;
    const labelValue = label && perRow(label) === 1 ? slice(label, i) : undefined;
    rows.push({
      ...context,
      id: n === 1 ? predictionId : `${predictionId}-${i}`,
      createdAt,
      objectKey: null,
      inputJson,
      outputJson,
      predictedLabel: labelValue === undefined || Array.isArray(labelValue) ? null : String(labelValue),
      confidence: probabilities ? confidenceOf(probabilities, i, batchable ? n : 1) : null,
    });
  }
  return { predictionId, rows };
}

/** The top probability of row `i`, read from the tensor itself; null unless it holds a distribution. */
function confidenceOf(t: HostTensor, i: number, rows: number): number | null {
  const per = rows === 0 ? 0 : t.data.length / rows;
  if (per < 2) return null;
  if (t.datatype === 'FP16')
    return largest(float16Values((t.data as Uint16Array).subarray(i * per, (i + 1) * per)));
  if (t.data instanceof Float32Array || t.data instanceof Float64Array)
    return largest(t.data.subarray(i * per, (i + 1) * per));
  return null;
}

export function classificationRow(context: Context, predictions: Prediction[]): PredictionRow {
  const top = predictions[0];
  const all = JSON.stringify(predictions);
  // Top-k of a model with many long labels could be large: keep the most probable that fit.
  let kept = predictions;
  if (Buffer.byteLength(all) > MAX_LOGGED_TENSOR_BYTES) {
    let size = 2;
    const fit = predictions.findIndex((p) => {
      size += Buffer.byteLength(JSON.stringify(p)) + 1;
      return size > MAX_LOGGED_TENSOR_BYTES;
    });
    kept = predictions.slice(0, Math.max(fit, 0));
  }
  return {
    ...context,
    id: randomUUID(),
    createdAt: new Date(),
    objectKey: null,
    inputJson: null,
    outputJson: JSON.stringify({ predictions: kept }),
    predictedLabel: top?.label ?? null,
    confidence: top?.probability ?? null,
  };
}
