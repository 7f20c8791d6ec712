// The status a ModelVersion should have, as a pure function of the object, what is known about its
// artifact, and the time; plus the Events that the change deserves. Nothing here talks to a server.
import type { Condition } from '../../api/common.ts';
import type { ModelVersion, ModelVersionStatus } from '../../api/model-version.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { EventRecord } from '../../runtime/events.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import { CONDITION_ARTIFACT_VERIFIED, CONDITION_READY, EVENT_REASONS, REASONS } from './reasons.ts';
import type { Verification } from './verification-result.ts';

const MAX_HISTORY = 1000;

/** Where verification stands: a result, or still running. */
export type ArtifactState = Verification | { ok: 'pending'; message: string };

export interface Desired {
  status: ModelVersionStatus;
  events: EventRecord[];
}

function keyMetric(metrics: Record<string, number> | undefined): string | undefined {
  const first = Object.keys(metrics ?? {}).sort()[0];
  return first === undefined ? undefined : `${first}=${metrics?.[first]}`;
}

export function desiredStatus(mv: ModelVersion, state: ArtifactState, now: Date): Desired {
  const previous = mv.status ?? {};
  const generation = mv.metadata.generation ?? 0;
  const events: EventRecord[] = [];
  let conditions: Condition[] = previous.conditions ?? [];
  const set = (type: string, status: Condition['status'], reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status, reason, message, observedGeneration: generation },
      now,
    );
  };

  const status: ModelVersionStatus = { observedGeneration: generation };
  if (state.ok === true) {
    set(
      CONDITION_ARTIFACT_VERIFIED,
      'True',
      REASONS.Verified,
      `sha256 matches and the model loads as ONNX (${state.size} bytes)`,
    );
    set(CONDITION_READY, 'True', REASONS.Verified, 'the artifact is verified');
    status.artifact = { size: state.size, verifiedAt: state.verifiedAt };
    status.signature = state.signature;
    if (state.metrics && Object.keys(state.metrics).length > 0) {
      status.metrics = state.metrics;
      status.keyMetric = keyMetric(state.metrics);
    }
  } else if (state.ok === false) {
    set(CONDITION_ARTIFACT_VERIFIED, 'False', state.reason, state.message);
    set(CONDITION_READY, 'False', state.reason, `the artifact failed verification: ${state.message}`);
  } else {
    set(CONDITION_ARTIFACT_VERIFIED, 'Unknown', REASONS.Verifying, state.message);
    set(CONDITION_READY, 'Unknown', REASONS.Verifying, 'waiting for the artifact to be verified');
  }

  const before = findCondition(previous.conditions, CONDITION_ARTIFACT_VERIFIED);
  const after = findCondition(conditions, CONDITION_ARTIFACT_VERIFIED) as Condition;
  if (before?.status !== after.status || before?.reason !== after.reason) {
    if (after.status === 'True')
      events.push({
        type: 'Normal',
        reason: REASONS.Verified,
        action: 'Verify',
        note: `Artifact verified: ${mv.spec.artifact.uri}`,
      });
    else if (after.status === 'False')
      events.push({ type: 'Warning', reason: after.reason, action: 'Verify', note: after.message });
  }

  const history = [...(previous.history ?? [])];
  const last = history[history.length - 1];
  const stage = mv.spec.stage ?? 'none';
  if (!last) {
    // Read as JSON, timestamps are strings whatever client-node's type says.
    const created = mv.metadata.creationTimestamp as unknown as string | undefined;
    history.push({ stage, time: created ?? kubeTime(now), reason: 'registered' });
  } else if (last.stage !== stage) {
    history.push({ stage, time: kubeTime(now), reason: `changed from ${last.stage}` });
    events.push({
      type: 'Normal',
      reason: EVENT_REASONS.StageChanged,
      action: 'Promote',
      note: `Stage changed from ${last.stage} to ${stage}`,
    });
  }
  status.history = history.slice(-MAX_HISTORY);
  status.conditions = conditions;
  if (previous.servedBy) status.servedBy = previous.servedBy;
  return { status, events };
}

/** What a verified ModelVersion's own status says about its artifact (spec.artifact is immutable). */
export function verifiedFromStatus(mv: ModelVersion): Verification | undefined {
  const s = mv.status;
  if (
    findCondition(s?.conditions, CONDITION_ARTIFACT_VERIFIED)?.status !== 'True' ||
    !s?.artifact ||
    !s.signature
  )
    return undefined;
  return {
    ok: true,
    size: s.artifact.size,
    verifiedAt: s.artifact.verifiedAt,
    signature: s.signature,
    ...(s.metrics ? { metrics: s.metrics } : {}),
  };
}
