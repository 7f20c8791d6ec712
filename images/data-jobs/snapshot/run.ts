// `snapshot`: gold plus every batch up to the snapshot time, in the variants asked for, published
// as `datasets/<ns>/<dataset>/snapshots/<version>/`: each variant's manifest and summary, then the
// card. In order, create-only and resumable:
//   1. the gold index of this version (gold objects new or changed since the previous index are
//      read once; their blobs are stored first);
//   2. inputs.json, the pin of everything the version is built from;
//   3. per variant, the manifest (streamed from the gold index and the batch manifests; no item
//      byte is read or copied) and its summary;
//   4. README.md.
// A re-run finds what an earlier run wrote and finishes it with the same bytes. Returns the
// termination message.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import { DigestSet } from '../../../lib/dataset/digest-set.ts';
import { latestAccepted, listPublishedSnapshots } from '../../../lib/dataset/published-snapshots.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import {
  batchManifestKey,
  goldIndexKey,
  goldIndexPrefix,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotManifestKey,
  snapshotSummaryKey,
  VARIANTS,
  type Variant,
} from '../../../lib/store/keys.ts';
import type { ManifestItem } from '../../../lib/store/manifest.ts';
import { publishManifest } from '../../../lib/store/publish.ts';
import {
  encodeSnapshotResult,
  parseSnapshotConfig,
  type SnapshotConfig,
  type SnapshotResult,
} from '../job-contract.ts';
import { resolveGold } from '../sources/s3-location.ts';
import { renderCard } from './card.ts';
import { emptyGoldCounts, indexGold } from './gold.ts';
import {
  GOLD_INDEX_FORMAT,
  type GoldEntry,
  type GoldIndexHeader,
  openGoldIndex,
  sameLocation,
} from './gold-index.ts';
import {
  encodeInputs,
  type PinnedGold,
  parseInputs,
  pinBatches,
  SNAPSHOT_INPUTS_FORMAT,
  type SnapshotInputs,
} from './inputs.ts';
import { emptyStats, selectVariant, type VariantStats, verifiedDigests } from './select.ts';
import { type VariantSummary, variantSummary } from './summary.ts';

type Env = Record<string, string | undefined>;

const PROGRESS_INTERVAL_MS = 5_000;
/**
 * A manifest up to this size is kept in memory from its one pass over the items and uploaded from
 * there (about 50 bytes an item: two million items); a larger one is encoded a second time.
 */
export const MANIFEST_KEPT_BYTES = 96 * 1024 * 1024;
const INDEX_FILE = /^(\d{8}-\d{6})\.jsonl\.gz$/;

/** An object's bytes, or undefined when the key does not exist. */
async function readIfExists(store: ArtifactStore, key: string): Promise<Buffer | undefined> {
  try {
    return await store.getObject(key);
  } catch (e) {
    if (e instanceof UserError && e.reason === 'NotFound') return undefined;
    throw e;
  }
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The newest gold index older than `version` of the same location, to walk beside the listing. */
async function previousGoldIndex(
  store: ArtifactStore,
  config: SnapshotConfig,
  header: GoldIndexHeader,
  log: Logger,
): Promise<AsyncGenerator<GoldEntry> | undefined> {
  const prefix = goldIndexPrefix(config.namespace, config.dataset);
  let newest: string | undefined;
  for await (const object of store.listObjects(prefix)) {
    const version = INDEX_FILE.exec(object.key.slice(prefix.length))?.[1];
    if (version && version < config.version && (!newest || version > newest)) newest = version;
  }
  if (!newest) return undefined;
  const key = goldIndexKey(config.namespace, config.dataset, newest);
  try {
    const opened = await openGoldIndex(await store.openObject(key), key);
    if (sameLocation(opened.header, header)) {
      log.info({ previous: newest }, 'gold: objects unchanged since the previous index are not read again');
      return opened.entries;
    }
    await opened.entries.return(undefined);
    log.info({ previous: newest }, 'gold moved since the previous index: every object is read');
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    log.warn({ previous: newest, reason: e.reason }, `the previous gold index is not used: ${e.message}`);
  }
  return undefined;
}

/** Counts of an index already written (by an earlier run of this version). */
async function countIndex(
  index: Buffer,
  key: string,
): Promise<Omit<PinnedGold, 'uri' | 'endpoint' | 'index'>> {
  const opened = await openGoldIndex(Readable.from([index]), key);
  const counts = { objects: 0, items: 0, leftOut: emptyGoldCounts().leftOut };
  for await (const entry of opened.entries) {
    counts.objects++;
    if (entry.item) counts.items++;
    else counts.leftOut[entry.leftOut]++;
  }
  return counts;
}

async function pinGold(
  store: ArtifactStore,
  config: SnapshotConfig,
  log: Logger,
): Promise<PinnedGold | null> {
  const gold = config.spec.gold;
  if (!gold) return null;
  const header: GoldIndexHeader = {
    goldIndex: GOLD_INDEX_FORMAT,
    uri: gold.uri,
    endpoint: gold.endpoint ?? null,
    format: config.spec.format,
  };
  const key = goldIndexKey(config.namespace, config.dataset, config.version);
  let index = await readIfExists(store, key);
  if (index) log.info({ goldIndex: key }, 'gold: this version was indexed by an earlier run');
  else {
    const location = resolveGold(config, store, gold);
    const previous = await previousGoldIndex(store, config, header, log);
    let built: Awaited<ReturnType<typeof indexGold>>;
    try {
      built = await indexGold({ location, header, previous, namespace: config.namespace, store, log });
    } finally {
      await previous?.return(undefined);
    }
    if (built.counts.items === 0) throw goldEmpty(gold.uri, built.counts.objects);
    // Create-only: a concurrent run of this version may have written it first; its index wins.
    if (!(await store.createObject(key, built.index, 'application/gzip'))) index = await store.getObject(key);
    else index = built.index;
  }
  const counts = await countIndex(index, key);
  if (counts.items === 0) throw goldEmpty(gold.uri, counts.objects);
  return {
    uri: gold.uri,
    endpoint: gold.endpoint ?? null,
    index: { key, sha256: sha256Of(index) },
    ...counts,
  };
}

function goldEmpty(uri: string, objects: number): UserError {
  return new UserError(
    'GoldEmpty',
    objects === 0
      ? `spec.gold ${uri} holds no object: upload the curated base data there, or remove spec.gold`
      : `spec.gold ${uri} holds ${objects} objects but no usable item (see the job's log for what was left out and why)`,
  );
}

/**
 * A scheduled run's parent: the newest published version before this one that no quality gate
 * rejected (what the controller gives an on-demand run as the Dataset's latest snapshot).
 */
async function parentInStore(
  store: ArtifactStore,
  config: SnapshotConfig,
  log: Logger,
): Promise<string | null> {
  const { published } = await listPublishedSnapshots(store, config.namespace, config.dataset);
  const parent = latestAccepted(published, config.version)?.version ?? null;
  log.info(
    { parent },
    parent === null
      ? 'parent: no accepted snapshot is older than this version'
      : 'parent: the newest accepted snapshot older than this version',
  );
  return parent;
}

/** The inputs of this version: pinned by an earlier run, or planned now and pinned. */
async function pinInputs(store: ArtifactStore, config: SnapshotConfig, log: Logger): Promise<SnapshotInputs> {
  const key = snapshotInputsKey(config.namespace, config.dataset, config.version);
  const existing = await readIfExists(store, key);
  if (existing) return checkPinned(key, parseInputs(key, existing), config, log);
  // Looked up once, when the version is planned: a re-run finishes it with the pinned parent.
  const parent = config.scheduled ? await parentInStore(store, config, log) : config.parent;
  const gold = await pinGold(store, config, log);
  const batches = await pinBatches(store, { ...config, time: config.time, log });
  const inputs: SnapshotInputs = {
    snapshotInputs: SNAPSHOT_INPUTS_FORMAT,
    namespace: config.namespace,
    dataset: config.dataset,
    version: config.version,
    time: config.time.toISOString(),
    parent,
    format: config.spec.format,
    variants: VARIANTS.filter((v) => config.spec.snapshot.variants.includes(v)),
    quality: config.spec.quality ?? {},
    gold,
    batches,
  };
  if (await store.createObject(key, encodeInputs(inputs), 'application/json')) return inputs;
  return checkPinned(key, parseInputs(key, await store.getObject(key)), config, log);
}

/** A pin is the version's identity: it wins over what this run was given, which is logged. */
function checkPinned(
  key: string,
  inputs: SnapshotInputs,
  config: SnapshotConfig,
  log: Logger,
): SnapshotInputs {
  if (
    inputs.namespace !== config.namespace ||
    inputs.dataset !== config.dataset ||
    inputs.version !== config.version
  )
    throw new UserError(
      'SnapshotInputsInvalid',
      `${key} names another snapshot (${inputs.namespace}/${inputs.dataset} ${inputs.version})`,
    );
  if (inputs.gold && inputs.gold.index.key !== goldIndexKey(config.namespace, config.dataset, config.version))
    throw new UserError('SnapshotInputsInvalid', `${key} names a gold index that is not this version's`);
  for (const b of inputs.batches)
    if (b.manifest.key !== batchManifestKey(config.namespace, config.dataset, b.segment))
      throw new UserError(
        'SnapshotInputsInvalid',
        `${key} names a batch manifest outside the Dataset's batches`,
      );
  // A scheduled run's parent is the pin's (it was looked up when the version was planned).
  if (inputs.time !== config.time.toISOString() || (!config.scheduled && inputs.parent !== config.parent))
    log.warn(
      { pinned: { time: inputs.time, parent: inputs.parent } },
      'this version was planned by an earlier run: it is finished as planned',
    );
  else
    log.info({ batches: inputs.batches.length }, 'this version was planned by an earlier run: finishing it');
  return inputs;
}

/** Gold items then every batch's, in pinned order; each file's digest is checked as it ends. */
function candidates(store: ArtifactStore, inputs: SnapshotInputs): () => AsyncGenerator<ManifestItem> {
  return async function* all() {
    if (inputs.gold) {
      const { key, sha256 } = inputs.gold.index;
      const opened = await openGoldIndex(await store.openObject(key), key, sha256);
      for await (const entry of opened.entries) if (entry.item) yield entry.item;
    }
    for (const batch of inputs.batches) yield* store.readManifest(batch.manifest.key, batch.manifest.sha256);
  };
}

/** How many candidates the pinned inputs hold, as far as their summaries tell. */
function candidateCount(inputs: SnapshotInputs): number {
  return (inputs.gold?.items ?? 0) + inputs.batches.reduce((n, b) => n + (b.items ?? 0), 0);
}

/** Passes items through, logging how far a pass over them has come. */
async function* withProgress(
  items: AsyncIterable<ManifestItem>,
  log: Logger,
  fields: Record<string, unknown>,
): AsyncGenerator<ManifestItem> {
  const started = Date.now();
  let last = started;
  let n = 0;
  for await (const item of items) {
    n++;
    const now = Date.now();
    if (now - last >= PROGRESS_INTERVAL_MS) {
      last = now;
      log.info({ ...fields, items: n, itemsPerSecond: Math.round(n / ((now - started) / 1000)) }, 'building');
    }
    yield item;
  }
}

async function buildVariant(
  store: ArtifactStore,
  inputs: SnapshotInputs,
  variant: Variant,
  verified: DigestSet | undefined,
  log: Logger,
): Promise<{ summary: VariantSummary; seen: DigestSet; created: boolean }> {
  const { namespace, dataset, version } = inputs;
  const manifestKey = snapshotManifestKey(namespace, dataset, version, variant);
  const all = candidates(store, inputs);
  let stats: VariantStats = emptyStats();
  let seen: DigestSet | undefined;
  let pass = 0;
  let summary: VariantSummary | undefined;
  const published = await publishManifest(store, {
    namespace,
    manifestKey,
    summaryKey: snapshotSummaryKey(namespace, dataset, version, variant),
    // Gold blobs were stored before the gold index, batch blobs before their manifests.
    checkBlobs: false,
    keepBytes: MANIFEST_KEPT_BYTES,
    items: () => {
      stats = emptyStats();
      // For full, the unverified items it keeps: sized once, so no table grows (and is left behind) on the way.
      seen = new DigestSet(
        variant === 'full' ? Math.max(0, candidateCount(inputs) - (verified?.size ?? 0)) : 0,
      );
      return selectVariant(variant, withProgress(all(), log, { variant, pass: ++pass }), stats, {
        verified,
        seen,
      });
    },
    summary: (written) => {
      summary = variantSummary(
        inputs,
        variant,
        { uri: `s3://${store.bucket}/${manifestKey}`, sha256: written.sha256 },
        stats,
      );
      return summary;
    },
  });
  return { summary: summary as VariantSummary, seen: seen as DigestSet, created: published.created };
}

async function publishCard(
  store: ArtifactStore,
  inputs: SnapshotInputs,
  summaries: VariantSummary[],
): Promise<string> {
  const key = snapshotCardKey(inputs.namespace, inputs.dataset, inputs.version);
  const card = Buffer.from(renderCard(inputs, store.bucket, summaries));
  if (!(await store.createObject(key, card, 'text/markdown; charset=utf-8'))) {
    const existing = await store.getObject(key);
    if (!existing.equals(card))
      throw new UserError(
        'AlreadyPublished',
        `${key} is already published with other content; a card is never replaced`,
      );
  }
  return `s3://${store.bucket}/${key}`;
}

export async function runSnapshot(env: Env, log: Logger): Promise<string> {
  const config = parseSnapshotConfig(env);
  const started = Date.now();
  const store = new ArtifactStore(config.store);
  log.info(
    {
      dataset: config.dataset,
      version: config.version,
      time: config.time.toISOString(),
      scheduled: config.scheduled,
    },
    'snapshot starts',
  );
  const inputs = await pinInputs(store, config, log);
  const summaries: VariantSummary[] = [];
  let verified: DigestSet | undefined;
  for (const variant of inputs.variants) {
    // The full variant lets an unverified item give way to a verified one of the same bytes.
    if (variant === 'full' && !verified) verified = await verifiedDigests(candidates(store, inputs)());
    const built = await buildVariant(store, inputs, variant, verified, log);
    if (variant === 'verified') verified = built.seen;
    summaries.push(built.summary);
    log.info(
      {
        variant,
        items: built.summary.items,
        labels: built.summary.distinctLabels,
        duplicates: built.summary.duplicates,
        rejected: built.summary.rejected,
        created: built.created,
      },
      built.summary.rejected
        ? `${variant} published, rejected: ${built.summary.reasons.join('; ')}`
        : `${variant} published`,
    );
  }
  const card = await publishCard(store, inputs, summaries);
  const result: SnapshotResult = {
    ok: true,
    command: 'snapshot',
    version: inputs.version,
    parent: inputs.parent,
    rejected: summaries.some((s) => s.rejected),
    variants: Object.fromEntries(
      summaries.map((s) => [
        s.variant,
        {
          items: s.items,
          labels: s.distinctLabels,
          manifest: s.manifest,
          summary: `s3://${store.bucket}/${snapshotSummaryKey(inputs.namespace, inputs.dataset, inputs.version, s.variant)}`,
          rejected: s.rejected,
          reasons: s.reasons,
        },
      ]),
    ),
    card,
  };
  log.info(
    {
      version: inputs.version,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      // The kernel's peak resident set of this process (maxRSS is in KiB).
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    'snapshot published',
  );
  return encodeSnapshotResult(result);
}
