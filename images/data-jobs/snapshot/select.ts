// Which candidates (gold first, then the batches oldest first, each in manifest order) a snapshot
// variant keeps, and what it counts on the way. An item's bytes appear once per variant:
// - `verified` keeps gold and the verified batch items, the first occurrence of each sha256;
// - `full` keeps every item, the first occurrence of each sha256 — except that an unverified
//   occurrence gives way to a verified one of the same bytes, wherever that comes, so the full
//   variant carries the verified label and every item of `verified` is in `full` as it is.
// Only digests are held (DigestSet), never the items: the verified candidates' digests (whose first
// take marks an item of full), and for full, those of the unverified items it kept.
import { DigestSet } from '../../../lib/dataset/digest-set.ts';
import type { Variant } from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';

type Items = AsyncIterable<ManifestItem> | Iterable<ManifestItem>;

export interface VariantStats {
  items: number;
  verified: number;
  unverified: number;
  /** Candidates left out because the variant already has (or will have, verified) their bytes. */
  duplicates: number;
  /** Items per label; items without a label (table files) are not counted. */
  labels: Map<string, number>;
  /** Items per source (`gold` or a source's name). */
  sources: Map<string, number>;
  /** Rows of the table files, summed from their `rows` attribute; null when an item has none. */
  rows: number | null;
}

export function emptyStats(): VariantStats {
  return {
    items: 0,
    verified: 0,
    unverified: 0,
    duplicates: 0,
    labels: new Map(),
    sources: new Map(),
    rows: 0,
  };
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function record(stats: VariantStats, item: ManifestItem): void {
  stats.items++;
  if (item.verified) stats.verified++;
  else stats.unverified++;
  if (item.label !== null) count(stats.labels, item.label);
  count(stats.sources, item.source);
  const rows = item.attributes.rows;
  stats.rows = stats.rows !== null && typeof rows === 'number' ? stats.rows + rows : null;
}

/** The digests of the candidates the verified variant is made of. */
export async function verifiedDigests(candidates: Items): Promise<DigestSet> {
  const digests = new DigestSet();
  for await (const item of candidates) if (item.verified) digests.add(item.sha256);
  return digests;
}

/**
 * The variant's items, in candidate order, counted into `stats`. `verified` fills `seen` with the
 * digests of its candidates; `full` needs those (`verifiedDigests`, or the `seen` set of a finished
 * verified selection) as `verified`, takes each once, and adds its unverified items to `seen`.
 */
export async function* selectVariant(
  variant: Variant,
  candidates: Items,
  stats: VariantStats,
  options: { verified?: DigestSet; seen?: DigestSet } = {},
): AsyncGenerator<ManifestItem> {
  const seen = options.seen ?? new DigestSet();
  const verified = options.verified;
  if (variant === 'full' && !verified)
    throw new Error('the full variant is selected with the digests of the verified candidates');
  // Takes of an earlier pass over the same candidates do not count.
  verified?.untakeAll();
  for await (const item of candidates) {
    let kept: boolean;
    if (variant === 'verified') {
      if (!item.verified) continue;
      kept = seen.add(item.sha256);
    } else if (item.verified) kept = (verified as DigestSet).take(item.sha256);
    else kept = !(verified as DigestSet).has(item.sha256) && seen.add(item.sha256);
    if (!kept) {
      stats.duplicates++;
      continue;
    }
    record(stats, item);
    yield item;
  }
}
