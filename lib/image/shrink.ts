// Averages k × k blocks of RGBX pixels: the cheap first step of a large reduction (as libvips
// shrinks before it resamples), so the exact resampler then works on a few times its output size.
// Each pixel is read once as a 32-bit word; red and blue are summed together in the 16-bit lanes
// of one accumulator (k ≤ 15 keeps a lane under 65536), green in another.

export const MAX_SHRINK = 15;

export interface Rgbx {
  /** width × height × 4 bytes: R, G, B, unused. */
  pixels: Uint8Array;
  width: number;
  height: number;
}

function words(pixels: Uint8Array): Uint32Array {
  // Uint32Array needs a 4-byte aligned offset; a decoder's buffer almost always has one.
  const aligned = pixels.byteOffset % 4 === 0 ? pixels : pixels.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}

/** Blocks that do not fit whole are left out evenly on both sides (at most k − 1 pixels). */
export function shrinkRgbx(image: Rgbx, k: number): Rgbx {
  if (!Number.isInteger(k) || k < 2 || k > MAX_SHRINK) throw new Error(`shrink factor ${k} is not 2–15`);
  const { width, height } = image;
  const outWidth = Math.floor(width / k);
  const outHeight = Math.floor(height / k);
  const x0 = (width - outWidth * k) >> 1;
  const y0 = (height - outHeight * k) >> 1;
  const src = words(image.pixels);
  const out = new Uint32Array(outWidth * outHeight);
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
  return { pixels: new Uint8Array(out.buffer), width: outWidth, height: outHeight };
}
