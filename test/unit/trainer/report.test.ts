import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CnnParams, GbdtParams, parseParams } from '../../../images/trainer/hyperparameters.ts';
import {
  confusionMatrixSvg,
  lineChartSvg,
  scatterSvg,
  svgToPng,
} from '../../../images/trainer/report/charts.ts';
import { classificationMetrics, regressionMetrics } from '../../../images/trainer/report/metrics.ts';

describe('metrics', () => {
  it('computes accuracy, macro F1, log loss and per-class precision and recall', () => {
    // actual: a a b b; predicted: a b b b
    const p = [0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.3, 0.7];
    const { metrics, confusion } = classificationMetrics(Int32Array.from([0, 0, 1, 1]), p, ['a', 'b']);
    expect(confusion).toEqual([
      [1, 1],
      [0, 2],
    ]);
    expect(metrics.accuracy).toBe(0.75);
    expect(metrics['precision.a']).toBe(1);
    expect(metrics['recall.a']).toBe(0.5);
    expect(metrics['precision.b']).toBeCloseTo(2 / 3);
    expect(metrics.macro_f1).toBeCloseTo((2 / 3 + 0.8) / 2);
    expect(metrics.log_loss).toBeCloseTo(
      -(Math.log(0.9) + Math.log(0.4) + Math.log(0.8) + Math.log(0.7)) / 4,
    );
  });

  it('computes RMSE, MAE and R²', () => {
    const m = regressionMetrics(Float64Array.from([1, 2, 3, 4]), [1, 2, 3, 6]);
    expect(m.rmse).toBe(1);
    expect(m.mae).toBe(0.5);
    expect(m.r2).toBeCloseTo(1 - 4 / 5);
  });
});

describe('hyperparameters', () => {
  it('fills defaults', () => {
    expect(parseParams(GbdtParams, {})).toMatchObject({
      learningRate: 0.1,
      maxIterations: 100,
      maxLeafNodes: 31,
      target: 'label',
    });
  });

  it('lists every problem in one clear message', () => {
    expect(() => parseParams(CnnParams, { epochs: 0, fit: 'stretch', lr: 1 })).toThrow(
      /invalid hyperparameters: .*lr: Unexpected property.*epochs: Expected integer to be greater or equal to 1/,
    );
  });
});

describe('charts', () => {
  it('renders curves, a confusion matrix and a scatter plot as PNG', async () => {
    for (const svg of [
      lineChartSvg('Training curve', 'epoch', 'loss', [
        {
          name: 'train',
          points: [
            [1, 0.9],
            [2, 0.5],
            [3, 0.4],
          ],
        },
      ]),
      confusionMatrixSvg(
        ['cat', 'dog <&>'],
        [
          [5, 1],
          [2, 7],
        ],
      ),
      scatterSvg('Predicted vs actual', 'actual', 'predicted', [
        [1, 1.1],
        [2, 1.9],
      ]),
    ]) {
      const meta = await sharp(await svgToPng(svg)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(200);
    }
  });
});

describe('a chart of a long training curve', () => {
  it('draws 500,000 points (more than a spread into Math.min could take)', () => {
    const points = Array.from({ length: 500_000 }, (_, i) => [i, 1 / (i + 1)] as [number, number]);
    const svg = lineChartSvg('Training curve', 'iteration', 'loss', [{ name: 'train', points }]);
    expect(svg.startsWith('<svg')).toBe(true);
  });
});
