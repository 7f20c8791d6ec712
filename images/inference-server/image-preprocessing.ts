// Decodes an uploaded JPEG, PNG or WebP with sharp and turns it into the model's input tensor,
// the way the image trainer decodes its training images (EXIF rotation, alpha removed, sRGB).
import sharp from 'sharp';
import type { HostTensor } from './datatypes.ts';
import { HttpError } from './http-error.ts';
import type { ImagePreprocessing } from './signature.ts';

// Per-image threads do not pay for small images; requests run in parallel on libuv's pool instead.
sharp.concurrency(1);
// Every upload is a new image, so libvips' operation cache would only hold memory.
sharp.cache(false);

/** Decompression bombs: a small file may claim a huge canvas. */
const MAX_INPUT_PIXELS = 50_000_000;

export function imageFormat(bytes: Buffer): 'jpeg' | 'png' | 'webp' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a)
    return 'png';
  if (
    bytes.length >= 12 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  )
    return 'webp';
  return undefined;
}

/** RGB bytes, height × width × 3. */
export async function decodeRgb(bytes: Buffer, p: ImagePreprocessing): Promise<Buffer> {
  if (!imageFormat(bytes)) throw new HttpError(415, 'the body is not a JPEG, PNG or WebP image');
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .resize(p.width, p.height, { fit: p.fit, background: { r: 0, g: 0, b: 0 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return data;
  } catch (e) {
    throw new HttpError(400, `the image cannot be decoded: ${(e as Error).message}`);
  }
}

/** The model input [1, 3, H, W] (NCHW) or [1, H, W, 3] (NHWC), as float32 or raw uint8. */
export function toTensor(rgb: Buffer, p: ImagePreprocessing, datatype: 'FP32' | 'UINT8'): HostTensor {
  const plane = p.width * p.height;
  const out = datatype === 'UINT8' ? new Uint8Array(plane * 3) : new Float32Array(plane * 3);
  const order = p.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const raw = datatype === 'UINT8';
  for (let c = 0; c < 3; c++) {
    const src = order[c] as number;
    const a = raw ? 1 : p.scale / (p.std[c] as number);
    const b = raw ? 0 : (p.mean[c] as number) / (p.std[c] as number);
    if (p.layout === 'NCHW') {
      const base = c * plane;
      for (let i = 0; i < plane; i++) out[base + i] = (rgb[i * 3 + src] as number) * a - b;
    } else for (let i = 0; i < plane; i++) out[i * 3 + c] = (rgb[i * 3 + src] as number) * a - b;
  }
  const shape = p.layout === 'NCHW' ? [1, 3, p.height, p.width] : [1, p.height, p.width, 3];
  return { datatype, shape, data: out };
}
