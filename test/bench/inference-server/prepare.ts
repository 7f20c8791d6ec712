// Writes what the inference server benchmark serves and sends: a small tabular classifier, the
// image trainer's CNN, a photo-sized JPEG, and request bodies (JSON, binary tensors, image).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  imageClassifier,
  seeded,
  tabularClassifier,
  writeModel,
} from '../../unit/inference-server/test-models.ts';
import { photoJpeg } from '../photo.ts';

export const FEATURES = 16;
export const IMAGE_SIZE = 32;

const dir = process.argv[2];
if (!dir) throw new Error('usage: prepare.ts <dir>');

const tabular = writeModel(join(dir, 'tabular'), tabularClassifier(FEATURES, 3));
const image = writeModel(join(dir, 'image'), imageClassifier(IMAGE_SIZE, 16));

const random = seeded(5);
const row = Array.from({ length: FEATURES }, () => Math.fround(random() * 4 - 2));
writeFileSync(join(dir, 'row.json'), JSON.stringify(row));
writeFileSync(
  join(dir, 'tabular.json'),
  JSON.stringify({ inputs: [{ name: 'x', shape: [1, FEATURES], datatype: 'FP32', data: row }] }),
);
const header = Buffer.from(
  JSON.stringify({
    inputs: [
      { name: 'x', shape: [1, FEATURES], datatype: 'FP32', parameters: { binary_data_size: FEATURES * 4 } },
    ],
    outputs: [{ name: 'probabilities', parameters: { binary_data: true } }, { name: 'label' }],
  }),
);
writeFileSync(join(dir, 'tabular.bin'), Buffer.concat([header, Buffer.from(Float32Array.from(row).buffer)]));

// A thumbnail-sized upload and a typical resized phone photo.
writeFileSync(join(dir, 'photo-320x240.jpg'), await photoJpeg(320, 240, random));
writeFileSync(join(dir, 'photo-1024x768.jpg'), await photoJpeg(1024, 768, random));

process.stdout.write(
  `${JSON.stringify({ tabular: { ...tabular, headerLength: header.length }, image, features: FEATURES, imageSize: IMAGE_SIZE })}\n`,
);
