// The example trainer's nearest-centroid classifier: what it learns from, the centroids and priors
// it fits, the class it gives a row, and the data it refuses.
import { describe, expect, it } from 'vitest';
import { accuracy, fitCentroids, predict } from '../../e2e/images/example-trainer/classifier.ts';
import type { Cell, Row } from '../../e2e/images/example-trainer/rows.ts';
import { failure } from './failure.ts';

const row = (cells: Record<string, Cell>): Row => new Map(Object.entries(cells));

// x separates the classes, c is text, k is constant.
const ROWS = [
  row({ x: '0', c: 'a', k: 1, y: 'low' }),
  row({ x: '2', c: 'b', k: 1, y: 'low' }),
  row({ x: 10, c: 'a', k: 1, y: 'high' }),
  row({ x: null, c: 'a', k: 1, y: 'high' }),
  row({ x: 12, c: 'b', k: 1, y: 'high' }),
  row({ x: 5, c: 'b', k: 1, y: null }),
];

describe('fitCentroids', () => {
  it('learns from the numeric columns of the labelled rows, with their mean and spread', () => {
    const model = fitCentroids(ROWS, 'y');
    expect(model.features).toEqual(['x', 'k']);
    expect(model.labels).toEqual(['high', 'low']);
    // x over the labelled rows with a value: 0, 2, 10, 12.
    expect(model.mean).toEqual([6, 1]);
    expect(model.std[0]).toBeCloseTo(Math.sqrt(26), 12);
    expect(model.std[1]).toBe(1); // a constant column is divided by 1
  });

  it('puts each centroid at its class mean in standard units and its prior in the bias', () => {
    const model = fitCentroids(ROWS, 'y', ['x']);
    const s = Math.sqrt(26);
    // high: 10, 12 and a missing value (at the mean, 0 in standard units); low: 0 and 2.
    const high = (4 / s + 6 / s + 0) / 3;
    const low = (-6 / s + -4 / s) / 2;
    expect(model.weights[0]).toBeCloseTo(high, 12);
    expect(model.weights[1]).toBeCloseTo(low, 12);
    expect(model.bias[0]).toBeCloseTo(-(high * high) / 2 + Math.log(3 / 5), 12);
    expect(model.bias[1]).toBeCloseTo(-(low * low) / 2 + Math.log(2 / 5), 12);
  });

  it('gives each row the class of the nearest centroid and counts only labelled rows in accuracy', () => {
    const model = fitCentroids(ROWS, 'y', ['x']);
    expect(['1', '11', '6.5'].map((x) => predict(model, row({ x })))).toEqual(['low', 'high', 'high']);
    expect(predict(model, row({ x: 3.5 }))).toBe('low');
    expect(accuracy(model, ROWS)).toEqual({ accuracy: 1, rows: 5 });
  });

  it('reads numbers as classes when the target holds numbers', () => {
    const model = fitCentroids([row({ x: 0, y: 0 }), row({ x: 1, y: '1' })], 'y');
    expect(model.labels).toEqual(['0', '1']);
  });

  it('refuses what it cannot learn from, naming the columns', () => {
    expect(failure(() => fitCentroids(ROWS, 'species'))).toEqual([
      'DatasetInvalid',
      'unknown target column "species"; the columns are "x", "c", "k", "y"',
    ]);
    expect(failure(() => fitCentroids([], 'y'))[1]).toBe('the dataset has no rows');
    expect(failure(() => fitCentroids([row({ x: 1, y: null })], 'y'))[1]).toBe(
      'no row has a value in the target column "y"',
    );
    expect(failure(() => fitCentroids([row({ x: 1, y: 'a' }), row({ x: 2, y: 'a' })], 'y'))[1]).toBe(
      'the target column "y" has only one class ("a")',
    );
    expect(failure(() => fitCentroids([row({ c: 'a', y: 'a' }), row({ c: 'b', y: 'b' })], 'y'))[1]).toBe(
      'no numeric column besides the target "y"; the columns are "c", "y"',
    );
    expect(failure(() => fitCentroids(ROWS, 'y', ['z']))[1]).toMatch(
      /^hyperparameter features names unknown column "z"/,
    );
    expect(failure(() => fitCentroids(ROWS, 'y', ['c']))[1]).toBe('feature column "c" is not numeric');
    expect(failure(() => fitCentroids(ROWS, 'y', ['y']))[1]).toBe(
      'column "y" is the target; it cannot also be a feature',
    );
    expect(
      failure(() => fitCentroids([row({ label: 1, y: 'a' }), row({ label: 2, y: 'b' })], 'y'))[1],
    ).toMatch(/^feature column "label" has the name of a model output/);
  });
});
