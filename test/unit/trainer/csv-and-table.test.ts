import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../images/trainer/data/csv.ts';
import { loadTable } from '../../../images/trainer/data/table.ts';
import { makeProblem } from '../../../images/trainer/data/tabular-dataset.ts';

const file = (path: string, text: string) => ({ path, data: Buffer.from(text) });

describe('CSV', () => {
  it('reads quotes, doubled quotes, embedded commas and newlines, CRLF and a missing final newline', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n3,4')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
      ['3', '4'],
    ]);
  });

  it('refuses an unterminated quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated/);
  });
});

describe('tables', () => {
  it('merges CSV and JSONL files, infers kinds and keeps text columns as written', () => {
    const table = loadTable(
      [
        file('a.csv', 'age,zip,city\n31,007,oslo\n,010,\n'),
        file('b.jsonl', '{"age": 40, "zip": "123", "extra": true}\n'),
      ],
      new Set(['zip']),
    );
    expect(table.rows).toBe(3);
    const age = table.columns.get('age');
    expect(age?.kind).toBe('numeric');
    expect(Array.from(age?.values as Float64Array)).toEqual([31, Number.NaN, 40]);
    expect(table.columns.get('zip')?.values).toEqual(['007', '010', '123']);
    expect(table.columns.get('city')?.values).toEqual(['oslo', null, null]);
    expect(table.columns.get('extra')?.values).toEqual([null, null, 'true']);
  });

  it('turns a column to text at its first non-number', () => {
    const table = loadTable([file('a.csv', 'v\n1\n2.5\nthree\n')], new Set());
    expect(table.columns.get('v')).toMatchObject({ kind: 'categorical', values: ['1', '2.5', 'three'] });
  });

  it.each([
    [file('a.csv', 'a,a\n1,2\n'), /names column "a" twice/],
    [file('a.csv', 'a,b\n1\n'), /row 2 has 1 fields, the header has 2/],
    [file('a.jsonl', '{"a":1}\n[1]\n'), /line 2 is not a JSON object/],
    [file('a.parquet', ''), /must be .csv or .jsonl/],
  ])('explains a malformed file (%#)', (f, message) => {
    expect(() => loadTable([f], new Set())).toThrow(message);
  });
});

describe('supervised problems', () => {
  const table = () =>
    loadTable([file('a.csv', 'x,city,y\n1,oslo,a\n2,lima,b\n3,,\n4,oslo,b\n')], new Set(['y']));

  it('drops rows without a target and applies column settings', () => {
    const p = makeProblem(table(), { target: 'y', task: 'classification', columns: { city: 'ignore' } });
    expect(p.rows).toBe(3);
    expect(p.droppedRows).toBe(1);
    expect(p.features.map((f) => f.name)).toEqual(['x']);
    expect(p.y).toEqual({ kind: 'classification', labels: ['a', 'b'], y: Int32Array.from([0, 1, 1]) });
  });

  it('can treat a numeric column as categorical', () => {
    const p = makeProblem(table(), { target: 'y', task: 'classification', columns: { x: 'categorical' } });
    expect(p.features[0]).toMatchObject({ name: 'x', kind: 'categorical', values: ['1', '2', '4'] });
  });

  it.each([
    [
      { target: 'z', task: 'classification' as const, columns: {} },
      /unknown target column "z"; the columns are "x", "city", "y"/,
    ],
    [
      { target: 'y', task: 'classification' as const, columns: { nope: 'ignore' as const } },
      /unknown column "nope"/,
    ],
    [
      { target: 'y', task: 'classification' as const, columns: { city: 'numeric' as const } },
      /"city" is set to numeric but has the value "oslo"/,
    ],
    [
      { target: 'y', task: 'regression' as const, columns: {} },
      /regression target "y" has non-numeric values/,
    ],
    [
      {
        target: 'y',
        task: 'classification' as const,
        columns: { x: 'ignore' as const, city: 'ignore' as const },
      },
      /no feature columns/,
    ],
  ])('explains %j', (options, message) => {
    expect(() => makeProblem(table(), options)).toThrow(message);
  });
});
