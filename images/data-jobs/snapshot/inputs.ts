// What one snapshot version is built from, pinned before anything else of it is written
// (`snapshots/<version>/inputs.json`, create-only): the snapshot time, the parent, the variants
// and quality gates asked for, the gold index and every batch with its manifest's digest. A run
// that finds the pin builds exactly that, so a re-run after a crash writes the same bytes even when
// batches were collected, gold changed or the spec was edited since (decision 0014).
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import { type BatchFile, parseBatchKey } from '../../../lib/dataset/batch-window.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import {
  batchesPrefix,
  batchManifestKey,
  batchSummaryKey,
  VARIANTS,
  type Variant,
} from '../../../lib/store/keys.ts';
import type { DatasetSpec } from '../../../operator/api/dataset.ts';
import type { LeftOutReason } from '../sources/source.ts';
import type { QualityGates } from './quality.ts';

export const SNAPSHOT_INPUTS_FORMAT = 1;

export interface PinnedBatch {
  /** The window segment of its keys, e.g. 20260101T000000Z-20260102T000000Z. */
  segment: string;
  window: { start: string; end: string };
  manifest: { key: string; sha256: string };
  /** From its summary; null when it has none (a collection stopped between the two writes). */
  items: number | null;
  corrupt: number | null;
}

export interface PinnedGold {
  uri: string;
  endpoint: string | null;
  index: { key: string; sha256: string };
  objects: number;
  items: number;
  leftOut: Record<LeftOutReason, number>;
}

export interface SnapshotInputs {
  snapshotInputs: typeof SNAPSHOT_INPUTS_FORMAT;
  namespace: string;
  dataset: string;
  version: string;
  /** RFC 3339; the batches whose window ends by then. */
  time: string;
  parent: string | null;
  format: DatasetSpec['format'];
  variants: Variant[];
  quality: QualityGates;
  gold: PinnedGold | null;
  /** Oldest first: by window end, then start. */
  batches: PinnedBatch[];
}

/** The batches a snapshot at `time` takes from a listing of the batches prefix, oldest first. */
export function batchesUpTo(files: BatchFile[], time: Date): (BatchFile & { hasSummary: boolean })[] {
  const summaries = new Set(files.filter((f) => f.kind === 'summary').map((f) => f.segment));
  return files
    .filter((f) => f.kind === 'manifest' && f.window.end.getTime() <= time.getTime())
    .sort(
      (a, b) =>
        a.window.end.getTime() - b.window.end.getTime() ||
        a.window.start.getTime() - b.window.start.getTime(),
    )
    .map((f) => ({ ...f, hasSummary: summaries.has(f.segment) }));
}

const SHA256 = /^[0-9a-f]{64}$/;
/** Batch summaries read at once while the inputs are planned. */
const SUMMARY_READS_IN_FLIGHT = 8;

function countOrNull(value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : null;
}

/** Each batch with the digest its summary records, or (without a summary) the one its bytes have. */
export async function pinBatches(
  store: ArtifactStore,
  options: { namespace: string; dataset: string; time: Date; log: Logger },
): Promise<PinnedBatch[]> {
  const { namespace, dataset, log } = options;
  const prefix = batchesPrefix(namespace, dataset);
  const files: BatchFile[] = [];
  for await (const object of store.listObjects(prefix)) {
    const file = parseBatchKey(prefix, object.key);
    if (file) files.push(file);
  }
  const chosen = batchesUpTo(files, options.time);
  const pin = async (file: (typeof chosen)[number]): Promise<PinnedBatch> => {
    const key = batchManifestKey(namespace, dataset, file.segment);
    const window = { start: file.window.start.toISOString(), end: file.window.end.toISOString() };
    if (file.hasSummary) {
      try {
        const summary = JSON.parse(
          (await store.getObject(batchSummaryKey(namespace, dataset, file.segment))).toString('utf8'),
        ) as { manifest?: { sha256?: unknown }; items?: unknown; corrupt?: unknown };
        const sha256 = summary.manifest?.sha256;
        if (typeof sha256 === 'string' && SHA256.test(sha256))
          return {
            segment: file.segment,
            window,
            manifest: { key, sha256 },
            items: countOrNull(summary.items),
            corrupt: countOrNull(summary.corrupt),
          };
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
      log.warn(
        { batch: file.segment },
        'a batch summary cannot be read: its manifest is taken by its own digest',
      );
    }
    const sha256 = await store.objectSha256(key);
    if (sha256 === undefined)
      throw new UserError('NotFound', `batch ${file.segment} was removed while the snapshot was planned`);
    return { segment: file.segment, window, manifest: { key, sha256 }, items: null, corrupt: null };
  };
  const pinned: PinnedBatch[] = new Array(chosen.length);
  let next = 0;
  const worker = async () => {
    while (next < chosen.length) {
      const i = next++;
      pinned[i] = await pin(chosen[i] as (typeof chosen)[number]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SUMMARY_READS_IN_FLIGHT, chosen.length) }, worker));
  return pinned;
}

export function encodeInputs(inputs: SnapshotInputs): Buffer {
  return Buffer.from(`${JSON.stringify(inputs, null, 2)}\n`);
}

function invalid(key: string, why: string): never {
  throw new UserError('SnapshotInputsInvalid', `${key} cannot be read back: ${why}`);
}

/** Reads a pin back, checking what the build relies on. */
export function parseInputs(key: string, bytes: Buffer): SnapshotInputs {
  let value: SnapshotInputs;
  try {
    value = JSON.parse(bytes.toString('utf8')) as SnapshotInputs;
  } catch {
    return invalid(key, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || value.snapshotInputs !== SNAPSHOT_INPUTS_FORMAT)
    invalid(key, `not snapshot inputs of format ${SNAPSHOT_INPUTS_FORMAT}`);
  if (
    typeof value.version !== 'string' ||
    typeof value.time !== 'string' ||
    Number.isNaN(Date.parse(value.time)) ||
    (value.parent !== null && typeof value.parent !== 'string') ||
    (value.format !== 'imagefolder' && value.format !== 'tabular') ||
    !Array.isArray(value.variants) ||
    value.variants.length === 0 ||
    !value.variants.every((v) => (VARIANTS as readonly string[]).includes(v)) ||
    typeof value.quality !== 'object' ||
    value.quality === null
  )
    invalid(key, 'its version, time, parent, format, variants or quality is missing or malformed');
  if (value.gold !== null) {
    const g = value.gold;
    if (
      typeof g !== 'object' ||
      typeof g.uri !== 'string' ||
      typeof g.index?.key !== 'string' ||
      !SHA256.test(String(g.index?.sha256)) ||
      !Number.isSafeInteger(g.objects) ||
      !Number.isSafeInteger(g.items) ||
      typeof g.leftOut !== 'object'
    )
      invalid(key, 'its gold entry is malformed');
  }
  if (
    !Array.isArray(value.batches) ||
    !value.batches.every(
      (b) =>
        typeof b?.segment === 'string' &&
        typeof b.manifest?.key === 'string' &&
        SHA256.test(String(b.manifest?.sha256)) &&
        (b.corrupt === null || Number.isSafeInteger(b.corrupt)),
    )
  )
    invalid(key, 'its batches are malformed');
  return value;
}
