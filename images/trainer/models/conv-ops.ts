// The CNN's building blocks on Float32Arrays: im2col/col2im for 3×3 same-padded convolutions,
// three GEMM shapes with contiguous inner loops, and 2×2 max pooling.

/** cols [c·9 × h·w] from x [c × h × w], zero padding 1; row order (channel, ky, kx) as ONNX weights. */
export function im2col(x: Float32Array, c: number, h: number, w: number, cols: Float32Array): void {
  const hw = h * w;
  for (let ch = 0; ch < c; ch++)
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        const row = ((ch * 3 + ky) * 3 + kx) * hw;
        for (let y = 0; y < h; y++) {
          const sy = y + ky - 1;
          const out = row + y * w;
          if (sy < 0 || sy >= h) {
            cols.fill(0, out, out + w);
            continue;
          }
          const src = ch * hw + sy * w;
          for (let xx = 0; xx < w; xx++) {
            const sx = xx + kx - 1;
            cols[out + xx] = sx < 0 || sx >= w ? 0 : (x[src + sx] as number);
          }
        }
      }
}

/** Adds cols [c·9 × h·w] back into dx [c × h × w] (the transpose of im2col). */
export function col2im(cols: Float32Array, c: number, h: number, w: number, dx: Float32Array): void {
  dx.fill(0);
  const hw = h * w;
  for (let ch = 0; ch < c; ch++)
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++) {
        const row = ((ch * 3 + ky) * 3 + kx) * hw;
        for (let y = 0; y < h; y++) {
          const sy = y + ky - 1;
          if (sy < 0 || sy >= h) continue;
          const src = row + y * w;
          const dst = ch * hw + sy * w;
          for (let xx = 0; xx < w; xx++) {
            const sx = xx + kx - 1;
            if (sx >= 0 && sx < w) dx[dst + sx] = (dx[dst + sx] as number) + (cols[src + xx] as number);
          }
        }
      }
}

/** out [m × n] = a [m × k] · b [k × n] + bias[m] (per row). */
export function matmulBias(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array,
  biasOffset: number,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
  aOffset = 0,
): void {
  for (let i = 0; i < m; i++) {
    const o = i * n;
    out.fill(bias[biasOffset + i] as number, o, o + n);
    for (let p = 0; p < k; p++) {
      const av = a[aOffset + i * k + p] as number;
      if (av === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) out[o + j] = (out[o + j] as number) + av * (b[bo + j] as number);
    }
  }
}

/** grad [m × k] += a [m × n] · bᵀ where b is [k × n]. */
export function matmulTransBAdd(
  a: Float32Array,
  b: Float32Array,
  grad: Float32Array,
  gradOffset: number,
  m: number,
  n: number,
  k: number,
): void {
  for (let i = 0; i < m; i++) {
    const ao = i * n;
    for (let p = 0; p < k; p++) {
      const bo = p * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += (a[ao + j] as number) * (b[bo + j] as number);
      const at = gradOffset + i * k + p;
      grad[at] = (grad[at] as number) + s;
    }
  }
}

/** out [k × n] = aᵀ · b where a is [m × k] (at aOffset) and b is [m × n]. */
export function matmulTransA(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  out: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  out.fill(0, 0, k * n);
  for (let i = 0; i < m; i++) {
    const bo = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[aOffset + i * k + p] as number;
      if (av === 0) continue;
      const o = p * n;
      for (let j = 0; j < n; j++) out[o + j] = (out[o + j] as number) + av * (b[bo + j] as number);
    }
  }
}

/** 2×2 max pooling with stride 2; `argmax` remembers each winner for the backward pass. */
export function maxPool(
  x: Float32Array,
  c: number,
  h: number,
  w: number,
  out: Float32Array,
  argmax: Int32Array,
): void {
  const oh = h >> 1;
  const ow = w >> 1;
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        const base = ch * h * w + 2 * y * w + 2 * xx;
        let best = base;
        for (const at of [base + 1, base + w, base + w + 1])
          if ((x[at] as number) > (x[best] as number)) best = at;
        const o = (ch * oh + y) * ow + xx;
        out[o] = x[best] as number;
        argmax[o] = best;
      }
}
