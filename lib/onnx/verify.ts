// Loads an exported model with onnxruntime-node and checks that its outputs match the trainer's
// own predictions, so a model that would serve different answers is never uploaded.
import ort from 'onnxruntime-node';
export interface FeedValue {
  dims: number[];
  data: Float32Array | string[];
}

export class ModelMismatchError extends Error {
  override name = 'ModelMismatchError';
}

/** Runs the model on `feeds` and returns each requested output as a flat array. */
export async function runModel(
  model: Uint8Array,
  feeds: Record<string, FeedValue>,
  outputs: string[],
): Promise<Record<string, ArrayLike<number> | string[]>> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'basic' });
  try {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds))
      tensors[name] =
        feed.data instanceof Float32Array
          ? new ort.Tensor('float32', feed.data, feed.dims)
          : new ort.Tensor('string', feed.data, feed.dims);
    const result = await session.run(tensors, outputs);
    const out: Record<string, ArrayLike<number> | string[]> = {};
    for (const name of outputs) {
      const t = result[name];
      if (!t) throw new ModelMismatchError(`the model has no output '${name}'`);
      out[name] = t.data as ArrayLike<number> | string[];
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * Checks the model's numeric outputs against `expected` and returns the largest difference seen.
 * The difference must be ≤ tolerance; with `relative` (regression targets in their own units,
 * which float32 outputs carry to ~7 digits) ≤ tolerance · max(1, |expected|).
 */
export async function verifyModel(
  model: Uint8Array,
  feeds: Record<string, FeedValue>,
  expected: Record<string, ArrayLike<number>>,
  tolerance = 1e-5,
  relative = false,
): Promise<number> {
  const got = await runModel(model, feeds, Object.keys(expected));
  let worst = 0;
  for (const [name, want] of Object.entries(expected)) {
    const have = got[name] as ArrayLike<number>;
    if (have.length !== want.length)
      throw new ModelMismatchError(`output '${name}' has ${have.length} values, expected ${want.length}`);
    for (let i = 0; i < want.length; i++) {
      const w = want[i] as number;
      const d = Math.abs(Number(have[i]) - w) / (relative ? Math.max(1, Math.abs(w)) : 1);
      // NaN never compares, so test the negation to catch it too.
      if (!(d <= tolerance))
        throw new ModelMismatchError(
          `output '${name}'[${i}] is ${have[i]} in onnxruntime but ${want[i]} in the trainer (tolerance ${tolerance})`,
        );
      if (d > worst) worst = d;
    }
  }
  return worst;
}
