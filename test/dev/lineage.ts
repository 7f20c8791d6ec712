// The lineage the demo ends with: endpoint → version → run → snapshot (manifest digest) → batches,
// and both versions' metrics side by side. Reading is in readBatches; the table is a pure function.
import type { BatchSummary } from '../../images/data-jobs/collect/summary.ts';
import type { ArtifactStore } from '../../lib/store/client.ts';
import { batchSummaryKey } from '../../lib/store/keys.ts';

export interface BatchInfo {
  /** `<start>-<end>`, as batches are named. */
  window: string;
  items: number;
  verified: number;
}

export interface LineageVersion {
  modelVersion: string;
  stage: string;
  run: string;
  snapshot: string;
  variant: string;
  manifestSha256: string;
  items: number;
  /** Items per source of the snapshot (gold, feedback). */
  sources: Record<string, number>;
  batches: BatchInfo[];
  metrics: Record<string, number>;
  promotion: string;
}

export interface Endpoint {
  /** The InferenceService's in-cluster URL. */
  url: string;
  /** The same Service from this machine, where its ClusterIP is routed. */
  hostUrl?: string;
  /** The ModelVersion it serves. */
  serving: string;
}

/** The summaries of a snapshot's batches (one small JSON object each). */
export async function readBatches(
  store: ArtifactStore,
  namespace: string,
  dataset: string,
  windows: string[],
): Promise<BatchInfo[]> {
  return Promise.all(
    windows.map(async (window) => {
      const summary = JSON.parse(
        (await store.getObject(batchSummaryKey(namespace, dataset, window))).toString(),
      ) as BatchSummary;
      return { window, items: summary.items, verified: summary.verified };
    }),
  );
}

const METRICS = ['accuracy', 'macro_f1', 'log_loss', 'train_items', 'validation_items'];

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function describeBatches(batches: BatchInfo[]): string {
  const full = batches.filter((b) => b.items > 0);
  const items = full.reduce((n, b) => n + b.items, 0);
  const verified = full.reduce((n, b) => n + b.verified, 0);
  return `${batches.length} (${full.length} with items: ${items} items, ${verified} verified)`;
}

function describeSources(v: LineageVersion): string {
  const parts = Object.entries(v.sources).map(([source, n]) => `${source} ${n}`);
  return `${v.items}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** The lineage as a few lines of text: the chain of what serves, then the versions side by side. */
export function lineageTable(endpoint: Endpoint, versions: LineageVersion[]): string {
  const serving = versions.find((v) => v.modelVersion === endpoint.serving);
  const lines: string[] = [];
  if (serving) {
    const windows = serving.batches.filter((b) => b.items > 0).map((b) => b.window);
    lines.push(
      `${endpoint.url} → ${serving.modelVersion} → TrainingRun ${serving.run} → snapshot ${serving.snapshot} ` +
        `${serving.variant} (manifest sha256 ${serving.manifestSha256.slice(0, 12)}…) → batches ${windows.join(', ') || 'none with items'}`,
    );
  }
  const rows: [string, ...string[]][] = [
    [
      '',
      ...versions.map((v) =>
        v.modelVersion === endpoint.serving ? `${v.modelVersion} (serving)` : v.modelVersion,
      ),
    ],
    ['stage', ...versions.map((v) => v.stage)],
    ['TrainingRun', ...versions.map((v) => v.run)],
    ['snapshot', ...versions.map((v) => `${v.snapshot} ${v.variant}`)],
    ['manifest sha256', ...versions.map((v) => `${v.manifestSha256.slice(0, 16)}…`)],
    ['items', ...versions.map(describeSources)],
    ['batches', ...versions.map((v) => describeBatches(v.batches))],
    ...METRICS.map((m): [string, ...string[]] => [m, ...versions.map((v) => formatNumber(v.metrics[m]))]),
  ];
  const widths = (rows[0] as string[]).map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  for (const v of versions) if (v.promotion) lines.push(`${v.modelVersion}: ${v.promotion}`);
  if (endpoint.hostUrl) lines.push(`from this machine: ${endpoint.hostUrl}`);
  return lines.join('\n');
}
