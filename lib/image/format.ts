// Recognises the image formats the platform decodes by their first bytes, not by a file name or
// a Content-Type a client may get wrong.

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export function imageFormat(b: Buffer): ImageFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return 'webp';
  return undefined;
}
