import { describe, expect, it } from 'vitest';
import { nextVersion } from '../../../../operator/controllers/training-run/version-allocation.ts';
import { aModelVersion, inNamespace as mvInNamespace } from '../../gen/model-version.ts';
import { aTrainingRun, claimed, inNamespace, ofModel } from '../../gen/training-run.ts';

describe('the next version number of a model', () => {
  it('is 1 for a model without versions or claims', () => {
    expect(nextVersion('team-a', 'pets', [], [])).toBe(1);
    expect(nextVersion('team-a', 'pets', [], [aTrainingRun('unclaimed')])).toBe(1);
  });

  it('is one more than the highest registered version, hand-made ones included, gaps kept', () => {
    const versions = [aModelVersion('pets-v1'), aModelVersion('pets-v4'), aModelVersion('pets-v2')];
    expect(nextVersion('team-a', 'pets', versions, [])).toBe(5);
  });

  it('counts the numbers runs have claimed but not registered yet', () => {
    const runs = [aTrainingRun('a', claimed(3)), aTrainingRun('b', claimed(7)), aTrainingRun('c')];
    expect(nextVersion('team-a', 'pets', [aModelVersion('pets-v5')], runs)).toBe(8);
    expect(nextVersion('team-a', 'pets', [aModelVersion('pets-v9')], runs)).toBe(10);
  });

  it('keeps namespaces and models apart', () => {
    const versions = [
      aModelVersion('pets-v9', mvInNamespace('team-b')),
      aModelVersion('cars-v6'),
      aModelVersion('pets-v2'),
    ];
    const runs = [
      aTrainingRun('b', inNamespace('team-b'), claimed(12)),
      aTrainingRun('c', ofModel('cars'), claimed(20)),
    ];
    expect(nextVersion('team-a', 'pets', versions, runs)).toBe(3);
    expect(nextVersion('team-b', 'pets', versions, runs)).toBe(13);
    expect(nextVersion('team-a', 'cars', versions, runs)).toBe(21);
    expect(nextVersion('team-b', 'cars', versions, runs)).toBe(1);
  });
});
