// Times the two ways lib/image decodes a JPEG for a model — libjpeg-turbo whole, and sharp with
// shrink-on-load — at several photo sizes and model sizes, each followed by the same resize, so
// the size up to which decodeForModel takes libjpeg-turbo (FAST_JPEG_MAX_PIXELS) rests on
// figures. Also times Pillow's decode and fit of the same files when a Python with Pillow is given.
// Prints a table; it asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeWholeJpeg,
  decodeWithSharp,
  FAST_JPEG_MAX_PIXELS,
  type ModelImageSize,
  resizeRgbx,
} from '../../../lib/image/decode.ts';
import { seeded } from '../../unit/inference-server/test-models.ts';
import { photoJpeg } from '../photo.ts';

const MILLIS = Number(process.env.BENCH_MILLIS ?? 1500);
const PHOTOS: [number, number][] = [
  [320, 240],
  [640, 480],
  [800, 600],
  [1024, 768],
  [1600, 1200],
];
const MODELS: ModelImageSize[] = [
  { width: 32, height: 32, fit: 'cover' },
  { width: 224, height: 224, fit: 'cover' },
];
const python = process.argv[2];

/** Microseconds per call, after a warm-up, one call at a time. */
async function time(once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await once();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < MILLIS) {
    await once();
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

const dir = mkdtempSync(join(tmpdir(), 'bosun-decode-'));
try {
  const rows: string[] = [];
  for (const [w, h] of PHOTOS) {
    const jpeg = await photoJpeg(w, h, seeded(w * h));
    const file = join(dir, `${w}x${h}.jpg`);
    writeFileSync(file, jpeg);
    for (const size of MODELS) {
      const header = { width: w, height: h };
      const turbo = await time(async () => decodeWholeJpeg(jpeg, header, (image) => resizeRgbx(image, size)));
      const vips = await time(async () => resizeRgbx(await decodeWithSharp(jpeg, size), size));
      const pillow = python
        ? Number(
            execFileSync(python, [
              fileURLToPath(new URL('pillow.py', import.meta.url)),
              file,
              String(size.width),
              String(MILLIS),
            ]).toString(),
          )
        : Number.NaN;
      const chosen = w * h <= FAST_JPEG_MAX_PIXELS ? 'libjpeg-turbo' : 'sharp';
      rows.push(
        `| ${w}×${h} | ${size.width}×${size.height} | ${turbo.toFixed(0)} | ${vips.toFixed(0)} | ${Number.isNaN(pillow) ? 'n/a' : pillow.toFixed(0)} | ${chosen} |`,
      );
      process.stderr.write(`  ${rows.at(-1)}\n`);
    }
  }
  console.log(`\nµs per image, decode + resize, one at a time (${MILLIS} ms each)\n`);
  console.log(
    '| photo | model input | libjpeg-turbo whole | sharp shrink-on-load | Pillow (FastAPI side) | decodeForModel takes |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
