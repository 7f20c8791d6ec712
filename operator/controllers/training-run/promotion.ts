// Champion/challenger, as a pure function: the new version takes spec.promotion.stage only when no
// Ready version holds it, or when it beats the one that does (the highest Ready version in the
// stage) by at least minDelta in the given direction. A metric missing on either side is a
// decision too (not promoted, saying which), never an error.
import type { ModelVersion } from '../../api/model-version.ts';
import type { TrainingRunSpec, TrainingRunStatus } from '../../api/training-run.ts';
import { isTrue } from '../../runtime/conditions.ts';

/** Relative slack when comparing metrics, far below any difference a metric means. */
export const COMPARISON_TOLERANCE = 1e-9;

export type PromotionDecision = NonNullable<TrainingRunStatus['promotion']>;

/** The version now holding `stage`: the highest Ready version of the model in it, other than `except`. */
export function championOf(
  modelVersions: ModelVersion[],
  model: string,
  stage: string,
  except: string,
): ModelVersion | undefined {
  return modelVersions
    .filter(
      (mv) =>
        mv.spec.model === model &&
        mv.spec.stage === stage &&
        mv.metadata.name !== except &&
        !mv.metadata.deletionTimestamp &&
        isTrue(mv.status?.conditions, 'Ready'),
    )
    .sort((a, b) => b.spec.version - a.spec.version)[0];
}

export function decidePromotion(
  promotion: NonNullable<TrainingRunSpec['promotion']>,
  metrics: Record<string, number> | undefined,
  champion: ModelVersion | undefined,
): PromotionDecision {
  const { metric, stage } = promotion;
  const direction = promotion.direction ?? 'maximize';
  const minDelta = promotion.minDelta ?? 0;
  const value = metrics?.[metric];
  if (value === undefined || !Number.isFinite(value))
    return {
      promoted: false,
      stage,
      message: `not promoted: the new version has no metric ${metric} in metrics.json`,
    };
  if (!champion)
    return { promoted: true, stage, value, message: `promoted to ${stage}: no Ready version held it` };
  const held = champion.status?.metrics?.[metric];
  const base = { stage, champion: champion.metadata.name as string, value };
  if (held === undefined || !Number.isFinite(held))
    return {
      ...base,
      promoted: false,
      message: `not promoted: ${champion.metadata.name}, which holds ${stage}, has no metric ${metric} to compare with`,
    };
  const gain = direction === 'maximize' ? value - held : held - value;
  // Metrics are decimals in binary floating point: 0.85 - 0.8 is 0.04999…, which must meet 0.05.
  const tolerance = COMPARISON_TOLERANCE * Math.max(1, Math.abs(value), Math.abs(held));
  const better = gain > tolerance && gain >= minDelta - tolerance;
  const comparison = `${metric} ${value} against ${held} of ${champion.metadata.name} (${direction}, minDelta ${minDelta})`;
  return {
    ...base,
    championValue: held,
    promoted: better,
    message: better ? `promoted to ${stage}: ${comparison}` : `not promoted: ${comparison}`,
  };
}
