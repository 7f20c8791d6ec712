// The status a Dataset should have, as a pure function of the object, what the controller observed
// (the spec check, the newest collection and snapshot Jobs, the snapshots in the store, retention)
// and the time; plus the Events the change deserves. Nothing here talks to a server.
import type { CollectResult, SnapshotResult } from '../../../images/data-jobs/job-contract.ts';
import { isInvalid, latestAccepted, type SnapshotListing } from '../../../lib/dataset/published-snapshots.ts';
import { snapshotSummaryKey } from '../../../lib/store/keys.ts';
import type { Condition } from '../../api/common.ts';
import type { Dataset, DatasetStatus, SnapshotStatus } from '../../api/dataset.ts';
import { SNAPSHOT_REQUESTED_ANNOTATION } from '../../api/group.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { EventRecord } from '../../runtime/events.ts';
import type { JobOutcome } from './job-outcomes.ts';
import {
  CONDITION_COLLECTION_HEALTHY,
  CONDITION_READY,
  CONDITION_SNAPSHOTS_HEALTHY,
  EVENT_REASONS,
  REASONS,
} from './reasons.ts';
import type { SpecCheck } from './spec-check.ts';

/** status.snapshots holds at most this many entries (the schema's maxItems). */
const MAX_SNAPSHOT_ENTRIES = 256;
const MAX_REASONS = 8;
const REASON_CHARS = 512;

export interface DatasetObservation {
  check: SpecCheck;
  /** The newest collection Job's outcome; undefined when there is none (yet, or no longer). */
  collection?: JobOutcome<CollectResult>;
  /** The newest snapshot Job's outcome (scheduled or on demand). */
  snapshotBuild?: JobOutcome<SnapshotResult>;
  /** The store's versions (after retention); undefined when it could not be read. */
  listing?: SnapshotListing;
  /** Why the store could not be read or credentials not minted: Ready=False meanwhile. */
  storeProblem?: { reason: string; message: string };
  /** Versions kept past spec.retention, with the ModelVersions that keep them. */
  retained?: Map<string, string[]>;
  /** Versions retention deleted in this reconcile. */
  deleted?: string[];
  /** What each training template last did (undefined: as before). */
  training?: DatasetStatus['training'];
  /** The request value acted on (its Job exists). */
  snapshotRequest?: string;
  /** The operator's bucket, for the summaries' URIs. */
  bucket: string;
}

export interface Desired {
  status: DatasetStatus;
  events: EventRecord[];
}

type ConditionValue = Pick<Condition, 'status' | 'reason' | 'message'>;

function windowText(w: { start: string; end: string }): string {
  return `${w.start} to ${w.end}`;
}

function collectionCondition(
  dataset: Dataset,
  outcome: JobOutcome<CollectResult> | undefined,
  previous: Condition | undefined,
): ConditionValue {
  const collection = dataset.spec.collection;
  if (!collection)
    return {
      status: 'True',
      reason: REASONS.NoCollection,
      message: 'spec.collection is not set: items come from gold alone',
    };
  if (collection.suspend)
    return {
      status: 'True',
      reason: REASONS.CollectionSuspended,
      message: 'collection is suspended; windows missed meanwhile are collected when it resumes',
    };
  const kept =
    previous && previous.reason !== REASONS.NoCollection && previous.reason !== REASONS.CollectionSuspended
      ? previous
      : undefined;
  if (!outcome || (outcome.phase === 'Running' && !outcome.retrying))
    return (
      kept ?? {
        status: 'Unknown',
        reason: REASONS.AwaitingCollection,
        message: 'the first collection run has not finished yet',
      }
    );
  if (outcome.phase === 'Running' && outcome.retrying)
    return {
      status: 'False',
      reason: outcome.retrying.reason,
      message: `Job ${outcome.job}: attempt ${outcome.retrying.attempts} failed, retrying: ${outcome.retrying.message}`,
    };
  if (outcome.phase === 'Failed')
    return {
      status: 'False',
      reason: outcome.reason,
      message: `Job ${outcome.job} failed: ${outcome.message}`,
    };
  const result = outcome.phase === 'Succeeded' ? outcome.result : undefined;
  if (result && !result.caughtUp)
    return {
      status: 'True',
      reason: REASONS.CatchingUp,
      message: `Job ${outcome.job} published ${result.windows} windows; more missed windows are due and follow in the next runs`,
    };
  const last = result?.lastWindow;
  return {
    status: 'True',
    reason: REASONS.Collected,
    message: last
      ? `Job ${outcome.job} published ${result.windows} window(s), the last ${windowText(last)} with ${last.items} items`
      : `Job ${outcome.job} found every window due collected already`,
  };
}

function snapshotsCondition(
  build: JobOutcome<SnapshotResult> | undefined,
  listing: SnapshotListing | undefined,
  previous: Condition | undefined,
): ConditionValue {
  if (build?.phase === 'Running')
    return build.retrying
      ? {
          status: 'False',
          reason: build.retrying.reason,
          message: `Job ${build.job}: attempt ${build.retrying.attempts} failed, retrying: ${build.retrying.message}`,
        }
      : {
          status: 'Unknown',
          reason: REASONS.SnapshotBuilding,
          message: `Job ${build.job} is building a snapshot`,
        };
  if (build?.phase === 'Failed')
    return { status: 'False', reason: build.reason, message: `Job ${build.job} failed: ${build.message}` };
  if (!listing)
    return (
      previous ?? { status: 'Unknown', reason: REASONS.StoreError, message: 'the store could not be read' }
    );
  const newest = listing.published[0];
  // A failed build whose Job is gone (--job-ttl) stands until a version is published after it.
  const failedBuild =
    !build &&
    previous?.status === 'False' &&
    previous.reason !== REASONS.SnapshotRejected &&
    previous.reason !== REASONS.SnapshotUnreadable;
  if (
    failedBuild &&
    (!newest || isInvalid(newest) || newest.publishedAt <= String(previous.lastTransitionTime))
  )
    return previous;
  if (!newest) return { status: 'True', reason: REASONS.NoSnapshot, message: 'no snapshot was built yet' };
  if (isInvalid(newest))
    return {
      status: 'False',
      reason: REASONS.SnapshotUnreadable,
      message: `snapshot ${newest.version}: ${newest.invalid}`,
    };
  if (newest.variants.some((v) => v.rejected)) {
    const why = newest.variants.filter((v) => v.rejected).map((v) => `${v.variant}: ${v.reasons.join('; ')}`);
    return {
      status: 'False',
      reason: REASONS.SnapshotRejected,
      message: `snapshot ${newest.version} is rejected (${why.join(' / ')}); it is kept for inspection`,
    };
  }
  const counts = newest.variants.map((v) => `${v.variant} ${v.items} items`).join(', ');
  return {
    status: 'True',
    reason: REASONS.SnapshotPublished,
    message: `snapshot ${newest.version} published: ${counts}`,
  };
}

function snapshotEntries(observation: DatasetObservation, dataset: Dataset): SnapshotStatus[] {
  const entries: SnapshotStatus[] = [];
  const namespace = dataset.metadata.namespace as string;
  const name = dataset.metadata.name as string;
  for (const snapshot of observation.listing?.published ?? []) {
    if (isInvalid(snapshot)) continue;
    const retainedBy = observation.retained?.get(snapshot.version);
    for (const v of snapshot.variants) {
      entries.push({
        version: snapshot.version,
        variant: v.variant,
        items: v.items,
        ...(v.labels ? { labels: v.labels } : {}),
        manifest: v.manifest,
        summary: `s3://${observation.bucket}/${snapshotSummaryKey(namespace, name, snapshot.version, v.variant)}`,
        createdAt: snapshot.publishedAt,
        ...(v.rejected
          ? {
              rejected: true,
              reasons: v.reasons
                .slice(0, MAX_REASONS)
                .map((r) => (r.length > REASON_CHARS ? `${r.slice(0, REASON_CHARS - 3)}...` : r)),
            }
          : {}),
        ...(retainedBy ? { retainedBy: retainedBy.slice(0, 16) } : {}),
      });
    }
  }
  return entries.slice(0, MAX_SNAPSHOT_ENTRIES);
}

export function desiredStatus(dataset: Dataset, observation: DatasetObservation, now: Date): Desired {
  const previous = dataset.status ?? {};
  const generation = dataset.metadata.generation ?? 0;
  const events: EventRecord[] = [];
  let conditions: Condition[] = previous.conditions ?? [];
  const set = (type: string, value: ConditionValue) => {
    conditions = setCondition(conditions, { type, ...value, observedGeneration: generation }, now);
  };
  const status: DatasetStatus = { observedGeneration: generation };
  if (previous.lastCollection) status.lastCollection = previous.lastCollection;
  if (previous.snapshots) status.snapshots = previous.snapshots;
  if (previous.latestSnapshot) status.latestSnapshot = previous.latestSnapshot;
  const request = observation.snapshotRequest ?? previous.observedSnapshotRequest;
  if (request !== undefined) status.observedSnapshotRequest = request;
  const training = observation.training ?? previous.training;
  if (training && training.length > 0) status.training = training;

  if (!observation.check.ok) {
    set(CONDITION_READY, {
      status: 'False',
      reason: observation.check.reason,
      message: `${observation.check.message}; no Job is started until the spec is fixed`,
    });
    return { status: { ...status, conditions }, events };
  }

  // Collection.
  const collection = observation.collection;
  const last = collection?.phase === 'Succeeded' ? collection.result?.lastWindow : undefined;
  if (collection?.phase === 'Succeeded' && collection.result && last) {
    const isNew = previous.lastCollection?.window.end !== last.end;
    status.lastCollection = {
      window: { start: last.start, end: last.end },
      items: last.items,
      job: collection.job,
      batch: last.batch,
      completionTime: collection.at,
    };
    if (isNew)
      events.push({
        type: 'Normal',
        reason: EVENT_REASONS.BatchPublished,
        action: 'Collect',
        note: `Collected ${collection.result.windows} window(s) up to ${last.end}: ${collection.result.items} items, ${collection.result.corrupt} corrupt left out, ${collection.result.duplicates} duplicates`,
      });
  }
  const previousCollection = findCondition(previous.conditions, CONDITION_COLLECTION_HEALTHY);
  const collectionValue = collectionCondition(dataset, collection, previousCollection);
  if (
    collectionValue.status === 'False' &&
    (previousCollection?.status !== 'False' || previousCollection.reason !== collectionValue.reason)
  )
    events.push({
      type: 'Warning',
      reason: EVENT_REASONS.CollectionFailed,
      action: 'Collect',
      note: `${collectionValue.reason}: ${collectionValue.message}`,
    });
  set(CONDITION_COLLECTION_HEALTHY, collectionValue);

  // Snapshots.
  if (observation.listing) {
    const known = new Set((previous.snapshots ?? []).map((s) => s.version));
    for (const snapshot of [...observation.listing.published].reverse()) {
      if (known.has(snapshot.version) || isInvalid(snapshot)) continue;
      const accepted = !snapshot.variants.some((v) => v.rejected);
      const counts = snapshot.variants.map((v) => `${v.variant} ${v.items} items`).join(', ');
      events.push({
        type: accepted ? 'Normal' : 'Warning',
        reason: accepted ? EVENT_REASONS.SnapshotPublished : EVENT_REASONS.SnapshotRejected,
        action: 'Snapshot',
        note: accepted
          ? `Snapshot ${snapshot.version} published: ${counts}`
          : `Snapshot ${snapshot.version} published as rejected (${counts}): ${snapshot.variants.flatMap((v) => v.reasons).join('; ')}`,
      });
    }
    status.snapshots = snapshotEntries(observation, dataset);
    const latest = latestAccepted(observation.listing.published);
    if (latest) {
      const full = latest.variants.find((v) => v.variant === 'full');
      const verified = latest.variants.find((v) => v.variant === 'verified');
      status.latestSnapshot = {
        version: latest.version,
        items: (full ?? verified)?.items ?? 0,
        ...(verified ? { verifiedItems: verified.items } : {}),
        createdAt: latest.publishedAt,
      };
    } else delete status.latestSnapshot;
  }
  for (const version of observation.deleted ?? [])
    events.push({
      type: 'Normal',
      reason: EVENT_REASONS.SnapshotDeleted,
      action: 'Retain',
      note: `Snapshot ${version} deleted: older than the ${dataset.spec.retention?.snapshots} kept (spec.retention.snapshots) and no ModelVersion was trained on it`,
    });
  const previousSnapshots = findCondition(previous.conditions, CONDITION_SNAPSHOTS_HEALTHY);
  const snapshotsValue = snapshotsCondition(
    observation.snapshotBuild,
    observation.listing,
    previousSnapshots,
  );
  const buildFailed = snapshotsValue.status === 'False' && snapshotsValue.reason !== REASONS.SnapshotRejected;
  if (
    buildFailed &&
    (previousSnapshots?.status !== 'False' || previousSnapshots.reason !== snapshotsValue.reason)
  )
    events.push({
      type: 'Warning',
      reason: EVENT_REASONS.SnapshotFailed,
      action: 'Snapshot',
      note: `${snapshotsValue.reason}: ${snapshotsValue.message}`,
    });
  set(CONDITION_SNAPSHOTS_HEALTHY, snapshotsValue);

  // The summary.
  let ready: ConditionValue;
  if (observation.storeProblem) ready = { status: 'False', ...observation.storeProblem };
  else if (collectionValue.status === 'False') ready = collectionValue;
  else if (buildFailed) ready = snapshotsValue;
  else if (status.latestSnapshot)
    ready = {
      status: 'True',
      reason: REASONS.Ready,
      message: `latest snapshot ${status.latestSnapshot.version}: ${status.latestSnapshot.items} items${status.latestSnapshot.verifiedItems === undefined ? '' : `, ${status.latestSnapshot.verifiedItems} verified`}`,
    };
  else
    ready = {
      status: 'False',
      reason: REASONS.AwaitingSnapshot,
      message:
        snapshotsValue.reason === REASONS.SnapshotRejected
          ? `no snapshot passed its quality gates yet: ${snapshotsValue.message}`
          : dataset.spec.snapshot?.schedule
            ? `no snapshot yet: the next is due on the schedule "${dataset.spec.snapshot.schedule}", or set the annotation ${SNAPSHOT_REQUESTED_ANNOTATION}`
            : `no snapshot yet: set the annotation ${SNAPSHOT_REQUESTED_ANNOTATION} to a new value to build one`,
    };
  set(CONDITION_READY, ready);
  // Summary condition first.
  conditions = [
    ...conditions.filter((c) => c.type === CONDITION_READY),
    ...conditions.filter((c) => c.type !== CONDITION_READY),
  ];
  return { status: { ...status, conditions }, events };
}
