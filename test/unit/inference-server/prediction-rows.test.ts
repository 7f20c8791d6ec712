import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../../../images/inference-server/datatypes.ts';
import {
  classificationRow,
  inferRows,
  MAX_LOGGED_ROW_BYTES,
  MAX_LOGGED_TENSOR_BYTES,
} from '../../../images/inference-server/prediction-rows.ts';

const context = { model: 'm', modelVersion: '1', requestId: 'r' };
const fp32 = (shape: number[], fill: (i: number) => number): HostTensor => ({
  datatype: 'FP32',
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
});
const strings = (values: string[]): HostTensor => ({
  datatype: 'BYTES',
  shape: [values.length],
  data: values,
});

describe('prediction log rows', () => {
  it('logs each row of a batch with its own inputs, outputs, label and confidence', () => {
    const { predictionId, rows } = inferRows(
      context,
      { x: fp32([2, 2], (i) => i) },
      {
        probabilities: fp32([2, 3], (i) => [0.2, 0.5, 0.3, 0.6, 0.3, 0.1][i] as number),
        label: strings(['b', 'a']),
      },
      true,
    );
    expect(rows.map((r) => r.id)).toEqual([`${predictionId}-0`, `${predictionId}-1`]);
    expect(JSON.parse(rows[1]?.inputJson as string)).toEqual({ x: [2, 3] });
    expect(JSON.parse(rows[1]?.outputJson as string)).toEqual({
      probabilities: [Math.fround(0.6), Math.fround(0.3), Math.fround(0.1)],
      label: 'a',
    });
    expect(rows.map((r) => r.predictedLabel)).toEqual(['b', 'a']);
    expect(rows[0]?.confidence).toBeCloseTo(0.5, 6);
    expect(rows[1]?.confidence).toBeCloseTo(0.6, 6);
  });

  it('logs a large output as its datatype and shape only, and reads the confidence of a million classes', () => {
    const classes = 1_000_000;
    const { rows } = inferRows(
      context,
      { x: fp32([1, 2], (i) => i) },
      { probabilities: fp32([1, classes], (i) => (i === 123 ? 0.9 : 0)), embedding: fp32([1, 8], () => 1) },
      true,
    );
    const output = JSON.parse(rows[0]?.outputJson as string);
    expect(output.probabilities).toEqual({ omitted: true, datatype: 'FP32', shape: [classes] });
    expect(output.embedding).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(rows[0]?.confidence).toBeCloseTo(0.9, 6);
  });

  it('caps long text: one output over its cap, and the outputs past the row cap, are omitted', () => {
    const long = 'x'.repeat(MAX_LOGGED_TENSOR_BYTES);
    const { rows } = inferRows(
      context,
      { x: fp32([1, 2], (i) => i) },
      {
        text: strings([long]),
        ...Object.fromEntries(
          Array.from({ length: 4 }, (_, i) => [
            `part${i}`,
            strings(['y'.repeat(MAX_LOGGED_TENSOR_BYTES / 2)]),
          ]),
        ),
      },
      true,
    );
    const json = rows[0]?.outputJson as string;
    expect(json.length).toBeLessThanOrEqual(MAX_LOGGED_ROW_BYTES + 1000);
    const output = JSON.parse(json);
    expect(output.text).toEqual({ omitted: true, datatype: 'BYTES', shape: [] });
    expect(typeof output.part0).toBe('string');
    expect(typeof output.part1).toBe('string');
    expect(typeof output.part2).toBe('string');
    expect(output.part3).toEqual({ omitted: true, datatype: 'BYTES', shape: [] });
  });

  it('keeps no input whose row is too large, by values or by text', () => {
    const wide = inferRows(context, { x: fp32([1, 300], () => 1) }, { y: fp32([1, 1], () => 1) }, true);
    expect(wide.rows[0]?.inputJson).toBeNull();
    const text = inferRows(
      context,
      { s: strings(['z'.repeat(MAX_LOGGED_TENSOR_BYTES + 1)]) },
      { y: fp32([1, 1], () => 1) },
      true,
    );
    expect(text.rows[0]?.inputJson).toBeNull();
  });

  it('keeps the most probable labels of a classification that fit the cap', () => {
    const predictions = Array.from({ length: 2000 }, (_, i) => ({
      label: `label-${i}-${'w'.repeat(40)}`,
      probability: 1 / (i + 2),
    }));
    const row = classificationRow(context, predictions);
    const logged = JSON.parse(row.outputJson).predictions as typeof predictions;
    expect(row.outputJson.length).toBeLessThanOrEqual(MAX_LOGGED_TENSOR_BYTES + 100);
    expect(logged.length).toBeGreaterThan(100);
    expect(logged).toEqual(predictions.slice(0, logged.length));
    expect(row.predictedLabel).toBe(predictions[0]?.label);
  });
});
