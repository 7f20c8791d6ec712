import { describe, expect, it } from 'vitest';
import {
  artifactId,
  verificationJobName,
} from '../../../../operator/controllers/model-version/artifact-identity.ts';
import { renderVerificationJob } from '../../../../operator/controllers/model-version/verification-job.ts';
import { SHA_A } from '../../gen/model-version.ts';

const artifact = { namespace: 'team', uri: 's3://bosun/models/team/fraud/3/model.onnx', sha256: SHA_A };
const inputs = {
  artifactUrl: 'http://minio:9000/bosun/models/team/fraud/3/model.onnx?X-Amz-Signature=abc',
  metricsUrl: 'http://minio:9000/bosun/models/team/fraud/3/metrics.json?X-Amz-Signature=def',
  size: 10 * 1024 * 1024,
};
const config = {
  namespace: 'bosun-system',
  image: 'registry.example/bosun/operator:1',
  imagePullPolicy: 'IfNotPresent' as const,
  ttlSecondsAfterFinished: 3600,
};

describe('the verification Job', () => {
  const job = renderVerificationJob(artifact, inputs, config);
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0];

  it('is named by the artifact and its namespace, so every ModelVersion of it and every restart find the same Job', () => {
    expect(job.metadata?.name).toBe(verificationJobName(artifact));
    expect(job.metadata?.name).toMatch(/^verify-[0-9a-f]{24}$/);
    expect(renderVerificationJob(artifact, inputs, config)).toEqual(job);
    expect(verificationJobName({ ...artifact, uri: 's3://bosun/models/team/other/1/model.onnx' })).not.toBe(
      job.metadata?.name,
    );
    // The same URI and digest in another namespace is another artifact: no result is shared.
    expect(verificationJobName({ ...artifact, namespace: 'other' })).not.toBe(job.metadata?.name);
    expect(job.metadata?.labels?.['bosun.dev/artifact-id']).toBe(artifactId(artifact));
    expect(job.metadata?.namespace).toBe('bosun-system');
  });

  it('gets no store credentials at all: only links to the two objects it reads', () => {
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e]));
    expect(Object.keys(env).sort()).toEqual([
      'BOSUN_ARTIFACT_SHA256',
      'BOSUN_ARTIFACT_SIZE',
      'BOSUN_ARTIFACT_URL',
      'BOSUN_METRICS_URL',
      'BOSUN_WORK_DIR',
    ]);
    expect((container?.env ?? []).some((e) => e.valueFrom !== undefined)).toBe(false);
    expect(container?.envFrom).toBeUndefined();
    expect(pod?.volumes).toEqual([{ name: 'work', emptyDir: { sizeLimit: '74Mi' } }]);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(env.BOSUN_ARTIFACT_URL?.value).toBe(inputs.artifactUrl);
    expect(env.BOSUN_ARTIFACT_SIZE?.value).toBe(String(inputs.size));
  });

  it('runs the operator image under Pod Security "restricted"', () => {
    expect(container?.image).toBe(config.image);
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
  });

  it('sizes its work dir and memory limit by the artifact', () => {
    const sized = (size: number) => {
      const spec = renderVerificationJob(artifact, { ...inputs, size }, config).spec?.template.spec;
      return [spec?.volumes?.[0]?.emptyDir?.sizeLimit, spec?.containers[0]?.resources?.limits?.memory];
    };
    // onnxruntime holds about twice the model while loading it by path.
    expect(sized(1024 ** 3)).toEqual(['1088Mi', '2304Mi']);
    expect(sized(10 * 1024 ** 2)).toEqual(['74Mi', '512Mi']);
    // Over the ONNX file limit the model is refused before loading: only the download's room.
    expect(sized(3 * 1024 ** 3)).toEqual(['3136Mi', '512Mi']);
  });

  it('fails at once on a bad artifact (exit 1) and retries anything else', () => {
    expect(job.spec?.podFailurePolicy?.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'verify', operator: 'In', values: [1] } },
    ]);
    expect(job.spec?.backoffLimit).toBe(2);
    expect(pod?.restartPolicy).toBe('Never');
    expect(job.spec?.ttlSecondsAfterFinished).toBe(3600);
  });
});
