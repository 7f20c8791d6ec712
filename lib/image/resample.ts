// Resizes interleaved RGB(X) pixels to a model's input size with a fit (cover: fill and crop the
// centre; contain: fit inside, black bars; fill: stretch). Separable: each output pixel of an axis
// is a weighted sum of source pixels. Shrinking averages the exact source area an output pixel
// covers (no aliasing whatever the factor); enlarging is bilinear. The trainer and the server
// both resize through here, so a model sees the same pixels in training and in serving.

import { Scratch } from './scratch.ts';

export type Fit = 'cover' | 'contain' | 'fill';

// The horizontal pass's output and the vertical pass's accumulator.
const between = new Scratch();
const row = new Scratch();

/** Which source pixels, with which weights, make each output pixel of one axis. */
interface AxisTaps {
  /** First source index of output i. */
  start: Int32Array;
  /** Number of source pixels of output i (0 outside a contain fit's picture). */
  count: Int32Array;
  /** Weights, `stride` per output pixel. */
  weights: Float32Array;
  stride: number;
}

/** Where the picture lies on one output axis and which part of the source it shows. */
interface AxisPlacement {
  /** Output pixels [offset, offset + length) show the picture; the rest stays black. */
  offset: number;
  length: number;
  /** Source interval [from, from + span) shown on those pixels. */
  from: number;
  span: number;
}

// Taps depend only on the sizes and the fit, which repeat from image to image of a service.
const tapsCache = new Map<string, AxisTaps>();
const TAPS_CACHE_SIZE = 64;

function taps(source: number, output: number, p: AxisPlacement): AxisTaps {
  const key = `${source} ${output} ${p.offset} ${p.length} ${p.from} ${p.span}`;
  let t = tapsCache.get(key);
  if (!t) {
    if (tapsCache.size >= TAPS_CACHE_SIZE) tapsCache.clear();
    t = computeTaps(source, output, p);
    tapsCache.set(key, t);
  }
  return t;
}

function computeTaps(source: number, output: number, p: AxisPlacement): AxisTaps {
  const ratio = p.span / p.length; // source pixels per output pixel
  const stride = ratio > 1 ? Math.ceil(ratio) + 1 : 2;
  const start = new Int32Array(output);
  const count = new Int32Array(output);
  const weights = new Float32Array(output * stride);
  for (let i = 0; i < p.length; i++) {
    const o = p.offset + i;
    if (ratio > 1) {
      const a = p.from + i * ratio;
      const b = Math.min(source, a + ratio);
      const first = Math.floor(a);
      let n = 0;
      for (let j = first; j < b && n < stride; j++, n++)
        weights[o * stride + n] = (Math.min(j + 1, b) - Math.max(j, a)) / ratio;
      start[o] = first;
      count[o] = n;
    } else {
      const centre = Math.min(source - 1, Math.max(0, p.from + (i + 0.5) * ratio - 0.5));
      const first = Math.min(source - 2, Math.floor(centre));
      if (first < 0) {
        start[o] = 0;
        count[o] = 1;
        weights[o * stride] = 1;
        continue;
      }
      const t = centre - first;
      start[o] = first;
      count[o] = 2;
      weights[o * stride] = 1 - t;
      weights[o * stride + 1] = t;
    }
  }
  return { start, count, weights, stride };
}

/** The placement of both axes for a fit; a contain fit centres the picture (floor of half the bar). */
function placements(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  fit: Fit,
): [AxisPlacement, AxisPlacement] {
  if (fit === 'fill')
    return [
      { offset: 0, length: outWidth, from: 0, span: width },
      { offset: 0, length: outHeight, from: 0, span: height },
    ];
  const scale =
    fit === 'cover'
      ? Math.max(outWidth / width, outHeight / height)
      : Math.min(outWidth / width, outHeight / height);
  const axis = (size: number, out: number): AxisPlacement => {
    if (fit === 'cover') {
      const span = Math.min(size, out / scale);
      return { offset: 0, length: out, from: (size - span) / 2, span };
    }
    const length = Math.min(out, Math.max(1, Math.round(size * scale)));
    return { offset: Math.floor((out - length) / 2), length, from: 0, span: size };
  };
  return [axis(width, outWidth), axis(height, outHeight)];
}

/**
 * `pixels` is width × height × `channels` bytes, R, G, B first (RGB or RGBX); the result is
 * outWidth × outHeight × 3 bytes of RGB.
 */
export function resizeToRgb(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4,
  outWidth: number,
  outHeight: number,
  fit: Fit,
): Buffer {
  const [px, py] = placements(width, height, outWidth, outHeight, fit);
  const h = taps(width, outWidth, px);
  const v = taps(height, outHeight, py);
  // The horizontal pass runs only over the source rows the vertical taps read.
  let firstRow = height;
  let lastRow = 0;
  for (let y = 0; y < outHeight; y++) {
    if ((v.count[y] as number) === 0) continue;
    firstRow = Math.min(firstRow, v.start[y] as number);
    lastRow = Math.max(lastRow, (v.start[y] as number) + (v.count[y] as number));
  }
  const rows = Math.max(0, lastRow - firstRow);
  const line = outWidth * 3;
  const tmp = between.float32(rows * line);
  const { start: hStart, count: hCount, weights: hWeights, stride: hStride } = h;
  for (let r = 0; r < rows; r++) {
    const srcRow = (firstRow + r) * width * channels;
    const dstRow = r * line;
    for (let x = 0; x < outWidth; x++) {
      const n = hCount[x] as number;
      let p = srcRow + (hStart[x] as number) * channels;
      let w = x * hStride;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      for (let k = 0; k < n; k++) {
        const weight = hWeights[w++] as number;
        c0 += (pixels[p] as number) * weight;
        c1 += (pixels[p + 1] as number) * weight;
        c2 += (pixels[p + 2] as number) * weight;
        p += channels;
      }
      const d = dstRow + x * 3;
      tmp[d] = c0;
      tmp[d + 1] = c1;
      tmp[d + 2] = c2;
    }
  }
  const out = Buffer.alloc(outHeight * line);
  const acc = row.float32(line);
  const { start: vStart, count: vCount, weights: vWeights, stride: vStride } = v;
  for (let y = 0; y < outHeight; y++) {
    const n = vCount[y] as number;
    if (n === 0) continue;
    // Row by row over contiguous memory: acc = Σ weight_k · tmp row (start + k).
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const weight = vWeights[y * vStride + k] as number;
      const from = ((vStart[y] as number) - firstRow + k) * line;
      for (let i = 0; i < line; i++) acc[i] = (acc[i] as number) + (tmp[from + i] as number) * weight;
    }
    const dst = y * line;
    for (let i = 0; i < line; i++) {
      const value = acc[i] as number;
      // Bytes with rounding; Uint8Array assignment would truncate.
      out[dst + i] = value <= 0 ? 0 : value >= 255 ? 255 : (value + 0.5) | 0;
    }
  }
  return out;
}
