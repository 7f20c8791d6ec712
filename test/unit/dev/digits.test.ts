import { describe, expect, it } from 'vitest';
import { type Digit, digitPath, digitPng, parseDigits, splitDigits } from '../../dev/digits.ts';

const row = (value: number, label: number) => [...Array(64).fill(value), label].join(',');

describe('parseDigits', () => {
  it('reads 64 pixels and a label per row, scaling 0–16 to 0–255', () => {
    const digits = parseDigits(`${row(16, 3)}\n${row(8, 7)}\n`);
    expect(digits).toHaveLength(2);
    expect(digits[0]).toMatchObject({ index: 0, label: '3' });
    expect(digits[0]?.pixels[0]).toBe(255);
    expect(digits[1]?.pixels[63]).toBe(128);
  });

  it('refuses a row that is not 65 integers, naming it', () => {
    expect(() => parseDigits(`${row(1, 1)}\n1,2,3\n`)).toThrow('row 2: expected 65 integers');
  });
});

const digitsOf = (perLabel: number): Digit[] =>
  Array.from({ length: perLabel * 3 }, (_, index) => ({
    index,
    label: String(index % 3),
    pixels: new Uint8Array(64),
  }));

describe('splitDigits', () => {
  it('takes gold and held-out digits per label, disjoint, and feedback from the held-out ones', () => {
    const split = splitDigits(digitsOf(10), { goldPerClass: 4, heldOutPerClass: 3, feedbackShare: 0.5 });
    expect(split.gold).toHaveLength(12);
    expect(split.heldOut).toHaveLength(9);
    for (const label of ['0', '1', '2']) {
      expect(split.gold.filter((d) => d.label === label)).toHaveLength(4);
      expect(split.heldOut.filter((d) => d.label === label)).toHaveLength(3);
    }
    const gold = new Set(split.gold.map((d) => d.index));
    expect(split.heldOut.some((d) => gold.has(d.index))).toBe(false);
    expect(split.feedback).toEqual(split.heldOut.slice(0, 5));
  });

  it('is the same for the same seed, and another for another', () => {
    const sizes = { goldPerClass: 4, heldOutPerClass: 3, feedbackShare: 0.5 };
    const a = splitDigits(digitsOf(10), sizes).gold.map((d) => d.index);
    expect(splitDigits(digitsOf(10), sizes).gold.map((d) => d.index)).toEqual(a);
    expect(splitDigits(digitsOf(10), { ...sizes, seed: 99 }).gold.map((d) => d.index)).not.toEqual(a);
  });

  it('says which label has too few digits', () => {
    expect(() => splitDigits(digitsOf(5), { goldPerClass: 4, heldOutPerClass: 3, feedbackShare: 0 })).toThrow(
      'digit 0 has 5 images, fewer than 4 + 3',
    );
  });
});

describe('digitPng', () => {
  it('is an 8×8 PNG at <label>/<index>.png', async () => {
    const digit = { index: 42, label: '7', pixels: new Uint8Array(64).fill(200) };
    const png = await digitPng(digit);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(8);
    expect(png.readUInt32BE(20)).toBe(8);
    expect(digitPath(digit)).toBe('7/0042.png');
  });
});
