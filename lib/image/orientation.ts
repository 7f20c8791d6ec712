// Turns pixels stored in a camera's orientation into the picture as it is seen (EXIF orientation
// 1–8). Applied to the small resized output, not the full decode, because it is cheaper there.

/** Orientations 5–8 swap width and height. */
export const swapsAxes = (orientation: number): boolean => orientation >= 5;

/** `rgb` is width × height × 3 as stored; the result is the displayed picture. */
export function orientRgb(rgb: Buffer, width: number, height: number, orientation: number): Buffer {
  if (orientation === 1) return rgb;
  const swap = swapsAxes(orientation);
  const outWidth = swap ? height : width;
  const outHeight = swap ? width : height;
  const out = Buffer.alloc(rgb.length);
  for (let y = 0; y < outHeight; y++)
    for (let x = 0; x < outWidth; x++) {
      // Where displayed pixel (x, y) is stored.
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          sx = width - 1 - x;
          sy = y;
          break;
        case 3:
          sx = width - 1 - x;
          sy = height - 1 - y;
          break;
        case 4:
          sx = x;
          sy = height - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = height - 1 - x;
          break;
        case 7:
          sx = width - 1 - y;
          sy = height - 1 - x;
          break;
        default: // 8
          sx = width - 1 - y;
          sy = x;
      }
      const from = (sy * width + sx) * 3;
      const to = (y * outWidth + x) * 3;
      out[to] = rgb[from] as number;
      out[to + 1] = rgb[from + 1] as number;
      out[to + 2] = rgb[from + 2] as number;
    }
  return out;
}
