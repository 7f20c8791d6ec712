// The example trainer's hand-written ONNX encoding: the protobuf wire format, a model that
// onnx-proto decodes field by field, and one that onnxruntime runs to the classes predict() gives.
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fitCentroids, predict } from '../../e2e/images/example-trainer/classifier.ts';
import { encodeModel } from '../../e2e/images/example-trainer/onnx.ts';
import { bytes, int, message, varint } from '../../e2e/images/example-trainer/protobuf.ts';
import type { Row } from '../../e2e/images/example-trainer/rows.ts';

const { onnx } = onnxProto;

describe('protobuf', () => {
  it('writes varints, negative int64 as ten bytes of two’s complement', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2n ** 63n - 1n)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect([...varint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('tags fields with their number and wire type, length-delimited ones with their length', () => {
    expect([...int(1, 150)]).toEqual([0x08, 0x96, 0x01]);
    expect([...bytes(2, 'hé')]).toEqual([0x12, 3, 0x68, 0xc3, 0xa9]);
    expect([...message(20, int(1, 1))]).toEqual([0xa2, 0x01, 2, 0x08, 1]);
  });
});

const row = (x: number | null, w: number, y: string): Row =>
  new Map<string, number | string | null>([
    ['x', x],
    ['w', w],
    ['y', y],
  ]);
const ROWS = [
  row(0, 1, 'a'),
  row(1, 0, 'a'),
  row(5, 4, 'b'),
  row(null, 5, 'b'),
  row(9, 0, 'c'),
  row(10, 1, 'c'),
];

describe('encodeModel', () => {
  const model = fitCentroids(ROWS, 'y');

  it('is a ModelProto of opset 17 with one float [N, 1] input per feature and the two outputs', () => {
    const decoded = onnx.ModelProto.decode(encodeModel(model));
    expect(Number(decoded.irVersion)).toBe(8);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const graph = decoded.graph as onnxProto.onnx.IGraphProto;
    const dims = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input?.map((v) => [v.name, v.type?.tensorType?.elemType, dims(v)])).toEqual([
      ['x', 1, ['N', 1]],
      ['w', 1, ['N', 1]],
    ]);
    expect(graph.output?.map((v) => [v.name, v.type?.tensorType?.elemType, dims(v)])).toEqual([
      ['probabilities', 1, ['N', 3]],
      ['label', 8, ['N']],
    ]);
    const labels = graph.initializer?.find((t) => t.name === '_labels');
    expect(labels?.stringData?.map((s) => Buffer.from(s).toString())).toEqual(['a', 'b', 'c']);
    const weights = graph.initializer?.find((t) => t.name === '_weights');
    expect(weights?.dims?.map(Number)).toEqual([2, 3]);
    expect(Array.from(new Float32Array(Uint8Array.from(weights?.rawData ?? []).buffer))).toEqual(
      Array.from(Float32Array.from(model.weights)),
    );
  });

  it('runs in onnxruntime to the classes predict() gives, missing values included', async () => {
    const session = await ort.InferenceSession.create(encodeModel(model));
    const xs = [0, 2, 5, Number.NaN, 8, 11, Number.NaN];
    const ws = [0, 1, 5, 4, 0, 2, 0];
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(xs), [xs.length, 1]),
      w: new ort.Tensor('float32', Float32Array.from(ws), [ws.length, 1]),
    });
    const expected = xs.map((x, i) => predict(model, row(Number.isNaN(x) ? null : x, ws[i] as number, '')));
    expect(Array.from(out.label?.data as string[])).toEqual(expected);
    expect(new Set(expected)).toEqual(new Set(['a', 'b', 'c']));
    const p = out.probabilities?.data as Float32Array;
    for (let i = 0; i < xs.length; i++)
      expect(p.subarray(3 * i, 3 * i + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('keeps its own value names apart from columns that look like them', async () => {
    const rows = ROWS.map(
      (r) => new Map([...r].map(([k, v]) => [k === 'x' ? '_raw' : k === 'w' ? '__scores' : k, v])),
    );
    const odd = fitCentroids(rows, 'y');
    expect(odd.features).toEqual(['_raw', '__scores']);
    const session = await ort.InferenceSession.create(encodeModel(odd));
    const out = await session.run({
      _raw: new ort.Tensor('float32', Float32Array.from([0, 10]), [2, 1]),
      __scores: new ort.Tensor('float32', Float32Array.from([1, 1]), [2, 1]),
    });
    expect(Array.from(out.label?.data as string[])).toEqual(['a', 'c']);
  });
});
