// A snapshot variant's summary (`snapshots/<version>/<variant>.json`, written after its manifest):
// counts per label, source and verified state, the quality findings and whether the variant is
// rejected, the parent, the gold and the batches it was built from, and the manifest's digest.
// Derived from the pinned inputs and the manifest's items alone, with keys in a fixed order, so a
// re-run writes the same bytes.
import type { Variant } from '../../../lib/store/keys.ts';
import { MAX_SUMMARY_LABELS } from '../collect/summary.ts';
import type { LeftOutReason } from '../sources/source.ts';
import type { SnapshotInputs } from './inputs.ts';
import { assessQuality, type CorruptCounts, type Finding, type QualityGates } from './quality.ts';
import type { VariantStats } from './select.ts';

export interface VariantSummary {
  dataset: string;
  namespace: string;
  version: string;
  variant: Variant;
  format: SnapshotInputs['format'];
  /** The snapshot time: batches whose window ends by then are in it. */
  time: string;
  parent: string | null;
  /** Failed a quality gate or holds no item: kept for inspection, never the latest snapshot. */
  rejected: boolean;
  reasons: string[];
  manifest: { uri: string; sha256: string };
  items: number;
  verified: number;
  unverified: number;
  /** Tabular: rows of the table files, when every file records them. */
  rows?: number;
  /** Items per label, in label order; omitted past MAX_SUMMARY_LABELS labels. */
  labels?: Record<string, number>;
  distinctLabels: number;
  sources: Record<string, number>;
  /** Candidates left out because the variant has their bytes already. */
  duplicates: number;
  corrupt: { gold: number; batches: number; unknownBatches: number };
  quality: { gates: QualityGates; findings: Finding[] };
  gold: {
    uri: string;
    objects: number;
    items: number;
    leftOut: Partial<Record<LeftOutReason, number>>;
  } | null;
  batches: { count: number; windows: string[] };
}

function sorted(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Corrupt files met while building: gold's and those the batches' summaries counted. */
export function corruptCounts(inputs: SnapshotInputs): CorruptCounts & { gold: number; batches: number } {
  const gold = inputs.gold?.leftOut.corrupt ?? 0;
  let batches = 0;
  let batchItems = 0;
  let unknownBatches = 0;
  for (const b of inputs.batches) {
    if (b.corrupt === null) unknownBatches++;
    batches += b.corrupt ?? 0;
    batchItems += b.items ?? 0;
  }
  return {
    gold,
    batches,
    corrupt: gold + batches,
    files: (inputs.gold ? inputs.gold.items + gold : 0) + batchItems + batches,
    unknownBatches,
  };
}

export function variantSummary(
  inputs: SnapshotInputs,
  variant: Variant,
  manifest: { uri: string; sha256: string },
  stats: VariantStats,
): VariantSummary {
  const corrupt = corruptCounts(inputs);
  const quality = assessQuality(inputs.format, inputs.quality, stats, corrupt);
  const summary: VariantSummary = {
    dataset: inputs.dataset,
    namespace: inputs.namespace,
    version: inputs.version,
    variant,
    format: inputs.format,
    time: inputs.time,
    parent: inputs.parent,
    rejected: quality.rejected,
    reasons: quality.reasons,
    manifest,
    items: stats.items,
    verified: stats.verified,
    unverified: stats.unverified,
    ...(inputs.format === 'tabular' && stats.rows !== null && stats.items > 0 ? { rows: stats.rows } : {}),
    ...(stats.labels.size <= MAX_SUMMARY_LABELS ? { labels: sorted(stats.labels) } : {}),
    distinctLabels: stats.labels.size,
    sources: sorted(stats.sources),
    duplicates: stats.duplicates,
    corrupt: { gold: corrupt.gold, batches: corrupt.batches, unknownBatches: corrupt.unknownBatches },
    quality: { gates: inputs.quality, findings: quality.findings },
    gold: inputs.gold && {
      uri: inputs.gold.uri,
      objects: inputs.gold.objects,
      items: inputs.gold.items,
      leftOut: Object.fromEntries(Object.entries(inputs.gold.leftOut).filter(([, n]) => n > 0)),
    },
    batches: { count: inputs.batches.length, windows: inputs.batches.map((b) => b.segment) },
  };
  return summary;
}
