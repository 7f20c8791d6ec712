// The example trainer's reading of a tabular item: CSV as RFC 4180 writes it, JSON lines, and
// missing values; malformed items end as DatasetInvalid naming the item.
import { describe, expect, it } from 'vitest';
import { numeric, parseCsv, parseRows } from '../../e2e/images/example-trainer/rows.ts';
import { failure } from './failure.ts';

const rows = (path: string, text: string) =>
  parseRows(path, Buffer.from(text)).map((r) => Object.fromEntries(r));

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and line breaks, CRLF and LF, and skips blank lines', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n\n"two\nlines",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', ''],
    ]);
  });

  it('reads a last record without a line break and refuses an unclosed quote', () => {
    expect(parseCsv('a\n1')).toEqual([['a'], ['1']]);
    expect(() => parseCsv('a\n"1')).toThrow('a quoted field is not closed');
  });
});

describe('parseRows', () => {
  it('maps a CSV header to cells, empty cells missing, a byte order mark ignored', () => {
    expect(rows('t/a.CSV', '\uFEFFx,label\n1.5,cat\n,dog\n')).toEqual([
      { x: '1.5', label: 'cat' },
      { x: null, label: 'dog' },
    ]);
  });

  it('reads JSON lines: numbers stay numbers, null and "" are missing, other values become JSON text', () => {
    expect(rows('b.jsonl', '{"x":2,"y":null,"z":""}\n\n{"x":true,"w":[1]}')).toEqual([
      { x: 2, y: null, z: null },
      { x: 'true', w: '[1]' },
    ]);
  });

  it('names the item and the place of what it cannot read', () => {
    expect(failure(() => rows('a.csv', 'x,y\n1\n'))).toEqual([
      'DatasetInvalid',
      'item a.csv row 1 has 1 fields, the header has 2',
    ]);
    expect(failure(() => rows('a.csv', 'x\n"1'))).toEqual([
      'DatasetInvalid',
      'item a.csv: a quoted field is not closed',
    ]);
    expect(failure(() => rows('b.jsonl', '{"x":1}\n[1]'))).toEqual([
      'DatasetInvalid',
      'item b.jsonl line 2 is not a JSON object',
    ]);
    expect(failure(() => rows('b.jsonl', '{'))).toEqual([
      'DatasetInvalid',
      'item b.jsonl line 1 is not valid JSON',
    ]);
    expect(failure(() => rows('c.parquet', ''))[1]).toMatch(/^item c.parquet is neither .csv nor .jsonl/);
  });
});

describe('numeric', () => {
  it('takes numbers and numeric text, nothing else', () => {
    expect([3, '2.5', ' -1e3 ', 'abc', '', null, 'Infinity'].map((v) => numeric(v))).toEqual([
      3,
      2.5,
      -1000,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
