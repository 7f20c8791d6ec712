import { describe, expect, it } from 'vitest';
import { rng, splitRows } from '../../../images/trainer/data/random.ts';
import { featureThresholds, fitGbdt, gbdtScores } from '../../../images/trainer/models/gbdt.ts';
import { minimize } from '../../../images/trainer/models/lbfgs.ts';
import { choleskySolve, fitLogistic, fitRidge, linearScores } from '../../../images/trainer/models/linear.ts';

function blobs(n: number, d: number, seed: number, rule: (x: number[]) => number) {
  const random = rng(seed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: d }, () => random() * 2 - 1);
    x.set(row, i * d);
    y[i] = rule(row);
  }
  return { x, y };
}

const gbdtOptions = {
  learningRate: 0.1,
  maxIterations: 50,
  maxLeafNodes: 31,
  maxDepth: 0,
  minSamplesLeaf: 5,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: false as const,
  nIterNoChange: 10,
  earlyStoppingFraction: 0.1,
  seed: 1,
};

describe('seeded splits', () => {
  it('is reproducible, disjoint and keeps every class on both sides', () => {
    const strata = Int32Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const a = splitRows(100, 0.2, 7, strata);
    expect(splitRows(100, 0.2, 7, strata)).toEqual(a);
    expect(a.train.length + a.validation.length).toBe(100);
    expect(new Set([...a.train, ...a.validation]).size).toBe(100);
    expect(Array.from(a.validation).filter((i) => i >= 90)).toHaveLength(2);
  });
});

describe('L-BFGS', () => {
  it('minimises the Rosenbrock function', () => {
    const result = minimize(
      (x, g) => {
        const [a, b] = [x[0] as number, x[1] as number];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 500, gradientTolerance: 1e-8 },
    );
    expect(result.x[0]).toBeCloseTo(1, 4);
    expect(result.x[1]).toBeCloseTo(1, 4);
  });
});

describe('linear models', () => {
  it('solves the ridge normal equations exactly', () => {
    const random = rng(3);
    const n = 500;
    const x = Float32Array.from({ length: n * 2 }, () => random() * 2 - 1);
    const y = Float64Array.from(
      { length: n },
      (_, i) => 3 * (x[2 * i] as number) - 2 * (x[2 * i + 1] as number) + 0.5,
    );
    const model = fitRidge(x, n, 2, y, 0);
    expect(model.weights[0]).toBeCloseTo(3, 4);
    expect(model.weights[1]).toBeCloseTo(-2, 4);
    expect(model.bias[0]).toBeCloseTo(0.5, 4);
    expect(Array.from(choleskySolve(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2))).toEqual([
      0.5, 0,
    ]);
  });

  it('fits binary and multinomial logistic regression to a separable rule', () => {
    const binary = blobs(2000, 3, 1, (r) => ((r[0] as number) + (r[1] as number) > 0 ? 1 : 0));
    const b = fitLogistic(binary.x, 2000, 3, binary.y, 2, { C: 100, maxIterations: 200, tolerance: 1e-6 });
    expect(b.k).toBe(1);
    const s = linearScores(b, binary.x, 2000);
    expect(
      Array.from(binary.y).filter((y, i) => (s[i] as number) > 0 === (y === 1)).length / 2000,
    ).toBeGreaterThan(0.98);
    expect(Math.abs(b.weights[2] as number)).toBeLessThan(0.2 * Math.abs(b.weights[0] as number));

    const multi = blobs(3000, 2, 2, (r) => ((r[0] as number) > 0.3 ? 2 : (r[0] as number) < -0.3 ? 0 : 1));
    const m = fitLogistic(multi.x, 3000, 2, multi.y, 3, { C: 100, maxIterations: 300, tolerance: 1e-6 });
    expect(m.k).toBe(3);
    const ms = linearScores(m, multi.x, 3000);
    let correct = 0;
    for (let i = 0; i < 3000; i++) {
      const row = [ms[3 * i], ms[3 * i + 1], ms[3 * i + 2]] as number[];
      if (row.indexOf(Math.max(...row)) === multi.y[i]) correct++;
    }
    expect(correct / 3000).toBeGreaterThan(0.95);
  });
});

describe('gradient-boosted trees', () => {
  it('bins at midpoints between distinct values, at most maxBins - 1 thresholds', () => {
    expect(Array.from(featureThresholds(Float64Array.from([3, 1, 2, 2, 1]), 255))).toEqual([1.5, 2.5]);
    const many = featureThresholds(
      Float64Array.from({ length: 10_000 }, (_, i) => i),
      16,
    );
    expect(many.length).toBe(15);
    for (let i = 1; i < many.length; i++) expect(many[i]).toBeGreaterThan(many[i - 1] as number);
  });

  it('learns an interaction a linear model cannot (XOR)', () => {
    const data = blobs(3000, 2, 4, (r) => ((r[0] as number) > 0 !== (r[1] as number) > 0 ? 1 : 0));
    const model = fitGbdt(data.x, 3000, 2, { kind: 'classification', y: data.y, classes: 2 }, gbdtOptions);
    const s = gbdtScores(model, data.x, 3000);
    const accuracy = Array.from(data.y).filter((y, i) => (s[i] as number) > 0 === (y === 1)).length / 3000;
    expect(accuracy).toBeGreaterThan(0.97);
    expect(model.trees).toHaveLength(50);
  });

  it('fits multiclass and regression targets and respects maxLeafNodes', () => {
    const data = blobs(2000, 2, 5, (r) => Math.min(2, Math.floor(((r[0] as number) + 1) * 1.5)));
    const multi = fitGbdt(
      data.x,
      2000,
      2,
      { kind: 'classification', y: data.y, classes: 3 },
      { ...gbdtOptions, maxLeafNodes: 4 },
    );
    expect(multi.k).toBe(3);
    expect(multi.trees).toHaveLength(150);
    for (const tree of multi.trees)
      expect(Array.from(tree.feature).filter((f) => f < 0).length).toBeLessThanOrEqual(4);
    const y = Float64Array.from({ length: 2000 }, (_, i) => 10 * (data.x[2 * i] as number) ** 2);
    const reg = fitGbdt(data.x, 2000, 2, { kind: 'regression', y }, gbdtOptions);
    const p = gbdtScores(reg, data.x, 2000);
    let se = 0;
    for (let i = 0; i < 2000; i++) se += ((p[i] as number) - (y[i] as number)) ** 2;
    expect(Math.sqrt(se / 2000)).toBeLessThan(0.3);
  });

  it('stops early on a plateau and keeps the best iteration', () => {
    const data = blobs(12_000, 2, 6, (r) => ((r[0] as number) > 0 ? 1 : 0));
    const model = fitGbdt(
      data.x,
      12_000,
      2,
      { kind: 'classification', y: data.y, classes: 2 },
      { ...gbdtOptions, maxIterations: 500, earlyStopping: 'auto' },
    );
    expect(model.history.validationLoss.length).toBeLessThan(500);
    expect(model.trees).toHaveLength(model.history.bestIteration);
    // No later score beats the kept one by more than the improvement threshold.
    const kept = model.history.validationLoss[model.history.bestIteration - 1] as number;
    expect(Math.min(...model.history.validationLoss)).toBeGreaterThanOrEqual(kept - 1e-7);
  });
});
