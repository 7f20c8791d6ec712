// scikit-learn's digits (1,797 8×8 handwritten digits, the UCI optdigits test set) as PNG class
// folders, for the demo of `make dev` and its test. The data comes from the file scikit-learn
// ships in its wheel: the wheel is downloaded from PyPI once (pip, no install), the data file is
// read out of it and kept in the cache, so later runs need no network.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { rng, shuffle } from '../../images/trainer/data/random.ts';
import { cacheDir } from '../cluster/paths.ts';

const run = promisify(execFile);

export const SKLEARN_VERSION = '1.6.1';
const DIGITS_MEMBER = 'sklearn/datasets/data/digits.csv.gz';
/** Pixels of the data file run 0–16 (counts of set bits in 4×4 blocks). */
const MAX_PIXEL = 16;
export const DIGIT_SIDE = 8;

export interface Digit {
  /** Row of the data file, 0-based: the image's name. */
  index: number;
  label: string;
  /** 64 grey values, 0–255, row by row. */
  pixels: Uint8Array;
}

/** The cached data file, fetched from PyPI the first time. */
export async function digitsFile(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = join(cacheDir(), 'datasets', `scikit-learn-${SKLEARN_VERSION}`);
  const file = join(dir, 'digits.csv.gz');
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'download-'));
  try {
    log(`downloading scikit-learn ${SKLEARN_VERSION}'s wheel from PyPI for its digits data (once)`);
    // Any platform's wheel carries the same data file; pinning one makes the download independent
    // of the local Python.
    await run(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        '--platform=manylinux_2_17_x86_64',
        '--python-version=3.12',
        '--implementation=cp',
        '--dest',
        work,
        `scikit-learn==${SKLEARN_VERSION}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const script =
      'import glob, sys, zipfile; w = glob.glob(sys.argv[1] + "/*.whl")[0]; ' +
      'open(sys.argv[3], "wb").write(zipfile.ZipFile(w).read(sys.argv[2]))';
    await run('python3', ['-c', script, work, DIGITS_MEMBER, join(work, 'digits.csv.gz')]);
    // Published whole or not at all: an interrupted run fetches again.
    renameSync(join(work, 'digits.csv.gz'), file);
    return file;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `could not fetch scikit-learn ${SKLEARN_VERSION} from PyPI for the digits data: ${detail}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The data file's rows: 64 pixel values 0–16, then the digit. */
export function parseDigits(csv: string): Digit[] {
  return csv
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const values = line.split(',').map(Number);
      if (values.length !== DIGIT_SIDE * DIGIT_SIDE + 1 || values.some((v) => !Number.isInteger(v)))
        throw new Error(`digits data, row ${index + 1}: expected 65 integers`);
      const pixels = Uint8Array.from(values.slice(0, -1), (v) => Math.round((v * 255) / MAX_PIXEL));
      return { index, label: String(values[values.length - 1]), pixels };
    });
}

export async function loadDigits(log?: (line: string) => void): Promise<Digit[]> {
  return parseDigits(gunzipSync(readFileSync(await digitsFile(log))).toString('utf8'));
}

/** A digit as an 8×8 greyscale PNG. */
export function digitPng(digit: Digit): Promise<Buffer> {
  return sharp(Buffer.from(digit.pixels), {
    raw: { width: DIGIT_SIDE, height: DIGIT_SIDE, channels: 1 },
  })
    .png()
    .toBuffer();
}

/** The PNG's path in a class folder: `<label>/<index>.png`. */
export const digitPath = (digit: Digit) => `${digit.label}/${String(digit.index).padStart(4, '0')}.png`;

export interface DigitsSplit {
  /** The curated base data: the Dataset's gold. */
  gold: Digit[];
  /** Sent to the model later, as new data arriving in production would be. */
  heldOut: Digit[];
  /** The held-out digits whose true label a person gives back (the first share of them). */
  feedback: Digit[];
}

export interface SplitSizes {
  goldPerClass: number;
  heldOutPerClass: number;
  /** The share of held-out digits that get feedback, 0–1. */
  feedbackShare: number;
  seed?: number;
}

/**
 * A seeded split, stratified by label: each class's first `goldPerClass` digits (after a shuffle)
 * are gold and the next `heldOutPerClass` are held out; the held-out ones, shuffled together,
 * give the first `feedbackShare` of them feedback.
 */
export function splitDigits(digits: Digit[], sizes: SplitSizes): DigitsSplit {
  const random = rng(sizes.seed ?? 7);
  const byLabel = new Map<string, Digit[]>();
  for (const d of digits) byLabel.set(d.label, [...(byLabel.get(d.label) ?? []), d]);
  const gold: Digit[] = [];
  const heldOut: Digit[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const members = byLabel.get(label) as Digit[];
    if (members.length < sizes.goldPerClass + sizes.heldOutPerClass)
      throw new Error(
        `digit ${label} has ${members.length} images, fewer than ${sizes.goldPerClass} + ${sizes.heldOutPerClass}`,
      );
    const order = shuffle(
      Uint32Array.from(members, (_, i) => i),
      random,
    );
    const picked = Array.from(order, (i) => members[i] as Digit);
    gold.push(...picked.slice(0, sizes.goldPerClass));
    heldOut.push(...picked.slice(sizes.goldPerClass, sizes.goldPerClass + sizes.heldOutPerClass));
  }
  const mixed = Array.from(
    shuffle(
      Uint32Array.from(heldOut, (_, i) => i),
      random,
    ),
    (i) => heldOut[i] as Digit,
  );
  return { gold, heldOut: mixed, feedback: mixed.slice(0, Math.round(mixed.length * sizes.feedbackShare)) };
}
