import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../../lib/dataset/digest-set.ts';

const sha = (i: number) => createHash('sha256').update(String(i)).digest('hex');

describe('DigestSet', () => {
  it('adds each digest once and knows what it holds, across growth', () => {
    const set = new DigestSet();
    for (let i = 0; i < 5000; i++) expect(set.add(sha(i))).toBe(true);
    for (let i = 0; i < 5000; i += 7) expect(set.add(sha(i))).toBe(false);
    expect(set.size).toBe(5000);
    expect(set.has(sha(4999))).toBe(true);
    expect(set.has(sha(5000))).toBe(false);
  });

  it('tells apart digests that share their first bytes (one probe chain)', () => {
    const set = new DigestSet();
    const a = `00000000${'1'.repeat(56)}`;
    const b = `00000000${'2'.repeat(56)}`;
    expect(set.add(a)).toBe(true);
    expect(set.add(b)).toBe(true);
    expect(set.has(`00000000${'3'.repeat(56)}`)).toBe(false);
    expect(set.add('0'.repeat(64))).toBe(true);
    expect(set.has('0'.repeat(64))).toBe(true);
    expect(set.size).toBe(3);
  });

  it('marks a digest taken once, until every take is forgotten', () => {
    const set = new DigestSet(3);
    set.add(sha(1));
    expect(set.take(sha(1))).toBe(true);
    expect(set.take(sha(1))).toBe(false);
    expect(set.take(sha(2))).toBe(false);
    expect(set.has(sha(1))).toBe(true);
    // A table that grows keeps what was taken.
    for (let i = 10; i < 3000; i++) set.add(sha(i));
    expect(set.take(sha(1))).toBe(false);
    set.untakeAll();
    expect(set.take(sha(1))).toBe(true);
  });

  it('refuses what is not a sha256', () => {
    expect(() => new DigestSet().add('ABC')).toThrow('not a sha256 digest');
  });
});
