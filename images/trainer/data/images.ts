// Decodes image items into RGB bytes (lib/image, as the inference server decodes uploads), and
// turns them into normalised float32 tensors [n × 3 × size × size] (CHW) for training.
import { UserError } from '../../../lib/contract/errors.ts';
import { decodeForModel, ImageDecodeError } from '../../../lib/image/decode.ts';
import type { Fit } from '../../../lib/image/resample.ts';

/** RGB bytes [size × size × 3] of one image, resized the way the server resizes it. */
export async function decodeImage(path: string, data: Buffer, size: number, fit: Fit): Promise<Buffer> {
  try {
    return await decodeForModel(data, { width: size, height: size, fit });
  } catch (e) {
    if (!(e instanceof ImageDecodeError)) throw e;
    throw new UserError(
      'DatasetInvalid',
      `item ${JSON.stringify(path)} is not a readable image: ${e.message}`,
    );
  }
}

export async function decodeImages(
  items: { path: string; data: Buffer }[],
  size: number,
  fit: Fit,
  concurrency = 4,
): Promise<Uint8Array> {
  const plane = size * size * 3;
  const out = new Uint8Array(items.length * plane);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as { path: string; data: Buffer };
      out.set(await decodeImage(item.path, item.data, size, fit), i * plane);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Per-channel mean and standard deviation (0–255 scale) over the given images. */
export function channelStats(
  rgb: Uint8Array,
  rows: Uint32Array,
  size: number,
): { mean: number[]; std: number[] } {
  const plane = size * size;
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  for (const r of rows)
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) {
        const v = rgb[(r * plane + p) * 3 + c] as number;
        sum[c] = (sum[c] as number) + v;
        sq[c] = (sq[c] as number) + v * v;
      }
  const count = Math.max(1, rows.length * plane);
  const mean = sum.map((s) => Math.fround(s / count));
  const std = sq.map((s, c) => {
    const variance = s / count - (mean[c] as number) ** 2;
    return variance > 1e-6 ? Math.fround(Math.sqrt(variance)) : 1;
  });
  return { mean, std };
}

/** Normalised CHW tensors for `rows`, computed as the graph's Sub and Div compute them in float32. */
export function toTensor(
  rgb: Uint8Array,
  rows: Uint32Array,
  size: number,
  mean: number[],
  std: number[],
): Float32Array {
  const plane = size * size;
  const out = new Float32Array(rows.length * 3 * plane);
  const f32 = Math.fround;
  rows.forEach((r, i) => {
    for (let c = 0; c < 3; c++) {
      const m = mean[c] as number;
      const s = std[c] as number;
      for (let p = 0; p < plane; p++)
        out[(i * 3 + c) * plane + p] = f32(f32((rgb[(r * plane + p) * 3 + c] as number) - m) / s);
    }
  });
  return out;
}
