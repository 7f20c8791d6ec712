// Turns an uploaded JPEG, PNG or WebP into the model's input tensor, decoded as the image trainer
// decodes its training images (lib/image).
import { decodeForModel, ImageDecodeError } from '../../lib/image/decode.ts';
import { imageFormat } from '../../lib/image/format.ts';
import type { HostTensor } from './datatypes.ts';
import { HttpError } from './http-error.ts';
import type { ImagePreprocessing } from './signature.ts';

/** RGB bytes, height × width × 3. */
export async function decodeRgb(bytes: Buffer, p: ImagePreprocessing): Promise<Buffer> {
  if (!imageFormat(bytes)) throw new HttpError(415, 'the body is not a JPEG, PNG or WebP image');
  try {
    return await decodeForModel(bytes, p);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw new HttpError(400, `the image cannot be decoded: ${e.message}`);
    throw e;
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
