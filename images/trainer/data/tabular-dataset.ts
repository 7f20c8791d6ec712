// Turns a loaded table into a supervised problem: the target, the feature columns with their kinds
// (inferred, or as the user set them), and the rows that have a target.
import { UserError } from '../../../lib/contract/errors.ts';
import { type Column, type ColumnKind, describeColumns, type Table } from './table.ts';

export type ColumnSetting = ColumnKind | 'ignore';

export interface FeatureColumn {
  name: string;
  kind: ColumnKind;
  /** Values for the kept rows only. */
  values: Float64Array | (string | null)[];
}

export type Target =
  | { kind: 'classification'; labels: string[]; y: Int32Array }
  | { kind: 'regression'; y: Float64Array };

export interface TabularProblem {
  target: string;
  features: FeatureColumn[];
  y: Target;
  rows: number;
  droppedRows: number;
}

function invalid(message: string): never {
  throw new UserError('DatasetInvalid', message);
}

export function makeProblem(
  table: Table,
  options: { target: string; task: 'classification' | 'regression'; columns: Record<string, ColumnSetting> },
): TabularProblem {
  if (table.rows === 0) throw new UserError('DatasetEmpty', 'the dataset has no rows');
  const targetColumn = table.columns.get(options.target);
  if (!targetColumn)
    invalid(`unknown target column "${options.target}"; the columns are ${describeColumns(table)}`);
  for (const name of Object.keys(options.columns))
    if (!table.columns.has(name))
      invalid(
        `hyperparameter columns names unknown column "${name}"; the columns are ${describeColumns(table)}`,
      );
  if (options.columns[options.target] !== undefined)
    invalid(`column "${options.target}" is the target; it cannot also be set in columns`);

  const keep: number[] = [];
  let y: Target;
  if (options.task === 'classification') {
    const text = asText(targetColumn);
    for (let i = 0; i < table.rows; i++) if (text[i] !== null) keep.push(i);
    const labels = [...new Set(keep.map((i) => text[i] as string))].sort();
    const index = new Map(labels.map((l, k) => [l, k]));
    if (keep.length === 0)
      throw new UserError('DatasetEmpty', `no row has a value in the target "${options.target}"`);
    if (labels.length < 2)
      invalid(
        `the target "${options.target}" has only one class (${JSON.stringify(labels[0])}); classification needs at least two`,
      );
    y = {
      kind: 'classification',
      labels,
      y: Int32Array.from(keep, (i) => index.get(text[i] as string) as number),
    };
  } else {
    if (targetColumn.kind !== 'numeric')
      invalid(
        `the regression target "${options.target}" has non-numeric values such as ${firstText(targetColumn)}`,
      );
    for (let i = 0; i < table.rows; i++) if (!Number.isNaN(targetColumn.values[i])) keep.push(i);
    if (keep.length === 0)
      throw new UserError('DatasetEmpty', `no row has a value in the target "${options.target}"`);
    y = { kind: 'regression', y: Float64Array.from(keep, (i) => targetColumn.values[i] as number) };
  }

  const features: FeatureColumn[] = [];
  for (const column of table.columns.values()) {
    if (column.name === options.target) continue;
    const setting = options.columns[column.name];
    if (setting === 'ignore') continue;
    const kind = setting ?? column.kind;
    if (kind === 'numeric') {
      if (column.kind !== 'numeric')
        invalid(`column "${column.name}" is set to numeric but has the value ${firstText(column)}`);
      features.push({
        name: column.name,
        kind,
        values: Float64Array.from(keep, (i) => column.values[i] as number),
      });
    } else {
      const text = asText(column);
      features.push({ name: column.name, kind, values: keep.map((i) => text[i] as string | null) });
    }
  }
  if (features.length === 0) invalid('no feature columns are left besides the target');
  return { target: options.target, features, y, rows: keep.length, droppedRows: table.rows - keep.length };
}

function asText(column: Column): (string | null)[] {
  if (column.kind === 'categorical') return column.values;
  return Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v)));
}

function firstText(column: Column): string {
  if (column.kind === 'numeric') return '';
  const v = column.values.find((x) => x !== null && !Number.isFinite(Number(x)));
  return JSON.stringify(v);
}
