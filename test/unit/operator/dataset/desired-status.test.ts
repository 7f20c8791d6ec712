import { describe, expect, it } from 'vitest';
import type { CollectResult, SnapshotResult } from '../../../../images/data-jobs/job-contract.ts';
import type { SnapshotListing } from '../../../../lib/dataset/published-snapshots.ts';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import {
  type DatasetObservation,
  desiredStatus,
} from '../../../../operator/controllers/dataset/desired-status.ts';
import type { JobOutcome } from '../../../../operator/controllers/dataset/job-outcomes.ts';
import { aDataset, withCollection, withSnapshotSchedule } from '../../gen/dataset.ts';
import { A_WINDOW, aCollectResult, aPublishedSnapshot } from '../../gen/dataset-jobs.ts';
import { collectionSuspended, requestingSnapshot, withGeneration } from '../../gen/dataset-state.ts';
import { statusSchemaErrors } from './status-schema.ts';

const T0 = new Date('2026-01-10T02:05:00Z');
const T1 = new Date('2026-01-10T02:10:00Z');
const V1 = '20260101-030000';
const V2 = '20260201-030000';
const V3 = '20260301-030000';

const listing = (...published: SnapshotListing['published']): SnapshotListing => ({
  published,
  incomplete: [],
});
const obs = (extra: Partial<DatasetObservation> = {}): DatasetObservation => ({
  check: { ok: true },
  bucket: 'bosun',
  listing: listing(),
  ...extra,
});

type Collection = JobOutcome<CollectResult>;
type Build = JobOutcome<SnapshotResult>;
const collectedBy = (job: string, change: Partial<CollectResult> = {}): Collection => ({
  phase: 'Succeeded',
  job,
  at: '2026-01-10T02:01:00Z',
  result: aCollectResult(change),
});
const retryingBecause = (reason: string, attempts = 1, job = 'pets-collect-2'): Collection => ({
  phase: 'Running',
  job,
  retrying: { reason, message: 'postgres feedback-db:5432: connection refused', attempts },
});
const failedBecause = (reason: string): Collection & Build => ({
  phase: 'Failed',
  job: 'pets-job-3',
  at: '2026-01-10T02:01:00Z',
  reason,
  message: 'see the reason',
});

const collecting = (...mods: Parameters<typeof aDataset>[1][]) =>
  aDataset('pets', withCollection('0 2 * * *'), ...mods);

function step(dataset: Dataset, observation: DatasetObservation, now = T0) {
  const { status, events } = desiredStatus(dataset, observation, now);
  return {
    dataset: { ...dataset, status } as Dataset,
    events: events.map((e) => e.reason),
    notes: events.map((e) => e.note),
    types: events.map((e) => e.type),
  };
}
const condition = (dataset: Dataset, type: string) =>
  dataset.status?.conditions?.find((c) => c.type === type);
const pair = (dataset: Dataset, type: string) => {
  const c = condition(dataset, type);
  return c && [c.status, c.reason];
};

interface Case {
  name: string;
  dataset: Dataset;
  observation: DatasetObservation;
  ready: [string, string];
  collection: [string, string];
  snapshots: [string, string];
  events: string[];
}

const cases: Case[] = [
  {
    name: 'no collection and no snapshot yet: waiting for one',
    dataset: aDataset('pets'),
    observation: obs(),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'NoCollection'],
    snapshots: ['True', 'NoSnapshot'],
    events: [],
  },
  {
    name: 'collection suspended',
    dataset: collecting(collectionSuspended),
    observation: obs({ collection: retryingBecause('SourceUnavailable') }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'CollectionSuspended'],
    snapshots: ['True', 'NoSnapshot'],
    events: [],
  },
  {
    name: 'awaiting the first collection',
    dataset: collecting(),
    observation: obs(),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['Unknown', 'AwaitingCollection'],
    snapshots: ['True', 'NoSnapshot'],
    events: [],
  },
  {
    name: 'the first collection running',
    dataset: collecting(),
    observation: obs({ collection: { phase: 'Running', job: 'pets-collect-1' } }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['Unknown', 'AwaitingCollection'],
    snapshots: ['True', 'NoSnapshot'],
    events: [],
  },
  {
    name: 'a collection that published a batch',
    dataset: collecting(),
    observation: obs({ collection: collectedBy('pets-collect-1') }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'Collected'],
    snapshots: ['True', 'NoSnapshot'],
    events: ['BatchPublished'],
  },
  {
    name: 'a collection that found every window collected already',
    dataset: collecting(),
    observation: obs({
      collection: collectedBy('pets-collect-1', {
        windows: 0,
        items: 0,
        corrupt: 0,
        duplicates: 0,
        lastWindow: undefined,
      }),
    }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'Collected'],
    snapshots: ['True', 'NoSnapshot'],
    events: [],
  },
  {
    name: 'a collection catching up on missed windows',
    dataset: collecting(),
    observation: obs({ collection: collectedBy('pets-collect-1', { windows: 24, caughtUp: false }) }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'CatchingUp'],
    snapshots: ['True', 'NoSnapshot'],
    events: ['BatchPublished'],
  },
  {
    name: 'a collection retrying while its source is down',
    dataset: collecting(),
    observation: obs({
      collection: retryingBecause('SourceUnavailable'),
      listing: listing(aPublishedSnapshot(V1)),
    }),
    ready: ['False', 'SourceUnavailable'],
    collection: ['False', 'SourceUnavailable'],
    snapshots: ['True', 'SnapshotPublished'],
    events: ['CollectionFailed', 'SnapshotPublished'],
  },
  {
    name: 'a collection that failed',
    dataset: collecting(),
    observation: obs({ collection: failedBecause('QueryInvalid') }),
    ready: ['False', 'QueryInvalid'],
    collection: ['False', 'QueryInvalid'],
    snapshots: ['True', 'NoSnapshot'],
    events: ['CollectionFailed'],
  },
  {
    name: 'a snapshot building beside a published one',
    dataset: aDataset('pets'),
    observation: obs({
      snapshotBuild: { phase: 'Running', job: 'pets-snapshot-1' },
      listing: listing(aPublishedSnapshot(V1)),
    }),
    ready: ['True', 'Ready'],
    collection: ['True', 'NoCollection'],
    snapshots: ['Unknown', 'SnapshotBuilding'],
    events: ['SnapshotPublished'],
  },
  {
    name: 'a snapshot build retrying',
    dataset: aDataset('pets'),
    observation: obs({ snapshotBuild: retryingBecause('StoreUnavailable', 2, 'pets-snapshot-1') as Build }),
    ready: ['False', 'StoreUnavailable'],
    collection: ['True', 'NoCollection'],
    snapshots: ['False', 'StoreUnavailable'],
    events: ['SnapshotFailed'],
  },
  {
    name: 'a snapshot build that failed',
    dataset: aDataset('pets'),
    observation: obs({ snapshotBuild: failedBecause('GoldEmpty') }),
    ready: ['False', 'GoldEmpty'],
    collection: ['True', 'NoCollection'],
    snapshots: ['False', 'GoldEmpty'],
    events: ['SnapshotFailed'],
  },
  {
    name: 'a newest snapshot that failed its quality gates, and no other',
    dataset: aDataset('pets'),
    observation: obs({
      listing: listing(
        aPublishedSnapshot(V1, { rejected: { verified: ['label dog has 3 items, fewer than 10'] } }),
      ),
    }),
    ready: ['False', 'AwaitingSnapshot'],
    collection: ['True', 'NoCollection'],
    snapshots: ['False', 'SnapshotRejected'],
    events: ['SnapshotRejected'],
  },
  {
    name: 'a newest snapshot rejected after an accepted one: the accepted one is still there to train on',
    dataset: aDataset('pets'),
    observation: obs({
      listing: listing(
        aPublishedSnapshot(V2, { rejected: { full: ['corrupt share 0.2 above 0.05'] } }),
        aPublishedSnapshot(V1),
      ),
    }),
    ready: ['True', 'Ready'],
    collection: ['True', 'NoCollection'],
    snapshots: ['False', 'SnapshotRejected'],
    events: ['SnapshotPublished', 'SnapshotRejected'],
  },
  {
    name: 'a newest snapshot whose summary cannot be read',
    dataset: aDataset('pets'),
    observation: obs({
      listing: listing({ version: V2, invalid: 'full.json is not JSON' }, aPublishedSnapshot(V1)),
    }),
    ready: ['False', 'SnapshotUnreadable'],
    collection: ['True', 'NoCollection'],
    snapshots: ['False', 'SnapshotUnreadable'],
    events: ['SnapshotPublished', 'SnapshotFailed'],
  },
  {
    name: 'a published snapshot',
    dataset: aDataset('pets'),
    observation: obs({ listing: listing(aPublishedSnapshot(V1)) }),
    ready: ['True', 'Ready'],
    collection: ['True', 'NoCollection'],
    snapshots: ['True', 'SnapshotPublished'],
    events: ['SnapshotPublished'],
  },
  {
    name: 'a store that cannot be read',
    dataset: aDataset('pets'),
    observation: obs({
      listing: undefined,
      storeProblem: { reason: 'StoreError', message: 'the store could not be read: timeout' },
    }),
    ready: ['False', 'StoreError'],
    collection: ['True', 'NoCollection'],
    snapshots: ['Unknown', 'StoreError'],
    events: [],
  },
];

describe('the desired status of a Dataset', () => {
  it.each(cases)('$name', (c) => {
    const { dataset, events } = step(c.dataset, c.observation);
    expect(pair(dataset, 'Ready')).toEqual(c.ready);
    expect(pair(dataset, 'CollectionHealthy')).toEqual(c.collection);
    expect(pair(dataset, 'SnapshotsHealthy')).toEqual(c.snapshots);
    expect(events).toEqual(c.events);
    expect(dataset.status?.conditions?.[0]?.type).toBe('Ready');
    expect(dataset.status?.conditions?.every((x) => x.observedGeneration === 1)).toBe(true);
    // What the API server would refuse (a 422) is never written.
    expect(statusSchemaErrors(dataset.status)).toEqual([]);
  });

  it('on a spec check failure sets Ready False with its reason and changes nothing else', () => {
    const settled = step(
      collecting(),
      obs({ collection: collectedBy('pets-collect-1'), listing: listing(aPublishedSnapshot(V1)) }),
    );
    const broken = step(
      { ...settled.dataset, metadata: { ...settled.dataset.metadata, generation: 2 } },
      {
        check: { ok: false, reason: 'LocationOutsideNamespace', message: 'spec.gold.uri must lie under ...' },
        bucket: 'bosun',
        // Whatever else was seen, none of it is reported.
        collection: failedBecause('QueryInvalid'),
        listing: listing(),
        storeProblem: { reason: 'StoreError', message: 'down' },
      },
      T1,
    );
    expect(broken.events).toEqual([]);
    const ready = condition(broken.dataset, 'Ready');
    expect(ready).toMatchObject({
      status: 'False',
      reason: 'LocationOutsideNamespace',
      observedGeneration: 2,
    });
    expect(ready?.message).toContain('spec.gold.uri must lie under ...');
    expect(ready?.message).toContain('no Job is started until the spec is fixed');
    const { conditions: before, observedGeneration: _g1, ...restBefore } = settled.dataset.status ?? {};
    const { conditions: after, observedGeneration, ...restAfter } = broken.dataset.status ?? {};
    expect(observedGeneration).toBe(2);
    expect(restAfter).toEqual(restBefore);
    expect(after?.filter((x) => x.type !== 'Ready')).toEqual(before?.filter((x) => x.type !== 'Ready'));
  });

  it('records the last collection from its result, with a BatchPublished Event once per window', () => {
    const first = step(collecting(), obs({ collection: collectedBy('pets-collect-1') }));
    expect(first.dataset.status?.lastCollection).toEqual({
      window: { start: A_WINDOW.start, end: A_WINDOW.end },
      items: A_WINDOW.items,
      job: 'pets-collect-1',
      batch: A_WINDOW.batch,
      completionTime: '2026-01-10T02:01:00Z',
    });
    expect(first.notes).toEqual([
      `Collected 1 window(s) up to ${A_WINDOW.end}: 40 items, 1 corrupt left out, 2 duplicates`,
    ]);
    // The same Job seen again, or another run that published the same window (a retry), is no news.
    expect(step(first.dataset, obs({ collection: collectedBy('pets-collect-1') }), T1).events).toEqual([]);
    expect(step(first.dataset, obs({ collection: collectedBy('pets-collect-9') }), T1).events).toEqual([]);
    // A run that found nothing due keeps the last collection as it was.
    const nothing = step(
      first.dataset,
      obs({ collection: collectedBy('pets-collect-2', { windows: 0, lastWindow: undefined }) }),
      T1,
    );
    expect(nothing.dataset.status?.lastCollection).toEqual(first.dataset.status?.lastCollection);
    const next = { ...A_WINDOW, start: A_WINDOW.end, end: '2026-01-11T00:00:00Z', items: 7 };
    const second = step(
      first.dataset,
      obs({ collection: collectedBy('pets-collect-2', { lastWindow: next }) }),
      T1,
    );
    expect(second.events).toEqual(['BatchPublished']);
    expect(second.dataset.status?.lastCollection).toMatchObject({
      window: { end: next.end },
      items: 7,
      job: 'pets-collect-2',
    });
  });

  it('reports a collection retrying once, not on every attempt, and again for another reason', () => {
    const first = step(collecting(), obs({ collection: retryingBecause('SourceUnavailable', 1) }));
    expect(first.events).toEqual(['CollectionFailed']);
    expect(first.types).toEqual(['Warning']);
    expect(first.notes[0]).toContain('SourceUnavailable');
    expect(condition(first.dataset, 'CollectionHealthy')?.message).toBe(
      'Job pets-collect-2: attempt 1 failed, retrying: postgres feedback-db:5432: connection refused',
    );
    const again = step(first.dataset, obs({ collection: retryingBecause('SourceUnavailable', 2) }), T1);
    expect(again.events).toEqual([]);
    expect(pair(again.dataset, 'Ready')).toEqual(['False', 'SourceUnavailable']);
    const other = step(again.dataset, obs({ collection: retryingBecause('SourceAccessDenied', 3) }), T1);
    expect(other.events).toEqual(['CollectionFailed']);
    // Once it succeeds it is healthy again, and the failure is not repeated by the next one.
    const healed = step(other.dataset, obs({ collection: collectedBy('pets-collect-2') }), T1);
    expect(pair(healed.dataset, 'CollectionHealthy')).toEqual(['True', 'Collected']);
    expect(
      step(healed.dataset, obs({ collection: retryingBecause('SourceUnavailable', 1, 'pets-collect-3') }), T1)
        .events,
    ).toEqual(['CollectionFailed']);
  });

  it('keeps the last collection verdict while the next run is running', () => {
    const failed = step(collecting(), obs({ collection: failedBecause('QueryInvalid') }));
    const running = step(
      failed.dataset,
      obs({ collection: { phase: 'Running', job: 'pets-collect-4' } }),
      T1,
    );
    expect(pair(running.dataset, 'CollectionHealthy')).toEqual(['False', 'QueryInvalid']);
    expect(running.events).toEqual([]);
    const ok = step(collecting(), obs({ collection: collectedBy('pets-collect-1') }));
    expect(
      pair(
        step(ok.dataset, obs({ collection: { phase: 'Running', job: 'pets-collect-2' } }), T1).dataset,
        'CollectionHealthy',
      ),
    ).toEqual(['True', 'Collected']);
  });

  it('keeps a failed snapshot build after its Job is gone, until a version is published after it', () => {
    const published = aPublishedSnapshot(V1, { publishedAt: '2026-01-10T01:00:00Z' });
    const failed = step(
      collecting(),
      obs({ listing: listing(published), snapshotBuild: failedBecause('GoldEmpty') }),
    );
    expect(pair(failed.dataset, 'SnapshotsHealthy')).toEqual(['False', 'GoldEmpty']);
    // --job-ttl removed the Job: the store still lists only the older version.
    const later = step(failed.dataset, obs({ listing: listing(published) }), T1);
    expect(pair(later.dataset, 'SnapshotsHealthy')).toEqual(['False', 'GoldEmpty']);
    expect(pair(later.dataset, 'Ready')).toEqual(['False', 'GoldEmpty']);
    const newer = aPublishedSnapshot(V2, { publishedAt: '2026-01-10T03:00:00Z' });
    const fixed = step(later.dataset, obs({ listing: listing(newer, published) }), T1);
    expect(pair(fixed.dataset, 'SnapshotsHealthy')).toEqual(['True', 'SnapshotPublished']);
  });

  it('lists every variant of every readable version, with its summary, and the latest accepted one', () => {
    const { dataset } = step(
      aDataset('pets'),
      obs({
        listing: listing(aPublishedSnapshot(V2), { version: V1, invalid: 'verified.json is not JSON' }),
      }),
    );
    const published = aPublishedSnapshot(V2);
    expect(dataset.status?.snapshots).toEqual(
      published.variants.map((v) => ({
        version: V2,
        variant: v.variant,
        items: v.items,
        labels: v.labels,
        manifest: v.manifest,
        summary: `s3://bosun/datasets/team-a/pets/snapshots/${V2}/${v.variant}.json`,
        createdAt: published.publishedAt,
      })),
    );
    expect(dataset.status?.latestSnapshot).toEqual({
      version: V2,
      items: 120,
      verifiedItems: 80,
      createdAt: published.publishedAt,
    });
    expect(condition(dataset, 'Ready')?.message).toBe(`latest snapshot ${V2}: 120 items, 80 verified`);
  });

  it('counts the verified variant when it is the only one built', () => {
    const { dataset } = step(
      aDataset('pets'),
      obs({ listing: listing(aPublishedSnapshot(V1, { items: { verified: 30 } })) }),
    );
    expect(dataset.status?.latestSnapshot).toEqual({
      version: V1,
      items: 30,
      verifiedItems: 30,
      createdAt: aPublishedSnapshot(V1).publishedAt,
    });
  });

  it('never makes a rejected version the latest snapshot, and drops one no version is left for', () => {
    const rejected = aPublishedSnapshot(V3, { rejected: { full: ['imbalance 9.0 above 4.0'] } });
    const { dataset } = step(
      aDataset('pets'),
      obs({ listing: listing(rejected, aPublishedSnapshot(V2), aPublishedSnapshot(V1)) }),
    );
    expect(dataset.status?.latestSnapshot?.version).toBe(V2);
    expect(
      dataset.status?.snapshots?.filter((s) => s.rejected).map((s) => [s.version, s.variant, s.reasons]),
    ).toEqual([[V3, 'full', ['imbalance 9.0 above 4.0']]]);
    expect(condition(dataset, 'SnapshotsHealthy')?.message).toBe(
      `snapshot ${V3} is rejected (full: imbalance 9.0 above 4.0); it is kept for inspection`,
    );
    const onlyRejected = step(dataset, obs({ listing: listing(rejected) }), T1);
    expect(onlyRejected.dataset.status?.latestSnapshot).toBeUndefined();
    expect(pair(onlyRejected.dataset, 'Ready')).toEqual(['False', 'AwaitingSnapshot']);
    expect(condition(onlyRejected.dataset, 'Ready')?.message).toContain(
      'no snapshot passed its quality gates yet',
    );
  });

  it("cuts a rejected variant's reasons to what the schema holds", () => {
    const reasons = Array.from({ length: 10 }, (_, i) => `${i}: ${'x'.repeat(i === 0 ? 600 : 10)}`);
    const { dataset } = step(
      aDataset('pets'),
      obs({ listing: listing(aPublishedSnapshot(V1, { rejected: { full: reasons } })) }),
    );
    const full = dataset.status?.snapshots?.find((s) => s.variant === 'full');
    expect(full?.reasons).toHaveLength(8);
    expect(full?.reasons?.[0]).toHaveLength(512);
    expect(full?.reasons?.[0]?.endsWith('...')).toBe(true);
    expect(full?.reasons?.slice(1)).toEqual(reasons.slice(1, 8));
    expect(statusSchemaErrors(dataset.status)).toEqual([]);
  });

  it('sends SnapshotPublished and SnapshotRejected only for versions new to status, oldest first', () => {
    const first = step(aDataset('pets'), obs({ listing: listing(aPublishedSnapshot(V1)) }));
    expect(first.notes).toEqual([`Snapshot ${V1} published: verified 80 items, full 120 items`]);
    const later = step(
      first.dataset,
      obs({
        listing: listing(
          aPublishedSnapshot(V3, { rejected: { verified: ['label dog has 3 items'] } }),
          aPublishedSnapshot(V2),
          aPublishedSnapshot(V1),
        ),
      }),
      T1,
    );
    expect(later.events).toEqual(['SnapshotPublished', 'SnapshotRejected']);
    expect(later.types).toEqual(['Normal', 'Warning']);
    expect(later.notes[0]).toContain(V2);
    expect(later.notes[1]).toContain(V3);
    expect(later.notes[1]).toContain('label dog has 3 items');
    expect(
      step(
        later.dataset,
        obs({
          listing: listing(aPublishedSnapshot(V3, { rejected: { verified: ['x'] } }), aPublishedSnapshot(V2)),
        }),
        T1,
      ).events,
    ).toEqual([]);
  });

  it('names the ModelVersions that keep a version past retention', () => {
    const { dataset } = step(
      aDataset('pets'),
      obs({
        listing: listing(aPublishedSnapshot(V2), aPublishedSnapshot(V1)),
        retained: new Map([[V1, ['pets-v1', 'pets-v2']]]),
      }),
    );
    expect(dataset.status?.snapshots?.map((s) => [s.version, s.retainedBy])).toEqual([
      [V2, undefined],
      [V2, undefined],
      [V1, ['pets-v1', 'pets-v2']],
      [V1, ['pets-v1', 'pets-v2']],
    ]);
  });

  it('tells of each version retention deleted', () => {
    const { events, notes, dataset } = step(
      aDataset('pets', (d) => (d.spec.retention = { snapshots: 1 })),
      obs({ listing: listing(aPublishedSnapshot(V3)), deleted: [V1, V2] }),
    );
    expect(events).toEqual(['SnapshotPublished', 'SnapshotDeleted', 'SnapshotDeleted']);
    expect(notes[1]).toContain(V1);
    expect(notes[2]).toContain(V2);
    expect(notes[1]).toContain('older than the 1 kept');
    expect(dataset.status?.snapshots?.map((s) => s.version)).toEqual([V3, V3]);
  });

  it('keeps what it knew of the snapshots while the store cannot be read', () => {
    const known = step(aDataset('pets'), obs({ listing: listing(aPublishedSnapshot(V1)) }));
    const down = step(
      known.dataset,
      obs({
        listing: undefined,
        storeProblem: { reason: 'StoreError', message: 'the store could not be read: ECONNREFUSED' },
      }),
      T1,
    );
    expect(down.dataset.status?.snapshots).toEqual(known.dataset.status?.snapshots);
    expect(down.dataset.status?.latestSnapshot).toEqual(known.dataset.status?.latestSnapshot);
    expect(condition(down.dataset, 'SnapshotsHealthy')).toEqual(condition(known.dataset, 'SnapshotsHealthy'));
    expect(condition(down.dataset, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'StoreError',
      message: 'the store could not be read: ECONNREFUSED',
    });
    expect(down.events).toEqual([]);
  });

  it('puts Ready first, whatever order the status had', () => {
    const ready = step(aDataset('pets'), obs({ listing: listing(aPublishedSnapshot(V1)) }));
    const shuffled = {
      ...ready.dataset,
      status: {
        ...ready.dataset.status,
        conditions: [...(ready.dataset.status?.conditions ?? [])].reverse(),
      },
    } as Dataset;
    expect(
      step(shuffled, obs({ listing: listing(aPublishedSnapshot(V1)) }), T1).dataset.status?.conditions?.map(
        (c) => c.type,
      ),
    ).toEqual(['Ready', 'SnapshotsHealthy', 'CollectionHealthy']);
  });

  it('moves lastTransitionTime only when a condition changes status, and is stable when nothing changes', () => {
    const first = step(collecting(withGeneration(3)), obs({ collection: collectedBy('pets-collect-1') }));
    const same = step(first.dataset, obs({ collection: collectedBy('pets-collect-1') }), T1);
    expect(same.dataset.status).toEqual(first.dataset.status);
    expect(same.events).toEqual([]);
    const published = step(
      same.dataset,
      obs({ collection: collectedBy('pets-collect-1'), listing: listing(aPublishedSnapshot(V1)) }),
      T1,
    );
    expect(condition(published.dataset, 'Ready')?.lastTransitionTime).toBe('2026-01-10T02:10:00Z');
    // Same status, new reason and message: the time it became True stays.
    expect(condition(published.dataset, 'SnapshotsHealthy')?.lastTransitionTime).toBe('2026-01-10T02:05:00Z');
    expect(condition(published.dataset, 'CollectionHealthy')?.lastTransitionTime).toBe(
      '2026-01-10T02:05:00Z',
    );
    expect(published.dataset.status?.observedGeneration).toBe(3);
  });

  it('records the snapshot request acted on, and keeps it', () => {
    const asked = step(aDataset('pets', requestingSnapshot('now')), obs({ snapshotRequest: 'now' }));
    expect(asked.dataset.status?.observedSnapshotRequest).toBe('now');
    expect(step(asked.dataset, obs(), T1).dataset.status?.observedSnapshotRequest).toBe('now');
    expect(step(aDataset('pets'), obs()).dataset.status?.observedSnapshotRequest).toBeUndefined();
  });

  it('tells how to get a first snapshot: the schedule when there is one, else the annotation', () => {
    const scheduled = step(aDataset('pets', withSnapshotSchedule('0 3 1 * *')), obs());
    expect(condition(scheduled.dataset, 'Ready')?.message).toContain('"0 3 1 * *"');
    const unscheduled = step(aDataset('pets'), obs());
    expect(condition(unscheduled.dataset, 'Ready')?.message).toContain('bosun.dev/snapshot-requested');
  });
});
