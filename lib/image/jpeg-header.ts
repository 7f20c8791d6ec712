// Reads what a JPEG's markers say before its scan: size, components, coding process, the EXIF
// orientation and whether it carries an ICC profile. Decides whether libjpeg-turbo alone decodes
// it exactly as sharp would (plain 8-bit sRGB or greyscale) or sharp must (colour management).

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Baseline, extended sequential or progressive Huffman coding (SOF0–SOF2). */
  huffman: boolean;
  /** EXIF orientation 1–8 (1 when absent or unreadable). */
  orientation: number;
  iccProfile: boolean;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const EXIF = Buffer.from('Exif\0\0', 'latin1');
const ICC = Buffer.from('ICC_PROFILE\0', 'latin1');

/** The orientation tag (0x0112) of IFD0 in a TIFF block; 1 when missing or out of bounds. */
function exifOrientation(tiff: Buffer): number {
  if (tiff.length < 8) return 1;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return 1;
  const le = order === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** Undefined when the markers before the first scan are malformed or name no frame. */
export function readJpegHeader(bytes: Buffer): JpegHeader | undefined {
  let orientation = 1;
  let iccProfile = false;
  let at = 2; // after SOI
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or a scan before any frame
    const length = bytes.readUInt16BE(at + 2);
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    const segment = bytes.subarray(start, end);
    if (marker === 0xe1 && segment.subarray(0, 6).equals(EXIF))
      orientation = exifOrientation(segment.subarray(6));
    else if (marker === 0xe2 && segment.subarray(0, 12).equals(ICC)) iccProfile = true;
    else if (SOF_MARKERS.has(marker)) {
      if (segment.length < 6) return undefined;
      return {
        precision: segment[0] as number,
        height: segment.readUInt16BE(1),
        width: segment.readUInt16BE(3),
        components: segment[5] as number,
        huffman: marker <= 0xc2,
        orientation,
        iccProfile,
      };
    }
    at = end;
  }
  return undefined;
}
