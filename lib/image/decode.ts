// Turns an image file (JPEG, PNG or WebP) into the RGB pixels a model takes: shown the way a
// person sees it (EXIF orientation, sRGB, no alpha) and resized with a fit. The image trainer and
// the inference server both decode here, so a model is served exactly the pixels it was trained on.
//
// Small plain JPEGs (8-bit, YCbCr or greyscale, no ICC profile, up to FAST_JPEG_MAX_PIXELS) are
// decoded whole by libjpeg-turbo in one synchronous call: libvips hands each image between several
// threads, which costs more than decoding a thumbnail. sharp (libvips) handles everything else — colour
// profiles, CMYK, PNG, WebP, and larger photos, which it shrinks while decoding.
import jpegTurbo from '@julusian/jpeg-turbo';
import sharp from 'sharp';
import { imageFormat } from './format.ts';
import { readJpegHeader } from './jpeg-header.ts';
import { orientRgb, swapsAxes } from './orientation.ts';
import { type Fit, resizeToRgb } from './resample.ts';
import { Scratch } from './scratch.ts';
import { MAX_SHRINK, type Region, type Rgbx, shrinkRgbx } from './shrink.ts';

// Per-image threads do not pay for model-sized outputs; requests run in parallel on libuv's pool.
sharp.concurrency(1);
// Every image is a new one, so libvips' operation cache would only hold memory.
sharp.cache(false);

/** Decompression bombs: a small file may claim a huge canvas. */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Beyond this, sharp's shrink-on-load beats a whole decode (measured by test/bench/image-decode). */
export const FAST_JPEG_MAX_PIXELS = 1_000_000;

export interface ModelImageSize {
  width: number;
  height: number;
  fit: Fit;
}

/** An image that cannot be decoded; the message says why, for a 400 or a DatasetInvalid. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

/** RGB bytes, size.height × size.width × 3. */
export async function decodeForModel(bytes: Buffer, size: ModelImageSize): Promise<Buffer> {
  const format = imageFormat(bytes);
  if (!format) throw new ImageDecodeError('not a JPEG, PNG or WebP image');
  // Markers this reader does not follow leave the JPEG to sharp, which tolerates more.
  const header = format === 'jpeg' ? readJpegHeader(bytes) : undefined;
  if (header && header.width * header.height > MAX_INPUT_PIXELS)
    throw new ImageDecodeError(
      `the image is ${header.width}×${header.height}, more than ${MAX_INPUT_PIXELS / 1e6} megapixels`,
    );
  const plain =
    header?.huffman &&
    header.precision === 8 &&
    (header.components === 1 || header.components === 3) &&
    !header.iccProfile &&
    header.width * header.height <= FAST_JPEG_MAX_PIXELS;
  const orientation = plain ? header.orientation : 1; // sharp applies its own
  // Resize in the stored orientation, then turn the small result.
  const stored = swapsAxes(orientation) ? { ...size, width: size.height, height: size.width } : size;
  const rgb = plain
    ? decodeWholeJpeg(bytes, header, (image) => resizeRgbx(image, stored))
    : resizeRgbx(await decodeWithSharp(bytes, stored), stored);
  return orientRgb(rgb, stored.width, stored.height, orientation);
}

// The two decoders and the resize are exported for the decode benchmark, which times them apart.

/**
 * The output buffer of whole decodes, reused: allocating a fresh one outside V8's heap for every
 * image costs more than a third of a thumbnail's decode (page faults), and adds GC pressure.
 */
const wholeDecode = new Scratch();

/**
 * Decodes a plain JPEG whole, in its stored orientation, and hands it to `use`. Synchronous on
 * purpose: a thumbnail decodes in about a quarter of a millisecond, less than handing it to
 * libuv's pool and back costs on a busy core, and it lets one buffer serve every decode.
 */
export function decodeWholeJpeg<T>(
  bytes: Buffer,
  header: { width: number; height: number },
  use: (image: Rgbx) => T,
): T {
  const size = header.width * header.height * 4;
  // Sized once for the largest whole decode, so it does not grow step by step.
  const scratch = wholeDecode.bytes(Math.max(size, FAST_JPEG_MAX_PIXELS * 4));
  let decoded: { data: Buffer; width: number; height: number };
  try {
    decoded = jpegTurbo.decompressSync(bytes, scratch, { format: jpegTurbo.FORMAT_RGBX });
  } catch {
    // libjpeg-turbo's own message is often just "No error" for damaged data.
    throw new ImageDecodeError('the JPEG data is corrupt or truncated');
  }
  return use({ pixels: decoded.data, width: decoded.width, height: decoded.height });
}

/** Decodes any supported image turned upright, shrunk on load to no less than twice `size`. */
export async function decodeWithSharp(bytes: Buffer, size: ModelImageSize): Promise<Rgbx> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
      .rotate() // EXIF orientation, as the picture is seen
      .toColourspace('srgb')
      // Shrinks while decoding where the format allows (JPEG, WebP), but leaves our resampler
      // twice the output, so every image ends in the same filter.
      .resize({ width: size.width * 2, height: size.height * 2, fit: 'outside', withoutEnlargement: true })
      .removeAlpha()
      .ensureAlpha(1)
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels - 1} colour channels`);
    return { pixels: data, width: info.width, height: info.height };
  } catch (e) {
    throw new ImageDecodeError((e as Error).message);
  }
}

/** A block shrink first, when it leaves the exact resampler at least 2 source pixels per output pixel. */
export function resizeRgbx(image: Rgbx, size: ModelImageSize): Buffer {
  const rx = image.width / size.width;
  const ry = image.height / size.height;
  // Source pixels per output pixel on the axis that is reduced least.
  const ratio = size.fit === 'contain' ? Math.max(rx, ry) : Math.min(rx, ry);
  const k = Math.min(MAX_SHRINK, Math.floor(ratio / 2));
  if (k < 2)
    return resizeToRgb(image.pixels, image.width, image.height, 4, size.width, size.height, size.fit);
  // A cover fit only shows the centre: shrink just that (a quarter less work for a 4:3 photo).
  const shown = size.fit === 'cover' ? coverRegion(image, size) : undefined;
  const small = shrinkRgbx(image, k, shown);
  return resizeToRgb(small.pixels, small.width, small.height, 4, size.width, size.height, size.fit);
}

/** The centre of the image that a cover fit shows, rounded out to whole pixels. */
function coverRegion(image: Rgbx, size: ModelImageSize): Region {
  const scale = Math.max(size.width / image.width, size.height / image.height);
  const width = Math.min(image.width, Math.ceil(size.width / scale));
  const height = Math.min(image.height, Math.ceil(size.height / scale));
  return { x: (image.width - width) >> 1, y: (image.height - height) >> 1, width, height };
}
