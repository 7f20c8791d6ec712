// A small convolutional network for image classification, trained on the CPU with Adam:
// Conv3×3(F)-ReLU-MaxPool2 → Conv3×3(2F)-ReLU-MaxPool2 → Linear(K) → Softmax.
import { gaussian, rng, shuffle } from '../data/random.ts';
import { col2im, im2col, matmulBias, matmulTransA, matmulTransBAdd, maxPool } from './conv-ops.ts';

export interface CnnShape {
  channels: number;
  size: number;
  filters: number;
  classes: number;
}

export interface CnnLayout {
  w1: number;
  b1: number;
  w2: number;
  b2: number;
  w3: number;
  b3: number;
  total: number;
  hidden: number;
}

export interface CnnModel {
  shape: CnnShape;
  layout: CnnLayout;
  params: Float32Array;
}

export interface CnnOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number, itemsPerSecond: number) => { validationLoss?: number } | undefined;
}

export function cnnLayout(shape: CnnShape): CnnLayout {
  const { channels: c, size: s, filters: f, classes: k } = shape;
  const f2 = 2 * f;
  const hidden = f2 * (s / 4) * (s / 4);
  const w1 = 0;
  const b1 = w1 + f * c * 9;
  const w2 = b1 + f;
  const b2 = w2 + f2 * f * 9;
  const w3 = b2 + f2;
  const b3 = w3 + k * hidden;
  return { w1, b1, w2, b2, w3, b3, total: b3 + k, hidden };
}

export function initCnn(shape: CnnShape, seed: number): CnnModel {
  if (shape.size % 4 !== 0) throw new Error(`image size ${shape.size} is not a multiple of 4`);
  const layout = cnnLayout(shape);
  const params = new Float32Array(layout.total);
  const normal = gaussian(rng(seed));
  // He initialisation for the ReLU layers, Glorot-like for the classifier.
  const fill = (from: number, to: number, fanIn: number) => {
    const scale = Math.sqrt(2 / fanIn);
    for (let i = from; i < to; i++) params[i] = normal() * scale;
  };
  fill(layout.w1, layout.b1, shape.channels * 9);
  fill(layout.w2, layout.b2, shape.filters * 9);
  fill(layout.w3, layout.b3, layout.hidden / 2);
  return { shape, layout, params };
}

/** Per-sample work buffers, allocated once. */
class Workspace {
  readonly cols1: Float32Array;
  readonly a1: Float32Array;
  readonly p1: Float32Array;
  readonly i1: Int32Array;
  readonly cols2: Float32Array;
  readonly a2: Float32Array;
  readonly p2: Float32Array;
  readonly i2: Int32Array;
  readonly z: Float32Array;
  readonly dp2: Float32Array;
  readonly da2: Float32Array;
  readonly dcols2: Float32Array;
  readonly dp1: Float32Array;
  readonly da1: Float32Array;

  constructor(shape: CnnShape) {
    const { channels: c, size: s, filters: f, classes: k } = shape;
    const s2 = s / 2;
    const s4 = s / 4;
    this.cols1 = new Float32Array(c * 9 * s * s);
    this.a1 = new Float32Array(f * s * s);
    this.p1 = new Float32Array(f * s2 * s2);
    this.i1 = new Int32Array(f * s2 * s2);
    this.cols2 = new Float32Array(f * 9 * s2 * s2);
    this.a2 = new Float32Array(2 * f * s2 * s2);
    this.p2 = new Float32Array(2 * f * s4 * s4);
    this.i2 = new Int32Array(2 * f * s4 * s4);
    this.z = new Float32Array(k);
    this.dp2 = new Float32Array(this.p2.length);
    this.da2 = new Float32Array(this.a2.length);
    this.dcols2 = new Float32Array(this.cols2.length);
    this.dp1 = new Float32Array(this.p1.length);
    this.da1 = new Float32Array(this.a1.length);
  }
}

function relu(a: Float32Array): void {
  for (let i = 0; i < a.length; i++) if ((a[i] as number) < 0) a[i] = 0;
}

/** Forward pass of one image [c × s × s]; leaves activations in `ws` and scores in ws.z. */
function forward(model: CnnModel, x: Float32Array, xOffset: number, ws: Workspace): void {
  const { shape, layout, params } = model;
  const { channels: c, size: s, filters: f, classes: k } = shape;
  const s2 = s / 2;
  im2col(x.subarray(xOffset, xOffset + c * s * s), c, s, s, ws.cols1);
  matmulBias(params, ws.cols1, params, layout.b1, ws.a1, f, c * 9, s * s, layout.w1);
  relu(ws.a1);
  maxPool(ws.a1, f, s, s, ws.p1, ws.i1);
  im2col(ws.p1, f, s2, s2, ws.cols2);
  matmulBias(params, ws.cols2, params, layout.b2, ws.a2, 2 * f, f * 9, s2 * s2, layout.w2);
  relu(ws.a2);
  maxPool(ws.a2, 2 * f, s2, s2, ws.p2, ws.i2);
  const h = layout.hidden;
  for (let j = 0; j < k; j++) {
    let sum = params[layout.b3 + j] as number;
    const row = layout.w3 + j * h;
    for (let i = 0; i < h; i++) sum += (params[row + i] as number) * (ws.p2[i] as number);
    ws.z[j] = sum;
  }
}

/** Softmax probabilities [n × k] for images [n × c × s × s]. */
export function cnnPredict(model: CnnModel, x: Float32Array, n: number): Float64Array {
  const { channels: c, size: s, classes: k } = model.shape;
  const ws = new Workspace(model.shape);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    forward(model, x, i * c * s * s, ws);
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, ws.z[j] as number);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j] = Math.exp((ws.z[j] as number) - max);
    for (let j = 0; j < k; j++) out[i * k + j] = (out[i * k + j] as number) / sum;
  }
  return out;
}

/** Adds one image's gradient to `grad` and returns its loss. */
function backward(
  model: CnnModel,
  x: Float32Array,
  xOffset: number,
  label: number,
  ws: Workspace,
  grad: Float32Array,
): number {
  forward(model, x, xOffset, ws);
  const { shape, layout, params } = model;
  const { channels: c, size: s, filters: f, classes: k } = shape;
  const s2 = s / 2;
  const h = layout.hidden;
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, ws.z[j] as number);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp((ws.z[j] as number) - max);
  const loss = Math.log(sum) + max - (ws.z[label] as number);
  ws.dp2.fill(0);
  for (let j = 0; j < k; j++) {
    const dz = Math.exp((ws.z[j] as number) - max) / sum - (j === label ? 1 : 0);
    grad[layout.b3 + j] = (grad[layout.b3 + j] as number) + dz;
    const row = layout.w3 + j * h;
    for (let i = 0; i < h; i++) {
      grad[row + i] = (grad[row + i] as number) + dz * (ws.p2[i] as number);
      ws.dp2[i] = (ws.dp2[i] as number) + dz * (params[row + i] as number);
    }
  }
  // Through pool 2 and ReLU 2 (a pooled winner that was clipped to 0 has no gradient).
  ws.da2.fill(0);
  for (let i = 0; i < ws.i2.length; i++) {
    const at = ws.i2[i] as number;
    if ((ws.a2[at] as number) > 0) ws.da2[at] = ws.dp2[i] as number;
  }
  const n2 = s2 * s2;
  for (let o = 0; o < 2 * f; o++) {
    let b = 0;
    for (let j = 0; j < n2; j++) b += ws.da2[o * n2 + j] as number;
    grad[layout.b2 + o] = (grad[layout.b2 + o] as number) + b;
  }
  matmulTransBAdd(ws.da2, ws.cols2, grad, layout.w2, 2 * f, n2, f * 9);
  matmulTransA(params, layout.w2, ws.da2, ws.dcols2, 2 * f, f * 9, n2);
  col2im(ws.dcols2, f, s2, s2, ws.dp1);
  ws.da1.fill(0);
  for (let i = 0; i < ws.i1.length; i++) {
    const at = ws.i1[i] as number;
    if ((ws.a1[at] as number) > 0) ws.da1[at] = ws.dp1[i] as number;
  }
  const n1 = s * s;
  for (let o = 0; o < f; o++) {
    let b = 0;
    for (let j = 0; j < n1; j++) b += ws.da1[o * n1 + j] as number;
    grad[layout.b1 + o] = (grad[layout.b1 + o] as number) + b;
  }
  matmulTransBAdd(ws.da1, ws.cols1, grad, layout.w1, f, n1, c * 9);
  return loss;
}

/** Mini-batch training with AdamW and a cosine learning-rate decay. */
export function trainCnn(model: CnnModel, x: Float32Array, y: Int32Array, options: CnnOptions): number[] {
  const { channels: c, size: s } = model.shape;
  const n = y.length;
  const ws = new Workspace(model.shape);
  const grad = new Float32Array(model.layout.total);
  const m1 = new Float32Array(model.layout.total);
  const m2 = new Float32Array(model.layout.total);
  const random = rng(options.seed);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  const totalSteps = options.epochs * Math.ceil(n / options.batchSize);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    shuffle(order, random);
    let lossSum = 0;
    for (let start = 0; start < n; start += options.batchSize) {
      const end = Math.min(n, start + options.batchSize);
      grad.fill(0);
      for (let b = start; b < end; b++) {
        const i = order[b] as number;
        lossSum += backward(model, x, i * c * s * s, y[i] as number, ws, grad);
      }
      step++;
      const lr = options.learningRate * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
      const scale = 1 / (end - start);
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      const p = model.params;
      for (let j = 0; j < p.length; j++) {
        const g = (grad[j] as number) * scale;
        const a = beta1 * (m1[j] as number) + (1 - beta1) * g;
        const v = beta2 * (m2[j] as number) + (1 - beta2) * g * g;
        m1[j] = a;
        m2[j] = v;
        p[j] =
          (p[j] as number) -
          lr * (a / c1 / (Math.sqrt(v / c2) + 1e-8) + options.weightDecay * (p[j] as number));
      }
    }
    const loss = lossSum / n;
    losses.push(loss);
    options.onEpoch?.(epoch, loss, n / ((performance.now() - started) / 1000));
  }
  return losses;
}

/** Mean loss and gradient over all images at the current parameters (for checks and diagnostics). */
export function cnnGradient(
  model: CnnModel,
  x: Float32Array,
  y: Int32Array,
): { loss: number; grad: Float64Array } {
  const { channels: c, size: s } = model.shape;
  const ws = new Workspace(model.shape);
  const grad = new Float32Array(model.layout.total);
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += backward(model, x, i * c * s * s, y[i] as number, ws, grad);
  return { loss: loss / y.length, grad: Float64Array.from(grad, (g) => g / y.length) };
}
