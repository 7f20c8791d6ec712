import { describe, expect, it } from 'vitest';
import { itemPath, pathSegment } from '../../../images/data-jobs/collect/item-path.ts';
import { tableFileProblem } from '../../../images/data-jobs/collect/table-file.ts';
import { parseItem } from '../../../lib/store/manifest.ts';

const sha = 'ab'.repeat(32);

describe('item paths', () => {
  it('are <label>/<source>/<name> for images, with the extension of their format', () => {
    expect(
      itemPath({ kind: 'image', label: 'cat', source: 'served', name: 'p1', sha256: sha, format: 'jpeg' }),
    ).toBe('cat/served/p1.jpg');
    expect(
      itemPath({ kind: 'image', label: 'cat', source: 'up', name: '2026/a.PNG', sha256: sha, format: 'png' }),
    ).toBe('cat/up/2026/a.PNG');
    expect(itemPath({ kind: 'table', label: null, source: 'lab', name: 'rows-x.jsonl', sha256: sha })).toBe(
      'lab/rows-x.jsonl',
    );
  });

  it('never let user data add a level, be empty, or read as "." or ".."', () => {
    expect(pathSegment('a/b')).toBe('a%2Fb');
    expect(pathSegment('..')).toBe('%2E.');
    expect(pathSegment('.')).toBe('%2E');
    expect(pathSegment('')).toBe('%00');
    for (const label of ['..', '.', '', 'a/../b', '\u0000x', 'ünïcödé'])
      for (const name of ['..', 'x/../../y', '', 'a//b']) {
        const path = itemPath({ kind: 'image', label, source: 'web', name, sha256: sha, format: 'webp' });
        expect(() =>
          parseItem(
            {
              path,
              sha256: sha,
              size: 1,
              label,
              source: 'web',
              verified: false,
              collectedAt: '2026-01-01T00:00:00Z',
            },
            1,
          ),
        ).not.toThrow();
      }
  });

  it('fall back to the digest for a name too long to be a path', () => {
    const path = itemPath({
      kind: 'image',
      label: 'cat',
      source: 's',
      name: 'x'.repeat(2000),
      sha256: sha,
      format: 'jpeg',
    });
    expect(path).toBe(`cat/s/${sha}.jpg`);
  });
});

describe('table files', () => {
  it('are UTF-8 CSV with a header row, or JSON lines of objects', () => {
    expect(tableFileProblem(Buffer.from('a,b\n1,2\n'), 'x.csv')).toBeUndefined();
    expect(tableFileProblem(Buffer.from('{"a":1}\n\n{"a":2}\n'), 'x.jsonl')).toBeUndefined();
  });

  it('say what is wrong otherwise', () => {
    expect(tableFileProblem(Buffer.from([0xff, 0xfe, 0x00]), 'x.csv')).toBe('not UTF-8 text');
    expect(tableFileProblem(Buffer.from('  \n'), 'x.csv')).toBe('empty');
    expect(tableFileProblem(Buffer.from('{"a":1}\n[1]\n'), 'x.jsonl')).toBe('line 2 is not a JSON object');
    expect(tableFileProblem(Buffer.from('{"a":1\n'), 'x.jsonl')).toBe('line 1 is not JSON');
    expect(tableFileProblem(Buffer.from('\n1,2\n'), 'x.csv')).toBe(
      'the first line (the header row) is empty',
    );
  });
});
