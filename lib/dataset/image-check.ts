// Whether a file is an image the platform can train on and serve: its format recognised by its
// bytes and the whole image decoded once with lib/image, as the trainer and the server decode it.
// What fails is left out of a Dataset and counted as corrupt.
import { decodeForModel, ImageDecodeError } from '../image/decode.ts';
import { type ImageFormat, imageFormat } from '../image/format.ts';

/** Decoded only to prove the bytes are an image: the smallest output costs the least. */
const CHECK_SIZE = { width: 8, height: 8, fit: 'fill' as const };

export type ImageVerdict = { format: ImageFormat; problem?: undefined } | { problem: string };

export async function checkImage(bytes: Buffer): Promise<ImageVerdict> {
  const format = imageFormat(bytes);
  if (!format) return { problem: 'not a JPEG, PNG or WebP image' };
  try {
    await decodeForModel(bytes, CHECK_SIZE);
    return { format };
  } catch (e) {
    // libvips repeats its complaint on several lines; the first says it.
    if (e instanceof ImageDecodeError) return { problem: e.message.split('\n')[0] as string };
    throw e;
  }
}
