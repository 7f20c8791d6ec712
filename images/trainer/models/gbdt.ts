// Histogram gradient-boosted trees (as LightGBM and scikit-learn's HistGradientBoosting): features
// binned to uint8 once, trees grown best-first from gradient/hessian histograms with the
// subtraction trick, optional early stopping on a seeded holdout.
import { splitRows } from '../data/random.ts';

export interface Tree {
  /** Per node: split feature, or -1 for a leaf. */
  feature: Int32Array;
  /** Per node: go left when x <= threshold (a float32 value). */
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Per node: the leaf's contribution (0 for splits). */
  value: Float64Array;
  /** Which score column the tree adds to. */
  target: number;
}

export interface GbdtModel {
  trees: Tree[];
  /** Initial score per column. */
  base: Float64Array;
  /** Score columns: 1 for regression and binary classification, else the class count. */
  k: number;
  d: number;
}

export type GbdtTarget =
  | { kind: 'classification'; y: Int32Array; classes: number }
  | { kind: 'regression'; y: Float64Array };

export interface GbdtOptions {
  learningRate: number;
  maxIterations: number;
  maxLeafNodes: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2Regularization: number;
  maxBins: number;
  earlyStopping: boolean | 'auto';
  nIterNoChange: number;
  earlyStoppingFraction: number;
  seed: number;
  onIteration?: (iteration: number, trainLoss: number, validationLoss: number | undefined) => void;
}

export interface GbdtHistory {
  trainLoss: number[];
  validationLoss: number[];
  bestIteration: number;
}

const SAMPLE_FOR_BINS = 200_000;

/** Bin thresholds of one feature: midpoints between distinct values, at most maxBins - 1 of them. */
export function featureThresholds(values: Float64Array, maxBins: number): Float64Array {
  const sorted = Float64Array.from(values).sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v)
      counts[counts.length - 1] = (counts[counts.length - 1] as number) + 1;
    else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) cuts.push(i);
  } else {
    // Equal-frequency cuts between distinct values.
    let cumulative = 0;
    let next = 1;
    for (let i = 0; i + 1 < distinct.length && next < maxBins; i++) {
      cumulative += counts[i] as number;
      if (cumulative >= (next * sorted.length) / maxBins) {
        cuts.push(i);
        while (next < maxBins && cumulative >= (next * sorted.length) / maxBins) next++;
      }
    }
  }
  const out: number[] = [];
  for (const i of cuts) {
    const t = Math.fround(((distinct[i] as number) + (distinct[i + 1] as number)) / 2);
    if (out.length === 0 || t > (out[out.length - 1] as number)) out.push(t);
  }
  return Float64Array.from(out);
}

/** The bin of v: how many thresholds lie strictly below it, so bin ≤ b ⇔ v ≤ threshold[b]. */
function binOf(thresholds: Float64Array, v: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= (thresholds[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function binRows(x: Float32Array, d: number, rows: Uint32Array, thresholds: Float64Array[]): Uint8Array {
  const out = new Uint8Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const base = (rows[i] as number) * d;
    for (let f = 0; f < d; f++) out[i * d + f] = binOf(thresholds[f] as Float64Array, x[base + f] as number);
  }
  return out;
}

interface Candidate {
  gain: number;
  feature: number;
  bin: number;
}

interface GrowNode {
  id: number;
  start: number;
  end: number;
  g: number;
  h: number;
  depth: number;
  hist: Float64Array;
  split: Candidate | null;
}

/** Grows trees over one binned training matrix; histograms are reused from a pool. */
class TreeGrower {
  readonly offsets: Int32Array;
  readonly nbins: Int32Array;
  readonly histSize: number;
  readonly pool: Float64Array[] = [];
  readonly index: Uint32Array;
  readonly bins: Uint8Array;
  readonly n: number;
  readonly d: number;
  readonly thresholds: Float64Array[];
  readonly options: GbdtOptions;

  constructor(bins: Uint8Array, n: number, d: number, thresholds: Float64Array[], options: GbdtOptions) {
    this.bins = bins;
    this.n = n;
    this.d = d;
    this.thresholds = thresholds;
    this.options = options;
    this.nbins = Int32Array.from(thresholds, (t) => t.length + 1);
    this.offsets = new Int32Array(d);
    let total = 0;
    for (let f = 0; f < d; f++) {
      this.offsets[f] = total;
      total += this.nbins[f] as number;
    }
    this.histSize = total * 3;
    this.index = new Uint32Array(n);
  }

  #hist(): Float64Array {
    const h = this.pool.pop();
    if (h) {
      h.fill(0);
      return h;
    }
    return new Float64Array(this.histSize);
  }

  #build(hist: Float64Array, start: number, end: number, grad: Float64Array, hess: Float64Array): void {
    const { bins, d, index, offsets } = this;
    for (let k = start; k < end; k++) {
      const i = index[k] as number;
      const gi = grad[i] as number;
      const hi = hess[i] as number;
      const base = i * d;
      for (let f = 0; f < d; f++) {
        const at = ((offsets[f] as number) + (bins[base + f] as number)) * 3;
        hist[at] = (hist[at] as number) + gi;
        hist[at + 1] = (hist[at + 1] as number) + hi;
        hist[at + 2] = (hist[at + 2] as number) + 1;
      }
    }
  }

  #bestSplit(node: GrowNode): Candidate | null {
    const { minSamplesLeaf, l2Regularization: lambda, maxDepth } = this.options;
    const count = node.end - node.start;
    if (count < 2 * minSamplesLeaf || (maxDepth > 0 && node.depth >= maxDepth)) return null;
    const parent = (node.g * node.g) / (node.h + lambda);
    let best: Candidate | null = null;
    const hist = node.hist;
    for (let f = 0; f < this.d; f++) {
      const off = (this.offsets[f] as number) * 3;
      const nb = this.nbins[f] as number;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        gl += hist[off + b * 3] as number;
        hl += hist[off + b * 3 + 1] as number;
        cl += hist[off + b * 3 + 2] as number;
        if (cl < minSamplesLeaf) continue;
        if (count - cl < minSamplesLeaf) break;
        const hr = node.h - hl;
        if (hl < 1e-3 || hr < 1e-3) continue;
        const gr = node.g - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > 1e-12 && (best === null || gain > best.gain)) best = { gain, feature: f, bin: b };
      }
    }
    return best;
  }

  /** Grows one tree on rows `rows` (indices into the binned matrix); returns it and the row of each leaf. */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    target: number,
  ): { tree: Tree; leaves: GrowNode[]; splitBins: Int32Array } {
    const { n, options } = this;
    for (let i = 0; i < n; i++) this.index[i] = i;
    let g = 0;
    let h = 0;
    for (let i = 0; i < n; i++) {
      g += grad[i] as number;
      h += hess[i] as number;
    }
    const nodes: {
      feature: number;
      threshold: number;
      bin: number;
      left: number;
      right: number;
      value: number;
    }[] = [];
    const newNode = () => {
      nodes.push({ feature: -1, threshold: 0, bin: 0, left: -1, right: -1, value: 0 });
      return nodes.length - 1;
    };
    const root: GrowNode = {
      id: newNode(),
      start: 0,
      end: n,
      g,
      h,
      depth: 0,
      hist: this.#hist(),
      split: null,
    };
    this.#build(root.hist, 0, n, grad, hess);
    root.split = this.#bestSplit(root);
    const open: GrowNode[] = [root];
    const leaves: GrowNode[] = [];
    let leafCount = 1;
    while (open.length > 0) {
      // Best-first: split the open node with the largest gain.
      let bestAt = -1;
      for (let i = 0; i < open.length; i++) {
        const s = (open[i] as GrowNode).split;
        if (s && (bestAt < 0 || s.gain > ((open[bestAt] as GrowNode).split as Candidate).gain)) bestAt = i;
      }
      if (bestAt < 0 || leafCount >= options.maxLeafNodes) break;
      const node = open.splice(bestAt, 1)[0] as GrowNode;
      const split = node.split as Candidate;
      // Partition the node's rows: left keeps bins ≤ split.bin.
      const { bins, d, index } = this;
      let lo = node.start;
      let hi = node.end - 1;
      while (lo <= hi) {
        const i = index[lo] as number;
        if ((bins[i * d + split.feature] as number) <= split.bin) lo++;
        else {
          index[lo] = index[hi] as number;
          index[hi] = i;
          hi--;
        }
      }
      const off = (this.offsets[split.feature] as number) * 3;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b <= split.bin; b++) {
        gl += node.hist[off + b * 3] as number;
        hl += node.hist[off + b * 3 + 1] as number;
      }
      const left: GrowNode = {
        id: newNode(),
        start: node.start,
        end: lo,
        g: gl,
        h: hl,
        depth: node.depth + 1,
        hist: node.hist,
        split: null,
      };
      const right: GrowNode = {
        id: newNode(),
        start: lo,
        end: node.end,
        g: node.g - gl,
        h: node.h - hl,
        depth: node.depth + 1,
        hist: node.hist,
        split: null,
      };
      // Build the smaller child's histogram; the larger one is the parent's minus it.
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      small.hist = this.#hist();
      this.#build(small.hist, small.start, small.end, grad, hess);
      const parentHist = node.hist;
      for (let j = 0; j < this.histSize; j++)
        parentHist[j] = (parentHist[j] as number) - (small.hist[j] as number);
      large.hist = parentHist;
      const record = nodes[node.id] as (typeof nodes)[number];
      record.feature = split.feature;
      record.threshold = (this.thresholds[split.feature] as Float64Array)[split.bin] as number;
      record.bin = split.bin;
      record.left = left.id;
      record.right = right.id;
      leafCount++;
      for (const child of [left, right]) {
        child.split = leafCount < options.maxLeafNodes ? this.#bestSplit(child) : null;
        open.push(child);
      }
    }
    for (const leaf of open) {
      const value = (-leaf.g / (leaf.h + options.l2Regularization)) * options.learningRate;
      (nodes[leaf.id] as (typeof nodes)[number]).value = Number.isFinite(value) ? value : 0;
      this.pool.push(leaf.hist);
      leaves.push(leaf);
    }
    const tree: Tree = {
      feature: Int32Array.from(nodes, (x) => x.feature),
      threshold: Float64Array.from(nodes, (x) => x.threshold),
      left: Int32Array.from(nodes, (x) => x.left),
      right: Int32Array.from(nodes, (x) => x.right),
      value: Float64Array.from(nodes, (x) => x.value),
      target,
    };
    return { tree, leaves, splitBins: Int32Array.from(nodes, (x) => x.bin) };
  }
}

function predictTree(
  tree: Tree,
  x: Float32Array | Uint8Array,
  base: number,
  splitBins: Int32Array | null,
): number {
  let node = 0;
  while ((tree.feature[node] as number) >= 0) {
    const f = tree.feature[node] as number;
    const v = x[base + f] as number;
    // Binned rows compare with the split's bin; raw rows compare float32 values with the threshold.
    const goLeft = splitBins ? v <= (splitBins[node] as number) : v <= (tree.threshold[node] as number);
    node = goLeft ? (tree.left[node] as number) : (tree.right[node] as number);
  }
  return tree.value[node] as number;
}

/** Raw scores [n × k] for float32 feature rows, summed in tree order as the exported graph does. */
export function gbdtScores(model: GbdtModel, x: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n * model.k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < model.k; c++) out[i * model.k + c] = model.base[c] as number;
    for (const tree of model.trees) {
      const at = i * model.k + tree.target;
      out[at] = (out[at] as number) + predictTree(tree, x, i * model.d, null);
    }
  }
  return out;
}

function lossOf(target: GbdtTarget, raw: Float64Array, rows: ArrayLike<number>, k: number): number {
  let loss = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r] as number;
    if (target.kind === 'regression') loss += 0.5 * ((raw[i] as number) - (target.y[i] as number)) ** 2;
    else if (k === 1) {
      const s = raw[i] as number;
      loss += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - (target.y[i] as number) * s;
    } else {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, raw[i * k + c] as number);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp((raw[i * k + c] as number) - max);
      loss += Math.log(sum) + max - (raw[i * k + (target.y[i] as number)] as number);
    }
  }
  return loss / Math.max(rows.length, 1);
}

export function fitGbdt(
  x: Float32Array,
  n: number,
  d: number,
  target: GbdtTarget,
  options: GbdtOptions,
): GbdtModel & { history: GbdtHistory } {
  const k = target.kind === 'classification' && target.classes > 2 ? target.classes : 1;
  const stopEarly = options.earlyStopping === 'auto' ? n > 10_000 : options.earlyStopping;
  const split = stopEarly
    ? splitRows(
        n,
        options.earlyStoppingFraction,
        options.seed + 1,
        target.kind === 'classification' ? target.y : undefined,
      )
    : { train: Uint32Array.from({ length: n }, (_, i) => i), validation: new Uint32Array(0) };
  const fitRows = split.train;
  const holdRows = split.validation;

  // Thresholds from (a sample of) the rows used for fitting.
  const sample =
    fitRows.length > SAMPLE_FOR_BINS
      ? fitRows.filter((_, i) => i % Math.ceil(fitRows.length / SAMPLE_FOR_BINS) === 0)
      : fitRows;
  const column = new Float64Array(sample.length);
  const thresholds: Float64Array[] = [];
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < sample.length; i++) column[i] = x[(sample[i] as number) * d + f] as number;
    thresholds.push(featureThresholds(column, options.maxBins));
  }
  const bins = binRows(x, d, fitRows, thresholds);
  const holdBins = binRows(x, d, holdRows, thresholds);
  const m = fitRows.length;
  const y = (i: number) =>
    target.kind === 'classification' ? (target.y[i] as number) : (target.y[i] as number);
  const fitTarget: GbdtTarget =
    target.kind === 'classification'
      ? { kind: 'classification', y: Int32Array.from(fitRows, y), classes: target.classes }
      : { kind: 'regression', y: Float64Array.from(fitRows, y) };
  const holdTarget: GbdtTarget =
    target.kind === 'classification'
      ? { kind: 'classification', y: Int32Array.from(holdRows, y), classes: target.classes }
      : { kind: 'regression', y: Float64Array.from(holdRows, y) };

  // Initial scores: the mean, the log-odds or the log class priors.
  const base = new Float64Array(k);
  if (fitTarget.kind === 'regression') base[0] = fitTarget.y.reduce((a, b) => a + b, 0) / Math.max(m, 1);
  else {
    const counts = new Float64Array(fitTarget.classes);
    for (const c of fitTarget.y) counts[c] = (counts[c] as number) + 1;
    const prior = (c: number) => Math.min(Math.max((counts[c] as number) / m, 1e-12), 1 - 1e-12);
    if (k === 1) base[0] = Math.log(prior(1) / (1 - prior(1)));
    else for (let c = 0; c < k; c++) base[c] = Math.log(prior(c));
  }
  const raw = new Float64Array(m * k);
  const holdRaw = new Float64Array(holdRows.length * k);
  for (let i = 0; i < m; i++) raw.set(base, i * k);
  for (let i = 0; i < holdRows.length; i++) holdRaw.set(base, i * k);

  const grower = new TreeGrower(bins, m, d, thresholds, options);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m);
  const prob = new Float64Array(m * k);
  const trees: Tree[] = [];
  const history: GbdtHistory = { trainLoss: [], validationLoss: [], bestIteration: 0 };
  // The training loss (for the curves) is an estimate on at most 10,000 evenly spread rows, as
  // scikit-learn computes it: scoring every row each iteration costs more than it tells.
  const lossStride = Math.max(1, Math.ceil(m / 10_000));
  const lossRows = Uint32Array.from({ length: Math.ceil(m / lossStride) }, (_, i) => i * lossStride);
  const allHold = Uint32Array.from({ length: holdRows.length }, (_, i) => i);
  let best = Number.POSITIVE_INFINITY;
  let sinceBest = 0;

  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    if (k > 1) {
      for (let i = 0; i < m; i++) {
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, raw[i * k + c] as number);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += prob[i * k + c] = Math.exp((raw[i * k + c] as number) - max);
        for (let c = 0; c < k; c++) prob[i * k + c] = (prob[i * k + c] as number) / sum;
      }
    }
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < m; i++) {
        if (fitTarget.kind === 'regression') {
          grad[i] = (raw[i] as number) - (fitTarget.y[i] as number);
          hess[i] = 1;
        } else if (k === 1) {
          const p = 1 / (1 + Math.exp(-(raw[i] as number)));
          grad[i] = p - (fitTarget.y[i] as number);
          hess[i] = Math.max(p * (1 - p), 1e-16);
        } else {
          const p = prob[i * k + c] as number;
          grad[i] = p - ((fitTarget.y[i] as number) === c ? 1 : 0);
          hess[i] = Math.max(p * (1 - p), 1e-16);
        }
      }
      const { tree, leaves, splitBins } = grower.grow(grad, hess, c);
      trees.push(tree);
      for (const leaf of leaves) {
        const v = tree.value[leaf.id] as number;
        for (let j = leaf.start; j < leaf.end; j++) {
          const at = (grower.index[j] as number) * k + c;
          raw[at] = (raw[at] as number) + v;
        }
      }
      for (let i = 0; i < holdRows.length; i++)
        holdRaw[i * k + c] = (holdRaw[i * k + c] as number) + predictTree(tree, holdBins, i * d, splitBins);
    }
    const trainLoss = lossOf(fitTarget, raw, lossRows, k);
    history.trainLoss.push(trainLoss);
    let validationLoss: number | undefined;
    if (stopEarly) {
      validationLoss = lossOf(holdTarget, holdRaw, allHold, k);
      history.validationLoss.push(validationLoss);
      // Improvement must beat the best so far by a relative 1e-7 (the first score always counts).
      if (iteration === 1 || validationLoss < best - 1e-7 * Math.max(1, Math.abs(best))) {
        best = validationLoss;
        history.bestIteration = iteration;
        sinceBest = 0;
      } else sinceBest++;
    } else history.bestIteration = iteration;
    options.onIteration?.(iteration, trainLoss, validationLoss);
    if (stopEarly && sinceBest >= options.nIterNoChange) break;
  }
  return { trees: trees.slice(0, history.bestIteration * k), base, k, d, history };
}
