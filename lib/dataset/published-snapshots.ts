// A Dataset's snapshot versions as the store holds them (`datasets/<ns>/<dataset>/snapshots/`):
// which are published (the card, written last, exists) with what each variant's summary says,
// which are not (being built, or a build that stopped), and the removal of one version. The
// snapshot Job reads them for a scheduled snapshot's parent, the Dataset controller for its
// status and for retention.
import { UserError } from '../contract/errors.ts';
import type { ArtifactStore } from '../store/client.ts';
import {
  goldIndexKey,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotPrefix,
  snapshotSummaryKey,
  snapshotsPrefix,
  VARIANTS,
  type Variant,
} from '../store/keys.ts';
import { isSnapshotVersion } from './snapshot-version.ts';

/** One variant of a published version, from its summary `<variant>.json`. */
export interface PublishedVariant {
  variant: Variant;
  items: number;
  verified: number;
  /** Items per label; absent past the summary's label limit, and for tabular variants' rows. */
  labels?: Record<string, number>;
  distinctLabels: number;
  manifest: { uri: string; sha256: string };
  /** Failed a quality gate or holds no item: kept for inspection, never the latest snapshot. */
  rejected: boolean;
  reasons: string[];
  /** The snapshot time (RFC 3339): batches whose window ended by then are in it. */
  time: string;
  parent: string | null;
}

export interface PublishedSnapshot {
  version: string;
  /** When the card was written (its LastModified), ISO 8601. */
  publishedAt: string;
  /** In VARIANTS order. */
  variants: PublishedVariant[];
}

/** A published version whose summaries cannot be read: reported, never thrown. */
export interface InvalidSnapshot {
  version: string;
  invalid: string;
}

export interface SnapshotListing {
  /** Versions whose card exists, newest first. */
  published: (PublishedSnapshot | InvalidSnapshot)[];
  /** Versions without a card, newest first: being built, or a build that stopped (it is finished by its next run). */
  incomplete: string[];
}

/** What a cache holds per summary key: the summary read (or why it cannot be), for the ETag it had. */
export interface CachedSummary {
  etag: string;
  summary: PublishedVariant | { invalid: string };
}

/**
 * Summaries are create-only, so one read per summary is enough: pass a bounded map
 * (operator/runtime/bounded-map.ts) that lives as long as the caller. An entry is used only while
 * the listing shows the same ETag (a version removed and built again has new summaries).
 */
export interface SummaryCache {
  get(key: string): CachedSummary | undefined;
  set(key: string, value: CachedSummary): void;
}

/** Summaries read at once. */
export const SUMMARY_READS_IN_FLIGHT = 8;

const SHA256 = /^[0-9a-f]{64}$/;

export function isInvalid(snapshot: PublishedSnapshot | InvalidSnapshot): snapshot is InvalidSnapshot {
  return 'invalid' in snapshot;
}

/** Whether every variant of a published version passed its quality gates. */
export function isAccepted(snapshot: PublishedSnapshot | InvalidSnapshot): snapshot is PublishedSnapshot {
  return !isInvalid(snapshot) && snapshot.variants.every((v) => !v.rejected);
}

/**
 * The newest accepted version of a listing (optionally only those older than `before`): what a
 * new snapshot follows, and what TrainingRuns with `snapshot: latest` train on.
 */
export function latestAccepted(
  published: SnapshotListing['published'],
  before?: string,
): PublishedSnapshot | undefined {
  return published.find(
    (s): s is PublishedSnapshot => (before === undefined || s.version < before) && isAccepted(s),
  );
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A summary's fields this module reports, checked; the reason as a string when one is not right. */
export function parseSummary(bytes: Buffer, version: string, variant: Variant): PublishedVariant | string {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  if (value.version !== version) return `names version ${JSON.stringify(value.version)}`;
  if (value.variant !== variant) return `names variant ${JSON.stringify(value.variant)}`;
  for (const field of ['items', 'verified', 'distinctLabels'])
    if (!isCount(value[field])) return `has no count ${field}`;
  const labels = value.labels;
  if (
    labels !== undefined &&
    (typeof labels !== 'object' ||
      labels === null ||
      Array.isArray(labels) ||
      !Object.values(labels).every(isCount))
  )
    return 'has labels that are not counts per label';
  const manifest = value.manifest as { uri?: unknown; sha256?: unknown } | null | undefined;
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    typeof manifest.uri !== 'string' ||
    !manifest.uri.startsWith('s3://') ||
    typeof manifest.sha256 !== 'string' ||
    !SHA256.test(manifest.sha256)
  )
    return 'has no manifest URI and sha256';
  if (typeof value.rejected !== 'boolean') return 'does not say whether it is rejected';
  if (!Array.isArray(value.reasons) || !value.reasons.every((r) => typeof r === 'string'))
    return 'has reasons that are not a list of sentences';
  if (typeof value.time !== 'string' || Number.isNaN(Date.parse(value.time))) return 'has no snapshot time';
  if (value.parent !== null && (typeof value.parent !== 'string' || !isSnapshotVersion(value.parent)))
    return 'has a parent that is not a version';
  return {
    variant,
    items: value.items as number,
    verified: value.verified as number,
    ...(labels === undefined ? {} : { labels: { ...(labels as Record<string, number>) } }),
    distinctLabels: value.distinctLabels as number,
    manifest: { uri: manifest.uri, sha256: manifest.sha256 },
    rejected: value.rejected,
    reasons: [...value.reasons],
    time: value.time,
    parent: value.parent,
  };
}

interface Folder {
  card?: Date;
  summaries: Partial<Record<Variant, string>>;
}

/** A folder's summary keys, in VARIANTS order. */
function summariesOf(folder: Folder): { variant: Variant; key: string }[] {
  return VARIANTS.flatMap((variant) => {
    const key = folder.summaries[variant];
    return key === undefined ? [] : [{ variant, key }];
  });
}

async function readSummary(
  store: ArtifactStore,
  key: string,
  etag: string,
  version: string,
  variant: Variant,
  cache: SummaryCache | undefined,
): Promise<CachedSummary['summary'] | 'gone'> {
  const cached = cache?.get(key);
  if (cached && cached.etag === etag) return cached.summary;
  let bytes: Buffer;
  try {
    bytes = await store.getObject(key);
  } catch (e) {
    // Removed since the listing (retention deletes the card first, then the summaries).
    if (e instanceof UserError && e.reason === 'NotFound') return 'gone';
    throw e;
  }
  const parsed = parseSummary(bytes, version, variant);
  const summary = typeof parsed === 'string' ? { invalid: `${variant}.json ${parsed}` } : parsed;
  cache?.set(key, { etag, summary });
  return summary;
}

/**
 * Every version under the Dataset's snapshots prefix: one listing, and one read per summary not in
 * `cache`. A malformed summary makes its version `{ version, invalid }`; a store failure throws.
 */
export async function listPublishedSnapshots(
  store: ArtifactStore,
  namespace: string,
  dataset: string,
  cache?: SummaryCache,
): Promise<SnapshotListing> {
  const prefix = snapshotsPrefix(namespace, dataset);
  const folders = new Map<string, Folder>();
  const etags = new Map<string, string>();
  for await (const object of store.listObjects(prefix)) {
    const version = object.key.slice(prefix.length).split('/')[0] as string;
    // Folders that are no version are not a snapshot Job's.
    if (!isSnapshotVersion(version)) continue;
    const folder: Folder = folders.get(version) ?? { summaries: {} };
    folders.set(version, folder);
    if (object.key === snapshotCardKey(namespace, dataset, version)) folder.card = object.lastModified;
    const variant = VARIANTS.find((v) => object.key === snapshotSummaryKey(namespace, dataset, version, v));
    if (variant) {
      folder.summaries[variant] = object.key;
      etags.set(object.key, object.etag);
    }
  }
  const versions = [...folders.keys()].sort().reverse();
  const incomplete = versions.filter((v) => !folders.get(v)?.card);
  const reads = versions.flatMap((version) => {
    const folder = folders.get(version) as Folder;
    if (!folder.card) return [];
    return summariesOf(folder).map((summary) => ({ version, ...summary }));
  });
  const results = new Map<string, CachedSummary['summary'] | 'gone'>();
  let next = 0;
  const worker = async () => {
    while (next < reads.length) {
      const read = reads[next++] as (typeof reads)[number];
      const etag = etags.get(read.key) as string;
      results.set(read.key, await readSummary(store, read.key, etag, read.version, read.variant, cache));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SUMMARY_READS_IN_FLIGHT, reads.length) }, worker));

  const published: SnapshotListing['published'] = [];
  for (const version of versions) {
    const folder = folders.get(version) as Folder;
    if (!folder.card) continue;
    const summaries = summariesOf(folder).map(({ key }) => results.get(key));
    if (summaries.includes('gone')) {
      incomplete.push(version);
      continue;
    }
    const variants: PublishedVariant[] = [];
    let invalid = summaries.length === 0 ? 'its card exists but no variant summary does' : undefined;
    for (const summary of summaries as CachedSummary['summary'][]) {
      if ('invalid' in summary) invalid ??= summary.invalid;
      else variants.push(summary);
    }
    published.push(
      invalid === undefined
        ? { version, publishedAt: folder.card.toISOString(), variants }
        : { version, invalid },
    );
  }
  return { published, incomplete: incomplete.sort().reverse() };
}

/**
 * Deletes one version: its card first (so no reader sees a published-looking version with parts
 * missing), then its summaries, its manifests, inputs.json and anything else in its folder, and its
 * gold index unless `keepGoldIndex` (the newest index is what the next snapshot reads beside a new
 * listing of gold). Nothing under objects/ or batches/: blobs are the garbage collector's, batches
 * the next snapshot's. Idempotent, and a call after one that stopped half-way finishes it.
 */
export async function removeSnapshot(
  store: ArtifactStore,
  namespace: string,
  dataset: string,
  version: string,
  options: { keepGoldIndex: boolean },
): Promise<void> {
  if (!isSnapshotVersion(version))
    throw new UserError(
      'InvalidName',
      `invalid snapshot version ${JSON.stringify(version)}: expected YYYYMMDD-HHMMSS`,
    );
  const card = snapshotCardKey(namespace, dataset, version);
  await store.remove([card]);
  const prefix = snapshotPrefix(namespace, dataset, version);
  const keys = (await store.list(prefix)).filter((k) => k.startsWith(prefix) && k !== card);
  const summaries = new Set(VARIANTS.map((v) => snapshotSummaryKey(namespace, dataset, version, v)));
  const inputs = snapshotInputsKey(namespace, dataset, version);
  const isManifest = (k: string) => k.endsWith('.jsonl.gz');
  // One request per stage, in order: a delete of several keys is done in no particular order.
  await store.remove(keys.filter((k) => summaries.has(k)));
  await store.remove(keys.filter((k) => !summaries.has(k) && isManifest(k)));
  await store.remove(keys.filter((k) => k === inputs));
  await store.remove(keys.filter((k) => !summaries.has(k) && !isManifest(k) && k !== inputs));
  if (!options.keepGoldIndex) await store.remove([goldIndexKey(namespace, dataset, version)]);
}
