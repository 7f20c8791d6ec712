// What the server learns from a model's signature.json (written by the trainers) and from the
// InferenceService's spec.preprocessing: class labels and how to turn an image into the input.
import { UserError } from '../../lib/contract/errors.ts';
import type { Fit } from '../../lib/image/resample.ts';

export interface ImagePreprocessing {
  width: number;
  height: number;
  fit: Fit;
  channelOrder: 'RGB' | 'BGR';
  layout: 'NCHW' | 'NHWC';
  /** Each 0–255 pixel becomes (pixel · scale − mean[c]) / std[c]. */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface Signature {
  labels?: string[];
  preprocessing?: ImagePreprocessing;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(source: string, message: string): never {
  throw new UserError('ConfigInvalid', `${source}: ${message}`);
}

function oneOf<T extends string>(
  source: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) invalid(source, `${field} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function perChannel(
  source: string,
  field: string,
  value: unknown,
  fallback: number,
): [number, number, number] {
  if (value === undefined) return [fallback, fallback, fallback];
  if (
    !Array.isArray(value) ||
    value.length < 1 ||
    value.length > 3 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v))
  )
    invalid(source, `${field} must be a list of 1 to 3 numbers`);
  const v = value as number[];
  return [v[0] as number, (v[1] ?? v[0]) as number, (v[2] ?? v[0]) as number];
}

function size(source: string, value: unknown): { width: number; height: number } {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 4096;
  // The trainers write [height, width]; spec.preprocessing writes {width, height}.
  if (Array.isArray(value) && value.length === 2 && value.every(ok))
    return { height: value[0] as number, width: value[1] as number };
  if (isObject(value) && ok(value.width) && ok(value.height))
    return { width: value.width as number, height: value.height as number };
  return invalid(source, 'size must be {width, height} or [height, width], each 1 to 4096');
}

/**
 * Preprocessing as the trainers record it in signature.json: pixels in `range` (default [0, 1]),
 * any normalisation inside the graph unless mean/std are given.
 */
function fromSignature(source: string, p: Record<string, unknown>): ImagePreprocessing {
  let scale = 1 / 255;
  if (p.range !== undefined) {
    const r = p.range;
    if (!Array.isArray(r) || r.length !== 2 || r[0] !== 0 || typeof r[1] !== 'number' || !(r[1] > 0))
      invalid(source, 'range must be [0, max]');
    scale = (r[1] as number) / 255;
  }
  return {
    ...size(source, p.size),
    fit: oneOf(source, 'fit', p.fit, ['cover', 'contain', 'fill'], 'cover'),
    channelOrder: oneOf(source, 'channelOrder', p.channelOrder, ['RGB', 'BGR'], 'RGB'),
    layout: oneOf(source, 'layout', p.layout, ['NCHW', 'NHWC'], 'NCHW'),
    scale,
    mean: perChannel(source, 'mean', p.mean, 0),
    std: perChannel(source, 'std', p.std, 1),
  };
}

function checkStd(source: string, p: ImagePreprocessing): ImagePreprocessing {
  if (p.std.some((s) => !(s > 0))) invalid(source, 'std values must be greater than 0');
  return p;
}

function labelsOf(source: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((l) => typeof l === 'string'))
    invalid(source, 'labels must be a non-empty list of strings');
  return value as string[];
}

/** Parses signature.json (optional: models registered by hand may have none). */
export function parseSignature(text: string | undefined): Signature {
  if (text === undefined) return {};
  const source = 'signature.json';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    invalid(source, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) invalid(source, 'must be a JSON object');
  const signature: Signature = {};
  const labels = labelsOf(source, value.labels);
  if (labels) signature.labels = labels;
  if (value.preprocessing !== undefined) {
    if (!isObject(value.preprocessing)) invalid(source, 'preprocessing must be an object');
    signature.preprocessing = checkStd(source, fromSignature(source, value.preprocessing));
  }
  return signature;
}

/**
 * Applies BOSUN_PREPROCESSING (the InferenceService's spec.preprocessing as JSON), which replaces
 * the signature's preprocessing: pixels are scaled to [0, 1], then mean/std are applied.
 */
export function withOverrides(signature: Signature, json: string | undefined): Signature {
  if (json === undefined || json.trim() === '') return signature;
  const source = 'BOSUN_PREPROCESSING';
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    invalid(source, `not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) invalid(source, 'must be a JSON object');
  const result: Signature = { ...signature };
  const labels = labelsOf(source, value.labels);
  if (labels) result.labels = labels;
  if (value.size !== undefined || signature.preprocessing === undefined)
    result.preprocessing = checkStd(source, { ...fromSignature(source, value), scale: 1 / 255 });
  return result;
}
