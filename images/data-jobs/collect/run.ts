// `collect`: every window due since the newest batch (at most BOSUN_MAX_WINDOWS_PER_RUN, oldest
// first), each from every source into `datasets/<ns>/<dataset>/batches/<window>.jsonl.gz` and its
// summary, published blobs first (publishManifest). Returns the termination message.
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import { type CollectionWindow, windowSegment } from '../../../lib/dataset/batch-window.ts';
import { checkSchedule } from '../../../lib/dataset/schedule.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import { batchManifestKey, batchSummaryKey } from '../../../lib/store/keys.ts';
import { publishManifest } from '../../../lib/store/publish.ts';
import { DEFAULT_TIME_ZONE } from '../../../operator/api/common.ts';
import {
  type CollectConfig,
  type CollectedWindow,
  type CollectResult,
  encodeCollectResult,
  parseCollectConfig,
} from '../job-contract.ts';
import { createSource } from '../sources/registry.ts';
import { resolveGold } from '../sources/s3-location.ts';
import { newestBatch, rememberedContents, repairSummary } from './batches.ts';
import { collectWindow, type NamedSource, type WindowCollection } from './items.ts';
import { buildSummary, type SummaryContext } from './summary.ts';
import { planWindows } from './windows.ts';

type Env = Record<string, string | undefined>;

/** The folders under gold (its labels), for the summary's new labels; undefined when not known. */
async function goldLabels(
  config: CollectConfig,
  store: ArtifactStore,
  log: Logger,
): Promise<Set<string> | undefined> {
  const gold = config.spec.gold;
  if (!gold || config.spec.format !== 'imagefolder') return undefined;
  try {
    const location = resolveGold(config, store, gold);
    return new Set(await location.store.listFolders(location.prefix));
  } catch (e) {
    // Gold is the snapshot's input; here it only names new labels, which is not worth failing for.
    if (!(e instanceof UserError)) throw e;
    log.warn({ reason: e.reason }, `new labels are not reported: ${e.message}`);
    return undefined;
  }
}

function totals(collected: WindowCollection): { corrupt: number; duplicates: number } {
  let corrupt = 0;
  let duplicates = 0;
  for (const c of collected.counts.values()) {
    corrupt += c.leftOut.corrupt;
    duplicates += c.duplicates;
  }
  return { corrupt, duplicates };
}

function mergeContents(
  previous: Record<string, Record<string, string>>,
  current: Record<string, Record<string, string>>,
): Record<string, Record<string, string>> {
  const merged = { ...previous };
  for (const [source, seen] of Object.entries(current)) merged[source] = { ...previous[source], ...seen };
  return merged;
}

export async function runCollect(env: Env, log: Logger): Promise<string> {
  const config = parseCollectConfig(env);
  const { namespace, dataset, spec } = config;
  const collection = spec.collection;
  if (!collection)
    throw new UserError(
      'ScheduleInvalid',
      'spec.collection is not set: the Dataset has no collection schedule',
    );
  const schedule = checkSchedule({
    cron: collection.schedule,
    timeZone: collection.timeZone ?? DEFAULT_TIME_ZONE,
  });
  const store = new ArtifactStore(config.store);
  const sources: NamedSource[] = (spec.sources ?? []).map((source, index) => ({
    name: source.name,
    source: createSource(source, {
      namespace,
      dataset,
      format: spec.format,
      tabular: spec.tabular,
      name: source.name,
      index,
      env: config.env,
      store,
      storeConfig: config.store,
      log,
    }),
  }));
  try {
    const summaryBase = {
      dataset,
      namespace,
      format: spec.format,
      goldLabels: await goldLabels(config, store, log),
    };
    const newest = await newestBatch(store, namespace, dataset);
    if (newest && !newest.hasSummary) await repairSummary(store, newest, summaryBase, log);
    let contents = newest ? await rememberedContents(store, newest, log) : {};
    const plan = planWindows({
      schedule,
      now: config.now,
      ...(newest ? { lastEnd: newest.window.end } : {}),
      ...(collection.since ? { since: new Date(collection.since) } : {}),
      maxWindows: config.maxWindowsPerRun,
    });
    log.info(
      {
        windows: plan.windows.length,
        caughtUp: plan.caughtUp,
        tick: plan.tick?.toISOString(),
        after: newest?.window.end.toISOString(),
        sources: sources.length,
      },
      plan.windows.length === 0 ? 'nothing to collect: every window due has its batch' : 'collecting',
    );
    const result: CollectResult = {
      ok: true,
      command: 'collect',
      windows: 0,
      items: 0,
      corrupt: 0,
      duplicates: 0,
      caughtUp: plan.caughtUp,
    };
    for (const window of plan.windows) {
      const started = Date.now();
      const collected = await collectWindow({
        namespace,
        store,
        window,
        sources,
        previousContents: contents,
        log,
      });
      const published = await publishBatch(store, summaryBase, window, collected, contents);
      contents = mergeContents(contents, collected.contents);
      const { corrupt, duplicates } = totals(collected);
      const seconds = (Date.now() - started) / 1000;
      log.info(
        {
          window: published.segment,
          items: collected.items.length,
          corrupt,
          duplicates,
          blobs: collected.blobs,
          created: published.created,
          seconds,
          itemsPerSecond: seconds > 0 ? Math.round(collected.items.length / seconds) : undefined,
        },
        'batch published',
      );
      result.windows++;
      result.items += collected.items.length;
      result.corrupt += corrupt;
      result.duplicates += duplicates;
      result.lastWindow = published.window;
    }
    return encodeCollectResult(result);
  } finally {
    await Promise.all(sources.map((s) => s.source.close?.()));
  }
}

async function publishBatch(
  store: ArtifactStore,
  base: Omit<SummaryContext, 'window' | 'manifestUri'>,
  window: CollectionWindow,
  collected: WindowCollection,
  previousContents: Record<string, Record<string, string>>,
): Promise<{ segment: string; created: boolean; window: CollectedWindow }> {
  const segment = windowSegment(window);
  const manifestKey = batchManifestKey(base.namespace, base.dataset, segment);
  const manifestUri = `s3://${store.bucket}/${manifestKey}`;
  const ctx: SummaryContext = { ...base, window, manifestUri };
  const published = await publishManifest(store, {
    namespace: base.namespace,
    manifestKey,
    summaryKey: batchSummaryKey(base.namespace, base.dataset, segment),
    items: () => collected.items,
    summary: (written) =>
      buildSummary(ctx, written, collected, mergeContents(previousContents, collected.contents)),
    // Every item's blob was read (a reference) or found or written (a copy) by this run moments
    // ago, and only a reference-counting collector deletes blobs: a HEAD per item would repeat that.
    checkBlobs: false,
  });
  return {
    segment,
    created: published.created,
    window: {
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      items: published.count,
      batch: { uri: manifestUri, sha256: published.sha256 },
    },
  };
}
