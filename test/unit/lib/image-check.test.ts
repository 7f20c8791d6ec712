import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../../../lib/dataset/image-check.ts';

const png = () =>
  sharp(Buffer.alloc(16 * 12 * 3, 90), { raw: { width: 16, height: 12, channels: 3 } })
    .png()
    .toBuffer();

describe('checkImage', () => {
  it('accepts a whole image and names its format', async () => {
    expect(await checkImage(await png())).toEqual({ format: 'png' });
  });

  it('calls a truncated image or another file corrupt, in one line', async () => {
    const truncated = await checkImage((await png()).subarray(0, 40));
    expect(truncated.problem).toBeDefined();
    expect(truncated.problem).not.toContain('\n');
    expect(await checkImage(Buffer.from('label,value\ncat,1\n'))).toEqual({
      problem: 'not a JPEG, PNG or WebP image',
    });
  });
});
