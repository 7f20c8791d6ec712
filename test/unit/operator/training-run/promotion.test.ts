import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import { championOf, decidePromotion } from '../../../../operator/controllers/training-run/promotion.ts';
import { aModelVersion, deleting, verified, withStage } from '../../gen/model-version.ts';

type Promotion = Parameters<typeof decidePromotion>[0];
/** Its verified metrics: this accuracy, or (null) none but f1. */
const accuracy = (value: number | null) => (mv: ModelVersion) => {
  mv.status = { ...mv.status, metrics: value === null ? { f1: 0.5 } : { accuracy: value } };
};
/** pets-v<n>, Ready in production with this accuracy. */
const holder = (n: number, value: number | null = 0.5) =>
  aModelVersion(`pets-v${n}`, withStage('production'), verified, accuracy(value));
const PRODUCTION: Promotion = { metric: 'accuracy', direction: 'maximize', minDelta: 0, stage: 'production' };

describe('the champion of a stage', () => {
  it('is the highest Ready version of the model in the stage', () => {
    const versions = [holder(1), holder(3), holder(2)];
    expect(championOf(versions, 'pets', 'production', 'pets-v9')?.metadata.name).toBe('pets-v3');
  });

  it('is never the new version itself', () => {
    expect(championOf([holder(1), holder(4)], 'pets', 'production', 'pets-v4')?.metadata.name).toBe(
      'pets-v1',
    );
  });

  it('is not a version that is being deleted, is not Ready, is in another stage or of another model', () => {
    const versions = [
      holder(1),
      aModelVersion('pets-v5', withStage('production'), verified, deleting),
      aModelVersion('pets-v6', withStage('production')),
      aModelVersion('pets-v7', withStage('staging'), verified),
      aModelVersion('cats-v8', withStage('production'), verified),
    ];
    expect(championOf(versions, 'pets', 'production', 'pets-v9')?.metadata.name).toBe('pets-v1');
    expect(championOf(versions.slice(1), 'pets', 'production', 'pets-v9')).toBeUndefined();
  });

  it('is none when no version holds the stage', () => {
    expect(championOf([], 'pets', 'production', 'pets-v1')).toBeUndefined();
  });
});

describe('champion/challenger', () => {
  it('promotes when no version holds the stage', () => {
    expect(decidePromotion(PRODUCTION, { accuracy: 0.7 }, undefined)).toEqual({
      promoted: true,
      stage: 'production',
      value: 0.7,
      message: 'promoted to production: no Ready version held it',
    });
  });

  interface Case {
    name: string;
    promotion: Partial<Promotion>;
    value: number;
    held: number;
    promoted: boolean;
  }
  // Values exact in binary, so the boundary is the comparison's, not the rounding's.
  const cases: Case[] = [
    { name: 'better, maximizing', promotion: {}, value: 0.75, held: 0.5, promoted: true },
    { name: 'worse, maximizing', promotion: {}, value: 0.25, held: 0.5, promoted: false },
    {
      name: 'equal, maximizing (strictly better is needed)',
      promotion: {},
      value: 0.5,
      held: 0.5,
      promoted: false,
    },
    {
      name: 'better, minimizing',
      promotion: { direction: 'minimize' },
      value: 0.25,
      held: 0.5,
      promoted: true,
    },
    {
      name: 'worse, minimizing',
      promotion: { direction: 'minimize' },
      value: 0.75,
      held: 0.5,
      promoted: false,
    },
    {
      name: 'equal, minimizing',
      promotion: { direction: 'minimize' },
      value: 0.5,
      held: 0.5,
      promoted: false,
    },
    {
      name: 'better by exactly minDelta',
      promotion: { minDelta: 0.25 },
      value: 0.75,
      held: 0.5,
      promoted: true,
    },
    {
      name: 'better by less than minDelta',
      promotion: { minDelta: 0.25 },
      value: 0.625,
      held: 0.5,
      promoted: false,
    },
    {
      name: 'lower by exactly minDelta, minimizing',
      promotion: { direction: 'minimize', minDelta: 0.25 },
      value: 0.25,
      held: 0.5,
      promoted: true,
    },
    {
      name: 'lower by less than minDelta, minimizing',
      promotion: { direction: 'minimize', minDelta: 0.25 },
      value: 0.375,
      held: 0.5,
      promoted: false,
    },
    {
      name: 'higher while minimizing, by more than minDelta',
      promotion: { direction: 'minimize', minDelta: 0.25 },
      value: 1,
      held: 0.5,
      promoted: false,
    },
  ];
  it.each(cases)('$name: promoted $promoted', ({ promotion, value, held, promoted }) => {
    const p = { ...PRODUCTION, ...promotion };
    const decision = decidePromotion(p, { accuracy: value, f1: 0.1 }, holder(3, held));
    const comparison = `accuracy ${value} against ${held} of pets-v3 (${p.direction}, minDelta ${p.minDelta})`;
    expect(decision).toEqual({
      promoted,
      stage: 'production',
      champion: 'pets-v3',
      value,
      championValue: held,
      message: promoted ? `promoted to production: ${comparison}` : `not promoted: ${comparison}`,
    });
  });

  it('counts a gain of exactly minDelta in decimals as met, whatever binary floating point makes of it', () => {
    // 0.85 - 0.8 is 0.04999999999999993 and 0.3 - 0.2 is 0.09999999999999998.
    expect(
      decidePromotion({ ...PRODUCTION, minDelta: 0.05 }, { accuracy: 0.85 }, holder(3, 0.8)).promoted,
    ).toBe(true);
    const rmse: Promotion = { metric: 'accuracy', direction: 'minimize', minDelta: 0.1, stage: 'production' };
    expect(decidePromotion(rmse, { accuracy: 0.2 }, holder(3, 0.3)).promoted).toBe(true);
    expect(
      decidePromotion({ ...PRODUCTION, minDelta: 0.05 }, { accuracy: 0.849 }, holder(3, 0.8)).promoted,
    ).toBe(false);
    expect(decidePromotion(PRODUCTION, { accuracy: 0.8 }, holder(3, 0.8)).promoted).toBe(false);
  });

  it('takes maximize and minDelta 0 when they are not given', () => {
    const p = { metric: 'accuracy', stage: 'production' } as Promotion;
    expect(decidePromotion(p, { accuracy: 0.75 }, holder(3, 0.5)).promoted).toBe(true);
    expect(decidePromotion(p, { accuracy: 0.5 }, holder(3, 0.5)).promoted).toBe(false);
    expect(decidePromotion(p, { accuracy: 0.25 }, holder(3, 0.5)).message).toBe(
      'not promoted: accuracy 0.25 against 0.5 of pets-v3 (maximize, minDelta 0)',
    );
  });

  it('does not promote, and says why, when the new version lacks the metric', () => {
    for (const metrics of [{ f1: 0.9 }, undefined])
      expect(decidePromotion(PRODUCTION, metrics, holder(3))).toEqual({
        promoted: false,
        stage: 'production',
        message: 'not promoted: the new version has no metric accuracy in metrics.json',
      });
    // Even with no champion: nothing to show it is good.
    expect(decidePromotion(PRODUCTION, { f1: 0.9 }, undefined).promoted).toBe(false);
  });

  it('does not promote, and says why, when the champion lacks the metric', () => {
    expect(decidePromotion(PRODUCTION, { accuracy: 0.99 }, holder(3, null))).toEqual({
      promoted: false,
      stage: 'production',
      champion: 'pets-v3',
      value: 0.99,
      message: 'not promoted: pets-v3, which holds production, has no metric accuracy to compare with',
    });
  });
});
