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
    ['INT64', [2 ** 63], 'out of range for INT64'],
    ['UINT64', [2 ** 64], 'out of range for UINT64'],
    ['INT64', [2 ** 53], 'beyond 2^53 a JSON number is not exact: send the integer as a decimal string'],
    ['UINT64', [-(2 ** 60)], 'out of range for UINT64'],
    ['UINT8', [300], 'out of range for UINT8 (0..255)'],
    ['INT16', [40_000], 'out of range for INT16 (-32768..32767)'],
    ['UINT16', [65_536], 'out of range for UINT16'],
    ['INT32', [2 ** 31], 'out of range for INT32'],
    ['UINT32', [2 ** 32], 'out of range for UINT32'],
    ['FP32', [1e39], 'out of range for FP32 (largest magnitude 3.4028234663852886e38)'],
    ['FP32', [-1e39], 'out of range for FP32'],
    ['FP16', [70_000], 'out of range for FP16 (largest magnitude 65504)'],
    ['FP16', [65_520], 'out of range for FP16'],
    // JSON.parse reads 1e400 as Infinity.
    ['FP64', [JSON.parse('1e400')], 'out of range for FP64'],
    ['BOOL', [1], 'expected true or false'],
    ['FP32', ['1'], 'expected a number'],
    ['BYTES', [1], 'expected a string'],
  ])('refuses %s %j: %s', (datatype, values, problem) => {
    const result = fillFromJson(datatype as 'UINT8', values);
    expect(result).toEqual({ index: 0, problem: expect.stringContaining(problem) });
  });

  it('keeps values at the edge of each float range, rounded as the datatype stores them', () => {
    const fp32 = fillFromJson('FP32', [3.4028235e38, -3.4028234663852886e38, 1e-50]);
    expect('data' in fp32 && Array.from(fp32.data as Float32Array)).toEqual([
      3.4028234663852886e38, -3.4028234663852886e38, 0,
    ]);
    const fp16 = fillFromJson('FP16', [65504, 65519, -65504]);
    expect('data' in fp16 && Array.from(float16Values(fp16.data as Uint16Array))).toEqual([
      65504, 65504, -65504,
    ]);
    const fp64 = fillFromJson('FP64', [1.7976931348623157e308]);
    expect('data' in fp64 && Array.from(fp64.data as Float64Array)).toEqual([1.7976931348623157e308]);
  });

  it('names the first bad value when a later one is out of range', () => {
    expect(fillFromJson('FP32', [1, 2, 1e39, 1e40])).toEqual({ index: 2, problem: expect.any(String) });
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
