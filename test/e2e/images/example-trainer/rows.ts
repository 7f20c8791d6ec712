// The rows of a tabular Dataset's items: each item is a file of rows, `.csv` with a header row or
// `.jsonl` with one JSON object per line. Empty cells, null and missing keys are missing values.
import { UserError } from './errors.ts';

/** A cell: a number, a string, or null for a missing value. */
export type Cell = number | string | null;
/** One row, by column name (a Map: column names are user data, `__proto__` included). */
export type Row = Map<string, Cell>;

function invalid(message: string): never {
  throw new UserError('DatasetInvalid', message);
}

/** Splits CSV text into records of fields (RFC 4180: quoted fields, "" for a quote, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    // A blank line is no record.
    if (record.length > 1 || record[0] !== '') records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') endRecord();
    else if (c !== '\r' || text[i + 1] !== '\n') field += c;
    i++;
  }
  if (quoted) throw new Error('a quoted field is not closed');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

function csvRows(path: string, text: string): Row[] {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (e) {
    invalid(`item ${path}: ${(e as Error).message}`);
  }
  const [header, ...body] = records;
  if (!header) return [];
  return body.map((fields, n) => {
    if (fields.length !== header.length)
      invalid(`item ${path} row ${n + 1} has ${fields.length} fields, the header has ${header.length}`);
    return new Map(header.map((name, j) => [name, fields[j] === '' ? null : (fields[j] as string)]));
  });
}

function cell(value: unknown): Cell {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value);
}

function jsonlRows(path: string, text: string): Row[] {
  const rows: Row[] = [];
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      invalid(`item ${path} line ${n + 1} is not valid JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      invalid(`item ${path} line ${n + 1} is not a JSON object`);
    rows.push(new Map(Object.entries(value).map(([k, v]) => [k, cell(v)])));
  });
  return rows;
}

export function parseRows(path: string, data: Buffer): Row[] {
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return csvRows(path, text);
  if (lower.endsWith('.jsonl')) return jsonlRows(path, text);
  return invalid(`item ${path} is neither .csv nor .jsonl; a tabular Dataset's items are files of rows`);
}

/** A cell as a number: a JSON number, or text that reads as a finite number. */
export function numeric(value: Cell): number | undefined {
  if (typeof value === 'number') return value;
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
