// Averages k × k blocks of RGBX pixels: the cheap first step of a large reduction (as libvips
// shrinks before it resamples), so the exact resampler then works on a few times its output size.
// Each pixel is read once as a 32-bit word; red and blue are summed together in the 16-bit lanes
// of one accumulator (k ≤ 15 keeps a lane under 65536), green in another.

import { Scratch } from './scratch.ts';

export const MAX_SHRINK = 15;

const output = new Scratch();

export interface Rgbx {
  /** width × height × 4 bytes: R, G, B, unused. */
  pixels: Uint8Array;
  width: number;
  height: number;
}

function words(pixels: Uint8Array): Int32Array {
  // A 32-bit view needs a 4-byte aligned offset; a decoder's buffer almost always has one.
  const aligned = pixels.byteOffset % 4 === 0 ? pixels : pixels.slice();
  // Signed words stay small integers in V8 whatever the pad byte holds (unsigned ones above 2^31
  // become doubles), and the masks below read them the same.
  return new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Averages the blocks of `region` (default: the whole image). Blocks that do not fit whole are
 * left out evenly on both sides (at most k − 1 pixels). The result's pixels are working memory:
 * valid until the next call.
 */
export function shrinkRgbx(image: Rgbx, k: number, region?: Region): Rgbx {
  if (!Number.isInteger(k) || k < 2 || k > MAX_SHRINK) throw new Error(`shrink factor ${k} is not 2–15`);
  const { width } = image;
  const area = region ?? { x: 0, y: 0, width: image.width, height: image.height };
  const outWidth = Math.floor(area.width / k);
  const outHeight = Math.floor(area.height / k);
  const x0 = area.x + ((area.width - outWidth * k) >> 1);
  const y0 = area.y + ((area.height - outHeight * k) >> 1);
  const src = words(image.pixels);
  const out = output.int32(outWidth * outHeight);
  const n = k * k;
  const half = n >> 1;
  for (let by = 0; by < outHeight; by++) {
    const top = (y0 + by * k) * width + x0;
    for (let bx = 0; bx < outWidth; bx++) {
      let rb = 0;
      let g = 0;
      let row = top + bx * k;
      for (let dy = 0; dy < k; dy++, row += width)
        for (let i = row, end = row + k; i < end; i++) {
          const v = src[i] as number;
          rb += v & 0xff00ff;
          g += (v >>> 8) & 0xff;
        }
      const r = (((rb & 0xffff) + half) / n) | 0;
      const b = (((rb >>> 16) + half) / n) | 0;
      out[by * outWidth + bx] = r | ((((g + half) / n) | 0) << 8) | (b << 16);
    }
  }
  return {
    pixels: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
    width: outWidth,
    height: outHeight,
  };
}
