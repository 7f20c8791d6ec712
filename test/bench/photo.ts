// Photo-like JPEGs for the benchmarks: smooth gradients with noise, as a camera would give, so
// that decoding costs what it costs on real photos (noise keeps the entropy-coded data large).
import sharp from 'sharp';

export function photoJpeg(width: number, height: number, random: () => number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x / width) * 200 + random() * 40;
      pixels[i + 1] = (y / height) * 180 + random() * 40;
      pixels[i + 2] = 90 + 60 * Math.sin((x * 320) / width / 17 + (y * 240) / height / 23) + random() * 30;
    }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** The photo with `text` in a JPEG comment (COM) after SOI: other bytes, the same pixels and decode cost. */
export function photoVariant(photo: Buffer, text: string): Buffer {
  const comment = Buffer.from(text);
  const segment = Buffer.alloc(4 + comment.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(comment.length + 2, 2);
  comment.copy(segment, 4);
  return Buffer.concat([photo.subarray(0, 2), segment, photo.subarray(2)]);
}
