import { describe, expect, it } from 'vitest';
import { rng } from '../../../images/trainer/data/random.ts';
import { cnnToOnnx } from '../../../images/trainer/export/cnn-graph.ts';
import { cnnGradient, cnnPredict, initCnn, trainCnn } from '../../../images/trainer/models/cnn.ts';
import { col2im, im2col } from '../../../images/trainer/models/conv-ops.ts';
import { verifyModel } from '../../../lib/onnx/verify.ts';

describe('convolution building blocks', () => {
  it('col2im is the adjoint of im2col (<im2col(x), y> = <x, col2im(y)>)', () => {
    const random = rng(1);
    const [c, h, w] = [2, 5, 4];
    const x = Float32Array.from({ length: c * h * w }, () => random() - 0.5);
    const y = Float32Array.from({ length: c * 9 * h * w }, () => random() - 0.5);
    const cols = new Float32Array(y.length);
    im2col(x, c, h, w, cols);
    const back = new Float32Array(x.length);
    col2im(y, c, h, w, back);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
    expect(dot(cols, y)).toBeCloseTo(dot(x, back), 4);
  });
});

describe('CNN', () => {
  const shape = { channels: 3, size: 8, filters: 2, classes: 3 };
  const random = rng(2);
  const x = Float32Array.from({ length: 4 * 3 * 64 }, () => random() * 2 - 1);
  const y = Int32Array.from([0, 1, 2, 1]);

  it('computes the gradient of its loss (finite differences)', () => {
    const model = initCnn(shape, 3);
    const { grad } = cnnGradient(model, x, y);
    const probe = [
      0,
      5,
      model.layout.b1,
      model.layout.w2 + 7,
      model.layout.b2 + 1,
      model.layout.w3 + 11,
      model.layout.total - 1,
    ];
    for (const j of probe) {
      const saved = model.params[j] as number;
      const h = 1e-2;
      model.params[j] = saved + h;
      const up = cnnGradient(model, x, y).loss;
      model.params[j] = saved - h;
      const down = cnnGradient(model, x, y).loss;
      model.params[j] = saved;
      expect(grad[j]).toBeCloseTo((up - down) / (2 * h), 2);
    }
  });

  it('fits a tiny set and exports a graph that onnxruntime agrees with', async () => {
    const model = initCnn(shape, 4);
    const losses = trainCnn(model, x, y, {
      epochs: 60,
      batchSize: 2,
      learningRate: 0.01,
      weightDecay: 0,
      seed: 1,
    });
    expect(losses.at(-1)).toBeLessThan((losses[0] as number) / 5);
    const mean = [0.5, 0.5, 0.5];
    const std = [2, 2, 2];
    // The graph normalises its 0–255-style input; feed values whose normalisation gives x back.
    const raw = Float32Array.from(x, (v) => Math.fround(v * 2 + 0.5));
    const expected = cnnPredict(
      model,
      Float32Array.from(raw, (v) => Math.fround(Math.fround(v - 0.5) / 2)),
      4,
    );
    const exported = cnnToOnnx(model, ['a', 'b', 'c'], mean, std);
    const diff = await verifyModel(
      exported.bytes,
      { image: { dims: [4, 3, 8, 8], data: raw } },
      { probabilities: expected },
    );
    expect(diff).toBeLessThanOrEqual(1e-5);
  });
});
