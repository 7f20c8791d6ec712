// Small synthetic tables for trainer tests: a known rule plus noise, with a categorical column
// and missing values, written as CSV or JSONL as a dataset's items would be.
import { rng } from '../../../images/trainer/data/random.ts';

export interface SyntheticRow {
  x1: number | null;
  x2: number;
  city: string | null;
  score: number;
  cls: string;
  flag: string;
}

export function syntheticRows(n: number, seed = 1, classes = 3): SyntheticRow[] {
  const random = rng(seed);
  const cities = ['oslo', 'lima', 'pune'];
  const rows: SyntheticRow[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = random() * 4 - 2;
    const x2 = random() * 4 - 2;
    const city = cities[Math.floor(random() * 3)] as string;
    const bonus = city === 'oslo' ? 1.5 : city === 'lima' ? -1.5 : 0;
    const score = 3 * x1 - 2 * x2 + bonus + (random() - 0.5) * 0.2;
    const cls = classes === 2 ? (score > 0 ? 'yes' : 'no') : score < -2 ? 'low' : score < 2 ? 'mid' : 'high';
    rows.push({
      x1: random() < 0.05 ? null : x1,
      x2,
      city: random() < 0.05 ? null : city,
      score,
      cls,
      flag: 'a',
    });
  }
  return rows;
}

export function toCsv(rows: SyntheticRow[], columns: (keyof SyntheticRow)[]): Buffer {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => (row[c] === null ? '' : String(row[c]))).join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

export function toJsonl(rows: SyntheticRow[], columns: (keyof SyntheticRow)[]): Buffer {
  return Buffer.from(
    rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, r[c]])))).join('\n'),
  );
}
