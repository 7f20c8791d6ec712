// A batch's summary (`batches/<window>.json`, written after its manifest): what the window held
// per label and source, what was left out and why, labels that gold does not have, and what the
// next window needs to know (the content each URL had). Derived from the collection alone, with
// keys in a fixed order, so every publisher of one batch writes the same summary.

import type { CollectionWindow } from '../../../lib/dataset/batch-window.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import type { DatasetSpec } from '../../../operator/api/dataset.ts';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../sources/source.ts';
import type { SourceCounts, WindowCollection } from './items.ts';

/** Kept below the status' per-label limit (SnapshotStatus.labels). */
export const MAX_SUMMARY_LABELS = 10_000;

export interface BatchSummary {
  dataset: string;
  namespace: string;
  format: DatasetSpec['format'];
  window: { start: string; end: string };
  manifest: { uri: string; sha256: string };
  items: number;
  verified: number;
  /** Tabular: the rows of the batch's table files that the collector wrote (postgres sources). */
  rows?: number;
  /** Items (images) or rows (tables) per label, in label order; omitted past MAX_SUMMARY_LABELS. */
  labels?: Record<string, number>;
  /** How many distinct labels there were when `labels` is omitted. */
  distinctLabels?: number;
  /** Labels of this batch that gold has no folder for (imagefolder with gold only). */
  newLabels?: string[];
  /** Null when unknown (a summary rebuilt from the manifest alone). */
  duplicates: number | null;
  corrupt: number | null;
  leftOut: Record<LeftOutReason, number> | null;
  sources: Record<
    string,
    Omit<SourceCounts, 'leftOut'> & { leftOut: Partial<Record<LeftOutReason, number>> }
  >;
  /** Per source with content keys (http): key → sha256 of the content last collected or seen. */
  contents?: Record<string, Record<string, string>>;
  /** Set on a summary rebuilt from its manifest, saying why. */
  recovered?: string;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function countLabels(items: ManifestItem[], rowLabels: Map<string, number>): Map<string, number> {
  const labels = new Map(rowLabels);
  for (const item of items)
    if (item.label !== null) labels.set(item.label, (labels.get(item.label) ?? 0) + 1);
  return labels;
}

function labelFields(labels: Map<string, number>, goldLabels: Set<string> | undefined) {
  const fields: Pick<BatchSummary, 'labels' | 'distinctLabels' | 'newLabels'> = {};
  if (labels.size <= MAX_SUMMARY_LABELS) fields.labels = sortedRecord(labels);
  else fields.distinctLabels = labels.size;
  if (goldLabels) fields.newLabels = [...labels.keys()].filter((l) => !goldLabels.has(l)).sort();
  return fields;
}

function rowCount(items: ManifestItem[]): number | undefined {
  const rows = items.map((i) => i.attributes.rows).filter((n): n is number => typeof n === 'number');
  return rows.length > 0 ? rows.reduce((a, b) => a + b, 0) : undefined;
}

function nonZero(counts: Record<LeftOutReason, number>): Partial<Record<LeftOutReason, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

export interface SummaryContext {
  dataset: string;
  namespace: string;
  format: DatasetSpec['format'];
  window: CollectionWindow;
  manifestUri: string;
  /** Folder names under gold (imagefolder), when gold is given and could be listed. */
  goldLabels: Set<string> | undefined;
}

export function buildSummary(
  ctx: SummaryContext,
  written: { sha256: string; count: number },
  collected: WindowCollection,
  contents: Record<string, Record<string, string>>,
): BatchSummary {
  const leftOut = Object.fromEntries(LEFT_OUT_REASONS.map((r) => [r, 0])) as Record<LeftOutReason, number>;
  let duplicates = 0;
  const sources: BatchSummary['sources'] = {};
  for (const [name, c] of collected.counts) {
    for (const r of LEFT_OUT_REASONS) leftOut[r] += c.leftOut[r];
    duplicates += c.duplicates;
    sources[name] = { ...c, leftOut: nonZero(c.leftOut) };
  }
  const summary: BatchSummary = {
    dataset: ctx.dataset,
    namespace: ctx.namespace,
    format: ctx.format,
    window: { start: ctx.window.start.toISOString(), end: ctx.window.end.toISOString() },
    manifest: { uri: ctx.manifestUri, sha256: written.sha256 },
    items: written.count,
    verified: collected.items.filter((i) => i.verified).length,
    ...labelFields(countLabels(collected.items, collected.rowLabels), ctx.goldLabels),
    duplicates,
    corrupt: leftOut.corrupt,
    leftOut,
    sources,
  };
  const rows = rowCount(collected.items);
  if (rows !== undefined) summary.rows = rows;
  if (Object.keys(contents).length > 0)
    summary.contents = sortedRecord(
      Object.entries(contents).map(([s, c]) => [s, sortedRecord(Object.entries(c))]),
    );
  return summary;
}

/** A summary from the manifest alone, for a batch whose collection stopped before writing one. */
export function rebuildSummary(
  ctx: SummaryContext,
  written: { sha256: string; count: number },
  items: ManifestItem[],
): BatchSummary {
  const sources: BatchSummary['sources'] = {};
  for (const item of items) {
    sources[item.source] ??= {
      candidates: 0,
      items: 0,
      verified: 0,
      duplicates: 0,
      unchanged: 0,
      leftOut: {},
    };
    const s = sources[item.source] as BatchSummary['sources'][string];
    s.items++;
    if (item.verified) s.verified++;
  }
  const summary: BatchSummary = {
    dataset: ctx.dataset,
    namespace: ctx.namespace,
    format: ctx.format,
    window: { start: ctx.window.start.toISOString(), end: ctx.window.end.toISOString() },
    manifest: { uri: ctx.manifestUri, sha256: written.sha256 },
    items: written.count,
    verified: items.filter((i) => i.verified).length,
    ...labelFields(countLabels(items, new Map()), ctx.goldLabels),
    duplicates: null,
    corrupt: null,
    leftOut: null,
    sources: sortedRecord(Object.entries(sources)),
    recovered:
      'the collection that published this batch stopped before its summary: counts of items left out are unknown',
  };
  const rows = rowCount(items);
  if (rows !== undefined) summary.rows = rows;
  return summary;
}
