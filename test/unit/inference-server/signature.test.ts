import { describe, expect, it } from 'vitest';
import { parseSignature, withOverrides } from '../../../images/inference-server/signature.ts';

const trainer = {
  labels: ['cat', 'dog'],
  preprocessing: { size: [24, 32], fit: 'contain', channelOrder: 'RGB', layout: 'NCHW', range: [0, 255] },
};

describe('signature.json and spec.preprocessing', () => {
  it('reads what the image trainer writes: [height, width], pixels in 0-255', () => {
    expect(parseSignature(JSON.stringify(trainer))).toEqual({
      labels: ['cat', 'dog'],
      preprocessing: {
        width: 32,
        height: 24,
        fit: 'contain',
        channelOrder: 'RGB',
        layout: 'NCHW',
        scale: 1,
        mean: [0, 0, 0],
        std: [1, 1, 1],
      },
    });
    expect(parseSignature(undefined)).toEqual({});
  });

  it('lets spec.preprocessing replace it, scaling pixels to [0, 1] before mean/std', () => {
    const spec = {
      size: { width: 224, height: 224 },
      channelOrder: 'BGR',
      layout: 'NHWC',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    };
    const merged = withOverrides(parseSignature(JSON.stringify(trainer)), JSON.stringify(spec));
    expect(merged.labels).toEqual(['cat', 'dog']);
    expect(merged.preprocessing).toMatchObject({
      width: 224,
      height: 224,
      fit: 'cover',
      channelOrder: 'BGR',
      layout: 'NHWC',
      scale: 1 / 255,
    });
    expect(withOverrides(parseSignature(JSON.stringify(trainer)), '{"labels":["a","b"]}')).toMatchObject({
      labels: ['a', 'b'],
      preprocessing: { width: 32, scale: 1 },
    });
  });

  it.each([
    ['{', /signature.json: not valid JSON/],
    ['[]', /must be a JSON object/],
    ['{"labels": []}', /labels must be a non-empty list of strings/],
    ['{"preprocessing": {"size": [0, 4]}}', /size must be/],
    ['{"preprocessing": {"size": [4, 4], "fit": "crop"}}', /fit must be one of cover, contain, fill/],
    ['{"preprocessing": {"size": [4, 4], "std": [0]}}', /std values must be greater than 0/],
  ])('refuses %s', (text, message) => {
    expect(() => parseSignature(text)).toThrow(message);
  });
});
