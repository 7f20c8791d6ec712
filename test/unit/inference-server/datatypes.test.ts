import { describe, expect, it } from 'vitest';
import {
  fillFromJson,
  float16Bits,
  float16Values,
  fromOrtType,
  toJsonValues,
  toOrtType,
} from '../../../images/inference-server/datatypes.ts';

describe('datatypes', () => {
  it('maps every protocol datatype to an ONNX Runtime type and back', () => {
    for (const d of [
      'BOOL',
      'UINT8',
      'UINT16',
      'UINT32',
      'UINT64',
      'INT8',
      'INT16',
      'INT32',
      'INT64',
      'FP16',
      'FP32',
      'FP64',
      'BYTES',
    ] as const)
      expect(fromOrtType(toOrtType(d))).toBe(d);
    expect(fromOrtType('bfloat16')).toBeUndefined();
  });

  it.each([
    ['UINT8', [256], 'out of range for UINT8 (0..255)'],
    ['INT8', [-129], 'out of range for INT8'],
    ['UINT32', [-1], 'out of range'],
    ['INT32', [1.5], 'expected an integer'],
    ['INT64', ['12a'], 'expected an integer'],
    ['UINT64', [-1], 'out of range for UINT64'],
    ['INT64', ['9223372036854775808'], 'out of range for INT64'],
    ['BOOL', [1], 'expected true or false'],
    ['FP32', ['1'], 'expected a number'],
    ['BYTES', [1], 'expected a string'],
  ])('refuses %s %j: %s', (datatype, values, problem) => {
    const result = fillFromJson(datatype as 'UINT8', values);
    expect(result).toEqual({ index: 0, problem: expect.stringContaining(problem) });
  });

  it('fills typed arrays and reads them back as JSON values', () => {
    const int64 = fillFromJson('INT64', [1, '-9223372036854775808']);
    expect('data' in int64 && toJsonValues('INT64', int64.data)).toEqual([1, '-9223372036854775808']);
    const bool = fillFromJson('BOOL', [true, false]);
    expect('data' in bool && Array.from(bool.data as Uint8Array)).toEqual([1, 0]);
    expect(toJsonValues('BOOL', Uint8Array.from([1, 0]))).toEqual([true, false]);
    expect(toJsonValues('FP32', Float32Array.from([Number.NaN, Number.POSITIVE_INFINITY, 0.5]))).toEqual([
      'NaN',
      'Infinity',
      0.5,
    ]);
  });

  it('converts float16 through its bit patterns', () => {
    const bits = float16Bits([1, -2, 0.5, 65504]);
    expect(Array.from(bits)).toEqual([0x3c00, 0xc000, 0x3800, 0x7bff]);
    expect(Array.from(float16Values(bits))).toEqual([1, -2, 0.5, 65504]);
  });
});
