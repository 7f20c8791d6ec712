// The quality findings of one snapshot variant (spec.quality): always measured, a gate only when
// set. A variant that fails a gate, or holds no item at all, is rejected: published for
// inspection, never the Dataset's latest snapshot.
import type { DatasetSpec } from '../../../operator/api/dataset.ts';
import type { VariantStats } from './select.ts';

export type QualityGates = NonNullable<DatasetSpec['quality']>;

export const QUALITY_CHECKS = ['items', 'minItemsPerLabel', 'maxClassImbalance', 'maxCorruptShare'] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

export interface Finding {
  check: QualityCheck;
  /** What was measured; null when it does not apply (labels of a tabular Dataset, no label at all). */
  value: number | null;
  /** The gate; null when it is not set. */
  limit: number | null;
  passed: boolean;
  message: string;
}

export interface QualityOutcome {
  findings: Finding[];
  rejected: boolean;
  /** The messages of the failed findings. */
  reasons: string[];
}

/** Files met while building the snapshot: gold objects and batch candidates, usable or corrupt. */
export interface CorruptCounts {
  corrupt: number;
  files: number;
  /** Batches whose summary does not know what was left out (rebuilt from its manifest). */
  unknownBatches: number;
}

/** The labels named in a message, the rest only counted. */
const NAMED_LABELS = 10;

function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(Math.round(n * 10000) / 10000);
}

function labelList(entries: [string, number][]): string {
  const named = entries.slice(0, NAMED_LABELS).map(([l, n]) => `${JSON.stringify(l)} (${formatNumber(n)})`);
  const more = entries.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

/** Labels by count, smallest first; ties in label order, so messages are the same on every run. */
function byCount(labels: Map<string, number>): [string, number][] {
  return [...labels].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0));
}

export function assessQuality(
  format: DatasetSpec['format'],
  gates: QualityGates,
  stats: Pick<VariantStats, 'items' | 'labels'>,
  corrupt: CorruptCounts,
): QualityOutcome {
  const findings: Finding[] = [];
  findings.push({
    check: 'items',
    value: stats.items,
    limit: 1,
    passed: stats.items > 0,
    message: stats.items > 0 ? `${formatNumber(stats.items)} items` : 'the variant holds no item',
  });

  const ranked = byCount(stats.labels);
  const labelled = format === 'imagefolder' && ranked.length > 0;
  const notApplicable =
    format === 'tabular'
      ? 'not measured: a tabular item is a file of rows, whose labels a snapshot does not read'
      : 'not measured: the variant has no labelled item';
  const smallest = ranked[0];
  const largest = ranked[ranked.length - 1];

  const minLimit = gates.minItemsPerLabel ?? null;
  const below = minLimit === null ? [] : ranked.filter(([, n]) => n < minLimit);
  findings.push({
    check: 'minItemsPerLabel',
    value: labelled && smallest ? smallest[1] : null,
    limit: minLimit,
    passed: below.length === 0,
    message: !labelled
      ? notApplicable
      : below.length > 0
        ? `${below.length} of ${ranked.length} labels have fewer than ${formatNumber(minLimit as number)} items: ${labelList(below)}`
        : `the smallest label is ${labelList([smallest as [string, number]])} of ${ranked.length} labels`,
  });

  const ratio = labelled && smallest && largest ? largest[1] / smallest[1] : null;
  const imbalanceLimit = gates.maxClassImbalance ?? null;
  const imbalanced = ratio !== null && imbalanceLimit !== null && ratio > imbalanceLimit;
  findings.push({
    check: 'maxClassImbalance',
    value: ratio,
    limit: imbalanceLimit,
    passed: !imbalanced,
    message:
      ratio === null
        ? notApplicable
        : `the largest label ${labelList([largest as [string, number]])} has ${formatNumber(ratio)}× the items of the smallest ${labelList([smallest as [string, number]])}${imbalanced ? `, more than ${formatNumber(imbalanceLimit as number)}×` : ''}`,
  });

  const share = corrupt.files > 0 ? corrupt.corrupt / corrupt.files : 0;
  const shareLimit = gates.maxCorruptShare ?? null;
  const tooCorrupt = shareLimit !== null && share > shareLimit;
  const unknown =
    corrupt.unknownBatches > 0 ? ` (${corrupt.unknownBatches} batches do not know what they left out)` : '';
  findings.push({
    check: 'maxCorruptShare',
    value: share,
    limit: shareLimit,
    passed: !tooCorrupt,
    message: `${formatNumber(corrupt.corrupt)} of ${formatNumber(corrupt.files)} files were corrupt and left out (${formatNumber(share * 100)}%)${tooCorrupt ? `, more than ${formatNumber((shareLimit as number) * 100)}%` : ''}${unknown}`,
  });

  const failed = findings.filter((f) => !f.passed);
  return {
    findings,
    rejected: failed.length > 0,
    reasons: failed.map((f) => `${f.check}: ${f.message}`),
  };
}
