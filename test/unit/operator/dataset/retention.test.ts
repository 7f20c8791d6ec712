import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import { retentionPlan, trainedOn } from '../../../../operator/controllers/dataset/retention.ts';
import { aDataset } from '../../gen/dataset.ts';
import { aModelVersion, inNamespace } from '../../gen/model-version.ts';

const V = (day: number) => `202601${String(day).padStart(2, '0')}-000000`;
/** Five versions, newest first, as the store lists them. */
const VERSIONS = [V(5), V(4), V(3), V(2), V(1)];
const NONE = new Map<string, string[]>();

const trainedOnSnapshot =
  (dataset: string, snapshot: string) =>
  (mv: ModelVersion): void => {
    mv.spec.source = {
      trainingRun: `${dataset}-run`,
      dataset: { name: dataset, snapshot, variant: 'verified', manifestSha256: 'e'.repeat(64) },
    };
  };

describe('retention', () => {
  it('keeps the newest N and deletes the rest, oldest first', () => {
    expect(retentionPlan(VERSIONS, 3, NONE)).toEqual({ delete: [V(1), V(2)], retained: new Map() });
    expect(retentionPlan(VERSIONS, 5, NONE).delete).toEqual([]);
    expect(retentionPlan(VERSIONS, 12, NONE).delete).toEqual([]);
  });

  it('judges by version, whatever order or repetition the list comes in', () => {
    expect(retentionPlan([V(2), V(5), V(1), V(5), V(4), V(3)], 2, NONE).delete).toEqual([V(1), V(2), V(3)]);
  });

  it('keeps at least the newest version, whatever N says', () => {
    expect(retentionPlan(VERSIONS, 0, NONE).delete).toEqual([V(1), V(2), V(3), V(4)]);
    expect(retentionPlan(VERSIONS, -3, NONE).delete).toEqual([V(1), V(2), V(3), V(4)]);
    expect(retentionPlan([], 0, NONE)).toEqual({ delete: [], retained: new Map() });
  });

  it('keeps the newest accepted version, however many rejected ones came after it', () => {
    expect(retentionPlan(VERSIONS, 2, NONE, V(2)).delete).toEqual([V(1), V(3)]);
  });

  it('keeps an old version a ModelVersion was trained on, and says which', () => {
    const trained = new Map([[V(2), ['fraud-v1', 'fraud-v2']]]);
    expect(retentionPlan(VERSIONS, 2, trained)).toEqual({
      delete: [V(1), V(3)],
      retained: new Map([[V(2), ['fraud-v1', 'fraud-v2']]]),
    });
    // A version within N is kept anyway: it is not reported as retained.
    expect(retentionPlan(VERSIONS, 2, new Map([[V(5), ['fraud-v3']]])).retained).toEqual(new Map());
    expect(retentionPlan(VERSIONS, 2, new Map([[V(2), []]])).delete).toContain(V(2));
  });
});

describe('which ModelVersions protect a snapshot', () => {
  const pets = aDataset('pets');

  it("are those of the Dataset's namespace that name the Dataset, by version, sorted by name", () => {
    const mvs = [
      aModelVersion('pets-classifier-v2', trainedOnSnapshot('pets', V(2))),
      aModelVersion('pets-classifier-v1', trainedOnSnapshot('pets', V(2))),
      aModelVersion('pets-classifier-v3', trainedOnSnapshot('pets', V(4))),
    ];
    expect(trainedOn(pets, mvs)).toEqual(
      new Map([
        [V(2), ['pets-classifier-v1', 'pets-classifier-v2']],
        [V(4), ['pets-classifier-v3']],
      ]),
    );
  });

  it("are not another namespace's, another Dataset's, or a ModelVersion trained elsewhere", () => {
    const mvs = [
      aModelVersion('pets-classifier-v1', inNamespace('team-b'), trainedOnSnapshot('pets', V(2))),
      aModelVersion('cars-v1', trainedOnSnapshot('cars', V(2))),
      aModelVersion('imported-v1'),
      aModelVersion('imported-v2', (mv) => {
        mv.spec.source = { description: 'trained on a laptop' };
      }),
    ];
    expect(trainedOn(pets, mvs)).toEqual(new Map());
    // So those versions go once they are past N.
    expect(retentionPlan(VERSIONS, 2, trainedOn(pets, mvs)).delete).toEqual([V(1), V(2), V(3)]);
  });
});
