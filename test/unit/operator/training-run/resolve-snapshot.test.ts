import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import { resolveSnapshot } from '../../../../operator/controllers/training-run/resolve-snapshot.ts';
import { aDataset } from '../../gen/dataset.ts';
import {
  aPinnedSnapshot,
  aSnapshotEntry,
  aTrainingRun,
  listing,
  onSnapshot,
  V1,
  V2,
} from '../../gen/training-run.ts';

// Two versions, newest first: V2 built both variants, its full one rejected; V1 only verified.
const pets = (...mods: ((d: Dataset) => void)[]) =>
  aDataset(
    'pets',
    listing(
      V2,
      aSnapshotEntry(V2, 'verified'),
      aSnapshotEntry(V2, 'full', ['too few items of label dog']),
      aSnapshotEntry(V1),
    ),
    ...mods,
  );

describe('resolving the snapshot a run trains on', () => {
  it('latest is the latestSnapshot, in the verified variant when none is named', () => {
    expect(resolveSnapshot(aTrainingRun('r'), pets())).toEqual({ ok: true, snapshot: aPinnedSnapshot(V2) });
  });

  it('a version is the one listed in the Dataset status, with its manifest', () => {
    expect(resolveSnapshot(aTrainingRun('r', onSnapshot(V1)), pets())).toEqual({
      ok: true,
      snapshot: aPinnedSnapshot(V1),
    });
  });

  interface Case {
    name: string;
    run: ReturnType<typeof aTrainingRun>;
    dataset: Dataset | undefined;
    reason: string;
    message: string;
  }
  const cases: Case[] = [
    {
      name: 'no Dataset',
      run: aTrainingRun('r'),
      dataset: undefined,
      reason: 'DatasetNotFound',
      message: 'Dataset pets does not exist in namespace team-a',
    },
    {
      name: 'a Dataset without any accepted snapshot yet',
      run: aTrainingRun('r'),
      dataset: aDataset('pets'),
      reason: 'SnapshotNotFound',
      message: 'Dataset pets has no snapshot that passed its quality gates yet',
    },
    {
      name: 'a version the Dataset does not list',
      run: aTrainingRun('r', onSnapshot('20251201-000000')),
      dataset: pets(),
      reason: 'SnapshotNotFound',
      message: 'Dataset pets lists no verified variant of snapshot 20251201-000000',
    },
    {
      name: 'a variant the version was not built in',
      run: aTrainingRun('r', onSnapshot(V1, 'full')),
      dataset: pets(),
      reason: 'SnapshotNotFound',
      message: `Dataset pets lists no full variant of snapshot ${V1}`,
    },
    {
      name: 'the latest version, in a variant that was rejected',
      run: aTrainingRun('r', onSnapshot('latest', 'full')),
      dataset: pets(),
      reason: 'SnapshotNotFound',
      message: `the full variant of snapshot ${V2} of Dataset pets is rejected: too few items of label dog`,
    },
  ];
  it.each(cases)('$name: $reason', ({ run, dataset, reason, message }) => {
    expect(resolveSnapshot(run, dataset)).toEqual({ ok: false, reason, message });
  });
});
