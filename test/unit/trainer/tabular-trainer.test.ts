import { describe, expect, it } from 'vitest';
import { log } from '../../../images/trainer/log.ts';
import { trainTabular } from '../../../images/trainer/tabular-trainer.ts';
import { runModel } from '../../../lib/onnx/verify.ts';
import { syntheticRows, toCsv, toJsonl } from './synthetic.ts';

const quiet = log.child({}, { level: 'silent' });
const COLUMNS = ['x1', 'x2', 'city', 'cls', 'score', 'flag'] as const;

function files(classes: number) {
  const rows = syntheticRows(1500, 11, classes);
  return [
    { path: 'a.csv', data: toCsv(rows.slice(0, 700), [...COLUMNS]) },
    { path: 'b.jsonl', data: toJsonl(rows.slice(700), [...COLUMNS]) },
  ];
}

// Each run also checks its own export in onnxruntime (max difference ≤ 1e-5) before returning.
describe('tabular trainer', () => {
  it.each([
    ['logistic', 3],
    ['logistic', 2],
    ['gbdt', 3],
    ['gbdt', 2],
  ] as const)('classifies with %s (%i classes) and reports the metrics', async (algorithm, classes) => {
    const result = await trainTabular(
      'tabular-classification',
      algorithm,
      files(classes),
      { target: 'cls', columns: { score: 'ignore' } },
      quiet,
    );
    expect(result.metrics.accuracy).toBeGreaterThan(0.85);
    expect(result.metrics.macro_f1).toBeGreaterThan(0.8);
    expect(result.metrics.log_loss).toBeGreaterThan(0);
    expect(Object.keys(result.metrics)).toContain(classes === 2 ? 'precision.yes' : 'recall.mid');
    expect(Object.keys(result.plots).sort()).toEqual(['confusion-matrix.png', 'training-curve.png']);
    expect(result.signature).toMatchObject({ task: 'tabular-classification', algorithm, target: 'cls' });
  });

  it.each(['linear', 'gbdt'] as const)('regresses with %s', async (algorithm) => {
    const result = await trainTabular(
      'tabular-regression',
      algorithm,
      files(3),
      { target: 'score', columns: { cls: 'ignore' } },
      quiet,
    );
    expect(result.metrics.r2).toBeGreaterThan(0.9);
    expect(result.metrics.rmse).toBeGreaterThan(0);
    expect(result.metrics.mae).toBeLessThan(result.metrics.rmse as number);
    expect(Object.keys(result.plots)).toContain('predicted-vs-actual.png');
  });

  it('encodes missing and unseen values inside the graph, so the server sends raw values', async () => {
    const result = await trainTabular(
      'tabular-classification',
      'logistic',
      files(2),
      { target: 'cls', columns: { score: 'ignore' } },
      quiet,
    );
    const out = await runModel(
      result.model,
      {
        x1: { dims: [2, 1], data: Float32Array.from([Number.NaN, 1.9]) },
        x2: { dims: [2, 1], data: Float32Array.from([0, -1.9]) },
        city: { dims: [2, 1], data: ['', 'never-seen'] },
        flag: { dims: [2, 1], data: ['a', 'a'] },
      },
      ['probabilities', 'label'],
    );
    expect(Array.from(out.probabilities as Float32Array).every(Number.isFinite)).toBe(true);
    expect((out.label as string[])[1]).toBe('yes');
  });

  it('refuses an algorithm that does not fit the task', async () => {
    await expect(
      trainTabular('tabular-regression', 'logistic', files(2), { target: 'score' }, quiet),
    ).rejects.toThrow('unknown algorithm "logistic" for tabular-regression; choose one of linear, gbdt');
  });
});
