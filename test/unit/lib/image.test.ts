import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeForModel, ImageDecodeError } from '../../../lib/image/decode.ts';
import { imageFormat } from '../../../lib/image/format.ts';
import { readJpegHeader } from '../../../lib/image/jpeg-header.ts';
import { orientRgb } from '../../../lib/image/orientation.ts';
import { type Fit, resizeToRgb } from '../../../lib/image/resample.ts';
import { shrinkRgbx } from '../../../lib/image/shrink.ts';

/** A smooth picture whose four quadrants differ: red top-left, green top-right, blue bottom-left. */
function quadrants(width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const right = x >= width / 2;
      const bottom = y >= height / 2;
      rgb[i] = !right && !bottom ? 220 : 30;
      rgb[i + 1] = right && !bottom ? 220 : 30;
      rgb[i + 2] = !right && bottom ? 220 : 30;
    }
  return rgb;
}

const raw = (rgb: Buffer, width: number, height: number) =>
  sharp(rgb, { raw: { width, height, channels: 3 } });

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

const rgbx = (rgb: Buffer) => {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0; i < rgb.length / 3; i++) out.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
  return out;
};

describe('imageFormat', () => {
  it('recognises JPEG, PNG and WebP by their bytes', async () => {
    const picture = raw(quadrants(8, 8), 8, 8);
    expect(imageFormat(await picture.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(imageFormat(await picture.clone().png().toBuffer())).toBe('png');
    expect(imageFormat(await picture.clone().webp().toBuffer())).toBe('webp');
    expect(imageFormat(await picture.clone().gif().toBuffer())).toBeUndefined();
    expect(imageFormat(Buffer.from('{"inputs": []}'))).toBeUndefined();
    expect(imageFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('readJpegHeader', () => {
  it('reads size, components, coding, EXIF orientation and an ICC profile', async () => {
    const picture = raw(quadrants(40, 30), 40, 30);
    const plain = readJpegHeader(await picture.clone().jpeg().toBuffer());
    expect(plain).toEqual({
      width: 40,
      height: 30,
      components: 3,
      precision: 8,
      huffman: true,
      orientation: 1,
      iccProfile: false,
    });
    const rotated = readJpegHeader(await picture.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer());
    expect(rotated?.orientation).toBe(6);
    const progressive = readJpegHeader(await picture.clone().jpeg({ progressive: true }).toBuffer());
    expect(progressive?.huffman).toBe(true);
    const p3 = readJpegHeader(await picture.clone().jpeg().withIccProfile('p3').toBuffer());
    expect(p3?.iccProfile).toBe(true);
    const grey = readJpegHeader(await picture.clone().toColourspace('b-w').jpeg().toBuffer());
    expect(grey?.components).toBe(1);
  });

  it('gives up on malformed markers instead of reading past them', async () => {
    const jpeg = await raw(quadrants(16, 16), 16, 16).jpeg().toBuffer();
    expect(readJpegHeader(Buffer.concat([jpeg.subarray(0, 40), Buffer.alloc(200, 7)]))).toBeUndefined();
    expect(readJpegHeader(jpeg.subarray(0, 3))).toBeUndefined();
    expect(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0x00]))).toBeUndefined();
    // An EXIF block that points outside itself is read as no orientation.
    const exif = Buffer.from('Exif\0\0MM\0\x2a\xff\xff\xff\xff', 'latin1');
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, exif.length + 2]), exif]);
    expect(readJpegHeader(Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]))?.orientation).toBe(1);
  });
});

describe('resizeToRgb', () => {
  it('averages the area each output pixel covers when shrinking', () => {
    // 4×2 → 2×1: each output pixel is the mean of a 2×2 block.
    const rgb = Buffer.from([
      ...[0, 0, 0],
      ...[100, 100, 100],
      ...[200, 0, 0],
      ...[200, 0, 0],
      ...[50, 50, 50],
      ...[250, 250, 250],
      ...[0, 0, 200],
      ...[0, 0, 200],
    ]);
    expect([...resizeToRgb(rgb, 4, 2, 3, 2, 1, 'fill')]).toEqual([100, 100, 100, 100, 0, 100]);
    // The same from RGBX.
    expect([...resizeToRgb(rgbx(rgb), 4, 2, 4, 2, 1, 'fill')]).toEqual([100, 100, 100, 100, 0, 100]);
  });

  it('interpolates bilinearly when enlarging', () => {
    const rgb = Buffer.from([0, 0, 0, 200, 100, 40]);
    // Pixel centres of 4 outputs over 2 inputs: clamped, 1/4, 3/4, clamped.
    expect([...resizeToRgb(rgb, 2, 1, 3, 4, 1, 'fill')]).toEqual([
      0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40,
    ]);
  });

  it('keeps a uniform picture uniform at any size and fit', () => {
    const rgb = Buffer.alloc(37 * 23 * 3);
    for (let i = 0; i < rgb.length; i += 3) rgb.set([12, 130, 251], i);
    for (const fit of ['cover', 'fill'] as Fit[])
      for (const [w, h] of [
        [5, 5],
        [16, 9],
        [64, 64],
      ] as const) {
        const out = resizeToRgb(rgb, 37, 23, 3, w, h, fit);
        for (let i = 0; i < out.length; i += 3) expect([...out.subarray(i, i + 3)]).toEqual([12, 130, 251]);
      }
  });

  it('cover crops the centre, contain adds black bars, fill stretches', () => {
    // 3 columns: red, green, blue.
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    expect([...resizeToRgb(rgb, 3, 1, 3, 1, 1, 'cover')]).toEqual([0, 255, 0]);
    const contain = resizeToRgb(rgb, 3, 1, 3, 3, 3, 'contain');
    expect([...contain.subarray(0, 9)]).toEqual(Array(9).fill(0)); // top bar
    expect([...contain.subarray(9, 18)]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    expect([...contain.subarray(18)]).toEqual(Array(9).fill(0)); // bottom bar
    expect([...resizeToRgb(rgb, 3, 1, 3, 1, 2, 'fill')]).toEqual([85, 85, 85, 85, 85, 85]);
  });

  it('gives the same result after a larger resize has used its working memory', () => {
    const small = Buffer.from(Array.from({ length: 6 * 4 * 3 }, (_, i) => (i * 37) % 256));
    const large = Buffer.alloc(90 * 70 * 3, 255);
    const first = resizeToRgb(small, 6, 4, 3, 3, 2, 'fill');
    resizeToRgb(large, 90, 70, 3, 40, 30, 'cover');
    expect(resizeToRgb(small, 6, 4, 3, 3, 2, 'fill')).toEqual(first);
    // The result is the caller's own: a later resize does not overwrite it.
    const kept = Buffer.from(first);
    resizeToRgb(large, 90, 70, 3, 3, 2, 'fill');
    expect(first).toEqual(kept);
  });
});

describe('shrinkRgbx', () => {
  it('averages whole k × k blocks, centred, with rounding', () => {
    const width = 7;
    const height = 4;
    const pixels = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) pixels.set([x * 30, y * 60, 255, 0], (y * width + x) * 4);
    const out = shrinkRgbx({ pixels, width, height }, 3);
    expect([out.width, out.height]).toEqual([2, 1]);
    // Columns 0–2 and 3–5 (one left over, on the right), rows 0–2 (one left over, at the bottom).
    expect([...out.pixels]).toEqual([30, 60, 255, 0, 120, 60, 255, 0]);
  });

  it('keeps every channel exact at the largest factor', () => {
    const pixels = new Uint8Array(15 * 15 * 4).fill(255);
    const out = shrinkRgbx({ pixels, width: 15, height: 15 }, 15);
    expect([...out.pixels]).toEqual([255, 255, 255, 0]);
    expect(() => shrinkRgbx({ pixels, width: 15, height: 15 }, 16)).toThrow(/not 2–15/);
  });
});

describe('orientRgb', () => {
  // Stored 3×2: pixels numbered 1–6 row by row (one channel shown).
  const stored = Buffer.from([1, 2, 3, 4, 5, 6].flatMap((v) => [v, v, v]));
  const shown = (o: number) => [...orientRgb(stored, 3, 2, o)].filter((_, i) => i % 3 === 0);
  it.each([
    [1, [1, 2, 3, 4, 5, 6]],
    [2, [3, 2, 1, 6, 5, 4]],
    [3, [6, 5, 4, 3, 2, 1]],
    [4, [4, 5, 6, 1, 2, 3]],
    [5, [1, 4, 2, 5, 3, 6]],
    [6, [4, 1, 5, 2, 6, 3]],
    [7, [6, 3, 5, 2, 4, 1]],
    [8, [3, 6, 2, 5, 1, 4]],
  ])('orientation %i', (orientation, want) => {
    expect(shown(orientation)).toEqual(want);
  });
});

describe('decodeForModel', () => {
  const size = { width: 24, height: 16, fit: 'cover' as Fit };

  it('decodes JPEG (libjpeg-turbo) and PNG (sharp) of the same picture to the same pixels', async () => {
    const picture = raw(quadrants(300, 200), 300, 200);
    const fromJpeg = await decodeForModel(await picture.clone().jpeg({ quality: 95 }).toBuffer(), size);
    const fromPng = await decodeForModel(await picture.clone().png().toBuffer(), size);
    expect(fromJpeg.length).toBe(24 * 16 * 3);
    expect(meanAbsDiff(fromJpeg, fromPng)).toBeLessThan(2);
  });

  it('shows every EXIF orientation the way sharp turns it', async () => {
    const picture = raw(quadrants(60, 40), 60, 40);
    for (let orientation = 1; orientation <= 8; orientation++) {
      const jpeg = await picture.clone().jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
      // The reference: sharp turns the whole picture; we resize the lossless PNG of that.
      const turned = await sharp(jpeg).rotate().png().toBuffer();
      expect(meanAbsDiff(await decodeForModel(jpeg, size), await decodeForModel(turned, size))).toBeLessThan(
        2,
      );
    }
  });

  it('decodes greyscale, progressive, ICC-profiled and CMYK JPEGs and alpha PNGs as sharp sees them', async () => {
    const picture = raw(quadrants(64, 48), 64, 48);
    const grey = await decodeForModel(await picture.clone().toColourspace('b-w').jpeg().toBuffer(), size);
    for (let i = 0; i < grey.length; i += 3) expect([grey[i], grey[i]]).toEqual([grey[i + 1], grey[i + 2]]);
    const variants = [
      picture.clone().jpeg({ progressive: true, quality: 95 }),
      picture.clone().jpeg({ quality: 95 }).withIccProfile('p3'),
      picture.clone().toColourspace('cmyk').jpeg({ quality: 95 }),
      picture.clone().ensureAlpha(0.5).png(),
      picture.clone().webp({ quality: 95 }),
    ];
    for (const v of variants) {
      const bytes = await v.toBuffer();
      // The reference: sharp's own sRGB rendering of the file, resized from a lossless PNG. (With
      // alpha, sharp's shrink works on premultiplied pixels, which moves the result by 2 levels.)
      const seen = await sharp(bytes).toColourspace('srgb').removeAlpha().png().toBuffer();
      expect(meanAbsDiff(await decodeForModel(bytes, size), await decodeForModel(seen, size))).toBeLessThan(
        2.5,
      );
    }
  });

  it('shrinks huge images while decoding and gives the same picture', async () => {
    const picture = raw(quadrants(2600, 1800), 2600, 1800); // 4.7 MP: beyond FAST_JPEG_MAX_PIXELS
    const big = await decodeForModel(await picture.clone().jpeg({ quality: 90 }).toBuffer(), size);
    const small = await decodeForModel(await picture.clone().resize(650, 450).png().toBuffer(), size);
    expect(meanAbsDiff(big, small)).toBeLessThan(2);
  });

  it('refuses what it cannot decode with a reason', async () => {
    const jpeg = await raw(quadrants(64, 48), 64, 48).jpeg().toBuffer();
    const fails = (bytes: Buffer, message: RegExp) =>
      expect(decodeForModel(bytes, size)).rejects.toThrow(
        expect.objectContaining({ name: ImageDecodeError.name, message: expect.stringMatching(message) }),
      );
    await fails(Buffer.from('GIF89a'), /not a JPEG, PNG or WebP/);
    await fails(jpeg.subarray(0, jpeg.length >> 1), /corrupt or truncated/);
    await fails(Buffer.concat([jpeg.subarray(0, 40), Buffer.alloc(200, 7)]), /./);
    // A frame header claiming 60000 × 60000 pixels: refused before anything is allocated.
    const bomb = Buffer.from(jpeg);
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(60000, sof + 5);
    bomb.writeUInt16BE(60000, sof + 7);
    await fails(bomb, /more than 50 megapixels/);
  });
});
