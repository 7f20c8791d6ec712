import { describe, expect, it } from 'vitest';
import { attr, floatTensor, GraphBuilder, int64Tensor, ML_DOMAIN } from '../../../lib/onnx/builder.ts';
import { ModelMismatchError, runModel, verifyModel } from '../../../lib/onnx/verify.ts';

function affine(): Uint8Array {
  const g = new GraphBuilder('affine');
  const x = g.input('x', 'float', ['N', 2]);
  const w = g.constant('w', floatTensor([1, 2, 3, 4], [2, 2]));
  const b = g.constant('b', floatTensor([0.5, -0.5], [2]));
  g.node('Gemm', [x, w, b], { outputs: ['y'] });
  g.output('y', 'float', ['N', 2]);
  const city = g.input('city', 'string', ['N', 1]);
  const onehot = g.op('OneHotEncoder', [city], {
    domain: ML_DOMAIN,
    attrs: { cats_strings: attr.strings(['oslo', 'lima']), zeros: attr.int(1) },
  });
  g.node('Flatten', [onehot], { attrs: { axis: attr.int(1) }, outputs: ['onehot'] });
  g.output('onehot', 'float', ['N', 2]);
  const idx = g.op('ArgMax', ['y'], { attrs: { axis: attr.int(1), keepdims: attr.int(0) } });
  g.node('Gather', [g.constant('names', { type: 'string', dims: [2], data: ['a', 'b'] }), idx], {
    outputs: ['name'],
  });
  g.output('name', 'string', ['N']);
  return g.toBytes();
}

describe('ONNX writer', () => {
  const feeds = {
    x: { dims: [2, 2], data: Float32Array.from([1, 0, 0, 1]) },
    city: { dims: [2, 1], data: ['lima', 'paris'] },
  };

  it('writes graphs with float, string and ai.onnx.ml parts that onnxruntime runs', async () => {
    const out = await runModel(affine(), feeds, ['y', 'onehot', 'name']);
    expect(Array.from(out.y as Float32Array)).toEqual([1.5, 1.5, 3.5, 3.5]);
    expect(Array.from(out.onehot as Float32Array)).toEqual([0, 1, 0, 0]);
    expect(out.name).toEqual(['a', 'a']);
  });

  it('checks outputs against expected values within a tolerance', async () => {
    expect(await verifyModel(affine(), feeds, { y: [1.5, 1.5 + 5e-6, 3.5, 3.5] })).toBeCloseTo(5e-6, 8);
    await expect(verifyModel(affine(), feeds, { y: [1.5, 1.6, 3.5, 3.5] })).rejects.toThrow(
      ModelMismatchError,
    );
    await expect(verifyModel(affine(), feeds, { y: [1.5, 1.5, 3.5, Number.NaN] })).rejects.toThrow(/\[3\]/);
    expect(
      await verifyModel(affine(), feeds, { y: [1.5, 1.5, 3.5, 3.5 + 3e-5] }, 1e-5, true),
    ).toBeGreaterThan(0);
  });

  it('refuses a value name used twice', () => {
    const g = new GraphBuilder('dup');
    g.input('x', 'float', [1]);
    expect(() => g.node('Relu', ['x'], { outputs: ['x'] })).toThrow(/used twice/);
    expect(() => g.constant('c', int64Tensor([1, 2], [3]))).toThrow(/2 values for dims \[3\]/);
  });
});
