import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import {
  desiredStatus,
  verifiedFromStatus,
} from '../../../../operator/controllers/model-version/desired-status.ts';
import { aModelVersion, A_VERIFIED_RESULT as verified, withStage } from '../../gen/model-version.ts';

/** fraud-v3 at generation 2, with the given stage and status. */
function modelVersion(
  overrides: Partial<ModelVersion['spec']> = {},
  status?: ModelVersion['status'],
): ModelVersion {
  return aModelVersion('fraud-v3', withStage(overrides.stage ?? 'none'), (mv) => {
    mv.metadata.generation = 2;
    if (status) mv.status = status;
  });
}

describe('the desired status of a ModelVersion', () => {
  const now = new Date('2026-01-03T00:00:00Z');

  it('is Unknown while verifying, and records the initial stage in history', () => {
    const { status, events } = desiredStatus(modelVersion(), { ok: 'pending', message: 'Job running' }, now);
    expect(status.observedGeneration).toBe(2);
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason, c.observedGeneration])).toEqual([
      ['ArtifactVerified', 'Unknown', 'Verifying', 2],
      ['Ready', 'Unknown', 'Verifying', 2],
    ]);
    expect(status.history).toEqual([{ stage: 'none', time: '2026-01-01T00:00:00Z', reason: 'registered' }]);
    expect(events).toEqual([]);
  });

  it('records size, signature and metrics when verified, with one Verified event', () => {
    const pending = desiredStatus(modelVersion(), { ok: 'pending', message: '' }, now).status;
    const { status, events } = desiredStatus(modelVersion({}, pending), verified, now);
    expect(status.artifact).toEqual({ size: 1234, verifiedAt: '2026-01-02T00:00:00Z' });
    expect(status.signature).toEqual(verified.signature);
    expect(status.metrics).toEqual(verified.metrics);
    expect(status.keyMetric).toBe('accuracy=0.9');
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Verified',
    });
    expect(events.map((e) => e.reason)).toEqual(['Verified']);
    // Reconciling again changes nothing and says nothing.
    const again = desiredStatus(modelVersion({}, status), verified, new Date('2026-02-01T00:00:00Z'));
    expect(again.status).toEqual(status);
    expect(again.events).toEqual([]);
    expect(verifiedFromStatus(modelVersion({}, status))).toEqual(verified);
  });

  it('explains a failure with its reason, as a condition and a Warning', () => {
    const failure = {
      ok: false as const,
      reason: 'DigestMismatch',
      message: 'has sha256 b…',
      at: '2026-01-02T00:00:00Z',
    };
    const { status, events } = desiredStatus(modelVersion(), failure, now);
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'DigestMismatch',
    });
    expect(status.artifact).toBeUndefined();
    expect(events).toEqual([
      { type: 'Warning', reason: 'DigestMismatch', action: 'Verify', note: 'has sha256 b…' },
    ]);
    expect(verifiedFromStatus(modelVersion({}, status))).toBeUndefined();
  });

  it('appends a promotion to history with an event, once', () => {
    const first = desiredStatus(modelVersion(), verified, now).status;
    const promoted = desiredStatus(
      modelVersion({ stage: 'production' }, first),
      verified,
      new Date('2026-01-04T00:00:00Z'),
    );
    expect(promoted.status.history).toEqual([
      { stage: 'none', time: '2026-01-01T00:00:00Z', reason: 'registered' },
      { stage: 'production', time: '2026-01-04T00:00:00Z', reason: 'changed from none' },
    ]);
    expect(promoted.events).toEqual([
      {
        type: 'Normal',
        reason: 'StageChanged',
        action: 'Promote',
        note: 'Stage changed from none to production',
      },
    ]);
    const again = desiredStatus(
      modelVersion({ stage: 'production' }, promoted.status),
      verified,
      new Date('2026-01-05T00:00:00Z'),
    );
    expect(again.status.history).toHaveLength(2);
    expect(again.events).toEqual([]);
  });
});
