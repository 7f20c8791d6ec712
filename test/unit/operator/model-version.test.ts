import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import {
  artifactId,
  verificationJobName,
} from '../../../operator/controllers/model-version/artifact-identity.ts';
import {
  desiredStatus,
  verifiedFromStatus,
} from '../../../operator/controllers/model-version/desired-status.ts';
import { jobOutcome } from '../../../operator/controllers/model-version/job-outcome.ts';
import { renderVerificationJob } from '../../../operator/controllers/model-version/verification-job.ts';
import {
  encodeFailure,
  encodeVerified,
  parseTerminationMessage,
  type Verified,
} from '../../../operator/controllers/model-version/verification-result.ts';

const sha = 'a'.repeat(64);
const artifact = { uri: 's3://bosun/models/team/fraud/3/model.onnx', sha256: sha };
const jobConfig = {
  namespace: 'bosun-system',
  image: 'registry.example/bosun/operator:1',
  imagePullPolicy: 'IfNotPresent' as const,
  store: {
    endpoint: 'http://minio:9000',
    bucket: 'bosun',
    region: 'us-east-1',
    credentialsSecret: 'bosun-store',
  },
  ttlSecondsAfterFinished: 3600,
};

function modelVersion(
  overrides: Partial<ModelVersion['spec']> = {},
  status?: ModelVersion['status'],
): ModelVersion {
  return {
    apiVersion: 'bosun.dev/v1alpha1',
    kind: 'ModelVersion',
    metadata: {
      name: 'fraud-v3',
      namespace: 'team',
      generation: 2,
      uid: 'u1',
      creationTimestamp: '2026-01-01T00:00:00Z' as never,
    },
    spec: {
      model: 'fraud',
      version: 3,
      artifact: { ...artifact, format: 'onnx' },
      stage: 'none',
      deletionPolicy: 'Retain',
      ...overrides,
    },
    ...(status ? { status } : {}),
  };
}

const verified: Verified = {
  ok: true,
  size: 1234,
  verifiedAt: '2026-01-02T00:00:00Z',
  signature: {
    inputs: [{ name: 'x', type: 'float32', shape: ['N', 4] }],
    outputs: [{ name: 'y', type: 'int64', shape: ['N'] }],
  },
  metrics: { f1: 0.8, accuracy: 0.9 },
};

describe('the verification Job', () => {
  const job = renderVerificationJob(artifact, jobConfig);

  it('is named by the artifact, so every ModelVersion of it and every restart find the same Job', () => {
    expect(job.metadata?.name).toBe(verificationJobName(artifact));
    expect(job.metadata?.name).toMatch(/^verify-[0-9a-f]{24}$/);
    expect(renderVerificationJob(artifact, jobConfig)).toEqual(job);
    expect(verificationJobName({ ...artifact, uri: 's3://bosun/other/model.onnx' })).not.toBe(
      job.metadata?.name,
    );
    expect(job.metadata?.labels?.['bosun.dev/artifact-id']).toBe(artifactId(artifact));
    expect(job.metadata?.namespace).toBe('bosun-system');
  });

  it('runs the operator image under Pod Security "restricted", credentials only from the Secret', () => {
    const pod = job.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe(jobConfig.image);
    expect(container?.args).toEqual(['verify-artifact']);
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container?.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.automountServiceAccountToken).toBe(false);
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e]));
    expect(env.BOSUN_STORE_ACCESS_KEY?.valueFrom?.secretKeyRef).toEqual({
      name: 'bosun-store',
      key: 'accessKeyId',
    });
    expect(env.BOSUN_STORE_SECRET_KEY?.valueFrom?.secretKeyRef).toEqual({
      name: 'bosun-store',
      key: 'secretAccessKey',
    });
    expect(env.BOSUN_STORE_ACCESS_KEY?.value).toBeUndefined();
    expect(env.BOSUN_ARTIFACT_SHA256?.value).toBe(sha);
  });

  it('fails at once on a bad artifact (exit 1) and retries anything else', () => {
    expect(job.spec?.podFailurePolicy?.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'verify', operator: 'In', values: [1] } },
    ]);
    expect(job.spec?.backoffLimit).toBe(2);
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(job.spec?.ttlSecondsAfterFinished).toBe(3600);
  });
});

describe('verification results in the termination message', () => {
  it('round-trips a verified artifact and a failure', () => {
    expect(parseTerminationMessage(encodeVerified(verified), 'x')).toEqual(verified);
    expect(
      parseTerminationMessage(
        encodeFailure('DigestMismatch', 'has sha256 b…\nsecond line'),
        '2026-01-01T00:00:00Z',
      ),
    ).toEqual({
      ok: false,
      reason: 'DigestMismatch',
      message: 'has sha256 b… second line',
      at: '2026-01-01T00:00:00Z',
    });
  });

  it('fits a large signature and metrics into 4096 bytes and says so', () => {
    const big: Verified = {
      ...verified,
      metrics: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`metric_${i}`, i / 7])),
      signature: {
        inputs: Array.from({ length: 64 }, (_, i) => ({
          name: `input_${i}`,
          type: 'float32',
          shape: ['batch', 3, 224, 224],
        })),
        outputs: verified.signature.outputs,
      },
    };
    const text = encodeVerified(big);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    const back = parseTerminationMessage(text, 'x') as Verified;
    expect(back.truncated).toBe(true);
    expect(back.signature.outputs[0]?.name).toBe('y');
  });

  it('ignores messages in neither form', () => {
    expect(parseTerminationMessage(undefined, 'x')).toBeUndefined();
    expect(parseTerminationMessage('Segmentation fault', 'x')).toBeUndefined();
    expect(parseTerminationMessage('{"ok":false}', 'x')).toBeUndefined();
  });
});

describe('reading a finished Job', () => {
  const pod = (exitCode: number, message: string, finishedAt: string): V1Pod => ({
    status: {
      containerStatuses: [
        {
          name: 'verify',
          image: '',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, message, finishedAt: finishedAt as never } },
        },
      ],
    },
  });
  const job = (type: 'Complete' | 'Failed', message = ''): V1Job => ({
    metadata: { name: 'verify-x' },
    status: {
      conditions: [{ type, status: 'True', message, lastTransitionTime: '2026-01-01T00:00:10Z' as never }],
    },
  });

  it('waits while the Job runs', () => {
    expect(jobOutcome({ status: { active: 1 } }, [])).toEqual({ finished: false });
  });

  it("takes the result from the succeeded pod's termination message", () => {
    const outcome = jobOutcome(job('Complete'), [
      pod(2, 'VerificationError: store down', '2026-01-01T00:00:01Z'),
      pod(0, encodeVerified(verified), '2026-01-01T00:00:05Z'),
    ]);
    expect(outcome).toEqual({ finished: true, verification: verified });
  });

  it('reports the reason the verifier gave, or the Job failure when it gave none', () => {
    const bad = jobOutcome(job('Failed'), [
      pod(1, 'ArtifactNotFound: s3://bosun/x does not exist', '2026-01-01T00:00:05Z'),
    ]);
    expect(bad).toMatchObject({ finished: true, verification: { ok: false, reason: 'ArtifactNotFound' } });
    const lost = jobOutcome(job('Failed', 'Job was active longer than specified deadline'), []);
    expect(lost).toMatchObject({
      finished: true,
      verification: { ok: false, reason: 'VerificationFailed', message: expect.stringContaining('deadline') },
    });
  });
});

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
