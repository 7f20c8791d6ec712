// Small synthetic photo folders for image tests: horizontal vs vertical vs diagonal stripes in
// random colours and phases, so only the spatial pattern tells the classes apart.
import sharp from 'sharp';
import { rng } from '../../../images/trainer/data/random.ts';

export const STRIPE_CLASSES = ['diagonal', 'horizontal', 'vertical'] as const;

export async function stripeImages(
  perClass: number,
  seed = 3,
  size = 24,
): Promise<{ path: string; label: string; data: Buffer }[]> {
  const random = rng(seed);
  const out: { path: string; label: string; data: Buffer }[] = [];
  for (const label of STRIPE_CLASSES)
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(size * size * 3);
      const period = 4 + Math.floor(random() * 4);
      const phase = Math.floor(random() * period);
      const fg = [random() * 255, random() * 255, random() * 255];
      const bg = fg.map((v) => 255 - v);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const t = label === 'horizontal' ? y : label === 'vertical' ? x : x + y;
          const on = (t + phase) % period < period / 2;
          for (let c = 0; c < 3; c++)
            pixels[(y * size + x) * 3 + c] = Math.max(
              0,
              Math.min(255, ((on ? fg : bg)[c] as number) + (random() - 0.5) * 60),
            );
        }
      const data = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .jpeg()
        .toBuffer();
      out.push({ path: `${label}/${i}.jpg`, label, data });
    }
  return out;
}
