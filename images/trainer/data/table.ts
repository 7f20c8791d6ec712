// Tabular datasets: rows from CSV and JSONL files gathered into typed columns. Numeric columns are
// Float64Arrays (NaN = missing), categorical ones are strings (null = missing).
import { UserError } from '../../../lib/contract/errors.ts';
import { parseCsv } from './csv.ts';

export type ColumnKind = 'numeric' | 'categorical';
export type Column =
  | { name: string; kind: 'numeric'; values: Float64Array }
  | { name: string; kind: 'categorical'; values: (string | null)[] };

export interface Table {
  rows: number;
  columns: Map<string, Column>;
}

export interface TableFile {
  path: string;
  data: Buffer;
}

/** Grows one column, as numbers while every value is a number, as text from the first that is not. */
class ColumnBuilder {
  nums: number[] = [];
  strs: (string | null)[] | null;

  constructor(asText: boolean, missingRows: number) {
    this.strs = asText ? [] : null;
    for (let i = 0; i < missingRows; i++) this.push(null);
  }

  get length(): number {
    return this.strs ? this.strs.length : this.nums.length;
  }

  push(value: unknown): void {
    if (value === undefined || value === null || value === '') {
      if (this.strs) this.strs.push(null);
      else this.nums.push(Number.NaN);
      return;
    }
    if (this.strs) {
      this.strs.push(typeof value === 'string' ? value : String(value));
      return;
    }
    if (typeof value === 'number') {
      this.nums.push(Number.isFinite(value) ? value : Number.NaN);
      return;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (Number.isFinite(n)) {
      this.nums.push(n);
      return;
    }
    this.strs = this.nums.map((x) => (Number.isNaN(x) ? null : String(x)));
    this.nums = [];
    this.strs.push(text);
  }

  build(name: string): Column {
    return this.strs
      ? { name, kind: 'categorical', values: this.strs }
      : { name, kind: 'numeric', values: Float64Array.from(this.nums) };
  }
}

function fileError(path: string, message: string): never {
  throw new UserError('DatasetInvalid', `${path}: ${message}`);
}

/**
 * Reads every file's rows into one table. `textColumns` are kept as text from the start (so codes
 * like "007" keep their zeros); other columns are numeric unless a value is not a number.
 */
export function loadTable(files: TableFile[], textColumns: Set<string>): Table {
  const builders = new Map<string, ColumnBuilder>();
  let rows = 0;
  const column = (name: string): ColumnBuilder => {
    let b = builders.get(name);
    if (!b) {
      b = new ColumnBuilder(textColumns.has(name), rows);
      builders.set(name, b);
    }
    return b;
  };
  const endRow = () => {
    rows++;
    for (const b of builders.values()) if (b.length < rows) b.push(null);
  };

  for (const file of files) {
    const text = file.data.toString('utf8').replace(/^\uFEFF/, '');
    if (/\.csv$/i.test(file.path)) {
      let records: string[][];
      try {
        records = parseCsv(text);
      } catch (e) {
        fileError(file.path, `not valid CSV: ${(e as Error).message}`);
      }
      const header = records[0];
      if (!header) continue;
      const names = header.map((h) => h.trim());
      const seen = new Set<string>();
      for (const name of names) {
        if (name === '') fileError(file.path, 'the header has an empty column name');
        if (seen.has(name)) fileError(file.path, `the header names column "${name}" twice`);
        seen.add(name);
      }
      const cols = names.map(column);
      for (let r = 1; r < records.length; r++) {
        const record = records[r] as string[];
        if (record.length !== names.length)
          fileError(file.path, `row ${r + 1} has ${record.length} fields, the header has ${names.length}`);
        for (let c = 0; c < cols.length; c++) (cols[c] as ColumnBuilder).push(record[c]);
        endRow();
      }
    } else if (/\.jsonl$|\.ndjson$/i.test(file.path)) {
      const lines = text.split('\n');
      for (let l = 0; l < lines.length; l++) {
        const line = (lines[l] as string).trim();
        if (line === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          fileError(file.path, `line ${l + 1} is not valid JSON`);
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          fileError(file.path, `line ${l + 1} is not a JSON object`);
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) column(k).push(v);
        endRow();
      }
    } else {
      fileError(file.path, 'tabular items must be .csv or .jsonl files');
    }
  }
  const columns = new Map<string, Column>();
  for (const [name, b] of builders) columns.set(name, b.build(name));
  return { rows, columns };
}

/** The table's column names, quoted, for error messages. */
export function describeColumns(table: Table): string {
  return [...table.columns.keys()].map((k) => JSON.stringify(k)).join(', ');
}
