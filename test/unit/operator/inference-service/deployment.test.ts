import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  binaryQuantity,
  type DeploymentInputs,
  renderDeployment,
  servingResources,
} from '../../../../operator/controllers/inference-service/deployment.ts';
import { renderService } from '../../../../operator/controllers/inference-service/service.ts';
import {
  anInferenceService,
  withAuth,
  withPredictionLog,
  withPreprocessing,
} from '../../gen/inference-service.ts';
import { aModelVersion, SHA_A, verified } from '../../gen/model-version.ts';

const MODEL_LINK =
  'http://minio:9000/bosun/models/team-a/fraud/3/model.onnx?X-Amz-Date=20260101T000000Z&X-Amz-Expires=604800&X-Amz-Signature=abc';
const SIGNATURE_LINK =
  'http://minio:9000/bosun/models/team-a/fraud/3/signature.json?X-Amz-Date=20260101T000000Z&X-Amz-Expires=604800&X-Amz-Signature=def';
const settings = {
  image: 'registry.example/bosun/inference-server:1',
  imagePullPolicy: 'IfNotPresent' as const,
};
const model = aModelVersion('fraud-v3', verified);
const inputs = (extra: Partial<DeploymentInputs> = {}): DeploymentInputs => ({
  role: 'primary',
  model,
  modelLink: MODEL_LINK,
  replicas: 3,
  ...extra,
});
const container = (d: V1Deployment) => d.spec?.template.spec?.containers[0];
const envOf = (d: V1Deployment) => Object.fromEntries((container(d)?.env ?? []).map((e) => [e.name, e]));

describe('the serving Deployment', () => {
  const isvc = anInferenceService('api');
  const deployment = renderDeployment(isvc, inputs({ signatureLink: SIGNATURE_LINK }), settings);
  const pod = deployment.spec?.template.spec;

  it('runs the inference server with the environment of docs/inference-server.md', () => {
    const env = envOf(deployment);
    expect(Object.keys(env)).toEqual([
      'BOSUN_NAMESPACE',
      'BOSUN_MODEL_NAME',
      'BOSUN_MODEL_VERSION',
      'BOSUN_MODEL_URI',
      'BOSUN_MODEL_SHA256',
      'BOSUN_SIGNATURE_URI',
      'BOSUN_PORT',
      'BOSUN_WORK_DIR',
      'BOSUN_INTRA_OP_THREADS',
      'BOSUN_INTER_OP_THREADS',
      'BOSUN_MAX_BATCH_SIZE',
      'BOSUN_BATCH_WINDOW_MS',
      'BOSUN_MAX_REQUEST_BYTES',
      'BOSUN_MAX_CONCURRENCY',
      'BOSUN_TIMEOUT_SECONDS',
      'BOSUN_SHUTDOWN_DELAY_SECONDS',
    ]);
    expect(env.BOSUN_NAMESPACE?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env.BOSUN_MODEL_NAME?.value).toBe('fraud');
    expect(env.BOSUN_MODEL_VERSION?.value).toBe('3');
    expect(env.BOSUN_MODEL_SHA256?.value).toBe(SHA_A);
    expect(env.BOSUN_MODEL_URI?.value).toBe(MODEL_LINK);
    expect(env.BOSUN_SIGNATURE_URI?.value).toBe(SIGNATURE_LINK);
    expect(container(deployment)?.image).toBe(settings.image);
  });

  it('reads the model through links and holds no store credentials', () => {
    const env = container(deployment)?.env ?? [];
    expect(env.filter((e) => e.valueFrom && !e.valueFrom.fieldRef)).toEqual([]);
    expect(env.some((e) => e.name.startsWith('BOSUN_STORE_'))).toBe(false);
    expect(container(deployment)?.envFrom).toBeUndefined();
    expect(pod?.volumes?.every((v) => v.emptyDir)).toBe(true);
    expect(pod?.automountServiceAccountToken).toBe(false);
  });

  it('passes BOSUN_PREPROCESSING only when the user wrote spec.preprocessing', () => {
    expect(envOf(deployment).BOSUN_PREPROCESSING).toBeUndefined();
    const withIt = anInferenceService('api', withPreprocessing);
    const env = envOf(renderDeployment(withIt, inputs(), settings));
    expect(JSON.parse(env.BOSUN_PREPROCESSING?.value as string)).toEqual(withIt.spec.preprocessing);
  });

  it('passes the server settings through', () => {
    const tuned = anInferenceService('api', (o) => {
      o.spec.server.batching = { maxBatchSize: 8, maxLatencyMilliseconds: 3 };
      o.spec.server.threads = { intraOp: 2, interOp: 1 };
      o.spec.server.timeoutSeconds = 60;
      o.spec.server.maxConcurrency = 16;
    });
    const env = envOf(renderDeployment(tuned, inputs(), settings));
    expect(env.BOSUN_MAX_BATCH_SIZE?.value).toBe('8');
    expect(env.BOSUN_BATCH_WINDOW_MS?.value).toBe('3');
    expect(env.BOSUN_INTRA_OP_THREADS?.value).toBe('2');
    expect(env.BOSUN_MAX_CONCURRENCY?.value).toBe('16');
    expect(env.BOSUN_TIMEOUT_SECONDS?.value).toBe('60');
    // The grace period covers the shutdown delay, the longest request and the log's last write.
    expect(
      renderDeployment(tuned, inputs(), settings).spec?.template.spec?.terminationGracePeriodSeconds,
    ).toBe(5 + 60 + 20);
  });

  it('rolls over with no request lost: surge one ready Pod at a time, drain before stopping', () => {
    expect(deployment.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(container(deployment)?.readinessProbe?.httpGet).toEqual({
      path: '/v2/health/ready',
      port: 'http',
    });
    expect(container(deployment)?.livenessProbe?.httpGet).toEqual({ path: '/v2/health/live', port: 'http' });
    const delay = Number(envOf(deployment).BOSUN_SHUTDOWN_DELAY_SECONDS?.value);
    expect(pod?.terminationGracePeriodSeconds).toBe(delay + 30 + 20);
    expect(delay).toBeGreaterThan(2 * (container(deployment)?.readinessProbe?.periodSeconds ?? 0));
  });

  it('runs under Pod Security "restricted" with a work dir sized for the artifact', () => {
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(deployment)?.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(envOf(deployment).BOSUN_WORK_DIR?.value).toBe('/tmp');
    expect(container(deployment)?.volumeMounts).toEqual([{ name: 'work', mountPath: '/tmp' }]);
    const big = aModelVersion('fraud-v3', verified, (mv) => {
      (mv.status as { artifact: { size: number } }).artifact.size = 1024 ** 3;
    });
    const sized = renderDeployment(isvc, inputs({ model: big }), settings);
    expect(sized.spec?.template.spec?.volumes?.[0]?.emptyDir?.sizeLimit).toBe('1088Mi');
    expect(container(sized)?.resources).toEqual({
      requests: { cpu: '250m', memory: '2560Mi' },
      limits: { memory: '2560Mi' },
    });
  });

  it('mounts the auth Secret as the token directory, so rotated tokens arrive without a restart', () => {
    const d = renderDeployment(anInferenceService('api', withAuth('api-tokens')), inputs(), settings);
    expect(envOf(d).BOSUN_AUTH_TOKENS_DIR?.value).toBe('/var/run/bosun/auth-tokens');
    expect(container(d)?.volumeMounts).toContainEqual({
      name: 'auth-tokens',
      mountPath: '/var/run/bosun/auth-tokens',
      readOnly: true,
    });
    expect(d.spec?.template.spec?.volumes).toContainEqual({
      name: 'auth-tokens',
      secret: { secretName: 'api-tokens', defaultMode: 0o440 },
    });
  });

  it("reads the prediction log's connection from its Secret and restarts when it changes", () => {
    const logged = anInferenceService('api', withPredictionLog('db'));
    const d = renderDeployment(logged, inputs({ predictionLogRevision: 'uid-db/7' }), settings);
    const env = envOf(d);
    expect(env.BOSUN_PREDICTION_LOG_URL?.valueFrom).toEqual({ secretKeyRef: { name: 'db', key: 'url' } });
    expect(env.BOSUN_PREDICTION_LOG_TABLE?.value).toBe('predictions');
    // No store credentials: the input images are not stored.
    expect(env.BOSUN_PREDICTION_LOG_STORE_INPUTS?.value).toBe('false');
    expect(Object.keys(env).some((k) => k.startsWith('BOSUN_STORE_'))).toBe(false);
    expect(d.spec?.template.metadata?.annotations).toEqual({
      'bosun.dev/prediction-log-revision': 'uid-db/7',
    });
    const rotated = renderDeployment(logged, inputs({ predictionLogRevision: 'uid-db/8' }), settings);
    expect(rotated.spec?.template).not.toEqual(d.spec?.template);
  });

  it('stores input images with the store Secret of the namespace when it is handed one', () => {
    const logged = anInferenceService('api', withPredictionLog('db'));
    const store = {
      endpoint: 'http://minio:9000',
      bucket: 'bosun',
      region: 'us-east-1',
      credentialsSecret: 'bosun-store',
    };
    const env = envOf(renderDeployment(logged, inputs({ inputImageStore: store }), settings));
    expect(env.BOSUN_PREDICTION_LOG_STORE_INPUTS?.value).toBe('true');
    expect(env.BOSUN_STORE_ENDPOINT?.value).toBe('http://minio:9000');
    expect(env.BOSUN_STORE_BUCKET?.value).toBe('bosun');
    expect(env.BOSUN_STORE_ACCESS_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'bosun-store', key: 'accessKeyId' },
    });
    expect(env.BOSUN_STORE_SECRET_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'bosun-store', key: 'secretAccessKey' },
    });
    const off = anInferenceService('api', withPredictionLog('db', false));
    const offEnv = envOf(renderDeployment(off, inputs({ inputImageStore: store }), settings));
    expect(offEnv.BOSUN_PREDICTION_LOG_STORE_INPUTS?.value).toBe('false');
    expect(offEnv.BOSUN_STORE_ACCESS_KEY).toBeUndefined();
  });

  it('is named by its role, owned by the InferenceService, and selected by the Service with the other role', () => {
    expect(deployment.metadata?.name).toBe('api-primary');
    expect(deployment.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'bosun.dev/v1alpha1',
        kind: 'InferenceService',
        name: 'api',
        uid: 'uid-api',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const canary = renderDeployment(isvc, inputs({ role: 'canary', replicas: 1 }), settings);
    expect(canary.metadata?.name).toBe('api-canary');
    const service = renderService(isvc);
    for (const d of [deployment, canary]) {
      const labels = d.spec?.template.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(service.spec?.selector ?? {})) expect(labels[k]).toBe(v);
      for (const [k, v] of Object.entries(d.spec?.selector.matchLabels ?? {})) expect(labels[k]).toBe(v);
    }
    // The two selectors never overlap, and neither names the version (a selector is immutable).
    expect(deployment.spec?.selector.matchLabels?.['bosun.dev/serving-role']).toBe('primary');
    expect(canary.spec?.selector.matchLabels?.['bosun.dev/serving-role']).toBe('canary');
    expect(deployment.spec?.selector.matchLabels?.['bosun.dev/model-version']).toBeUndefined();
    expect(deployment.spec?.template.metadata?.labels?.['bosun.dev/model-version']).toBe('fraud-v3');
    expect(deployment.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('bosun-operator');
  });

  it('leaves the replica count to the autoscaler when it has one', () => {
    expect(deployment.spec?.replicas).toBe(3);
    const scaled = renderDeployment(isvc, inputs({ replicas: undefined }), settings);
    expect(scaled.spec && 'replicas' in scaled.spec).toBe(false);
  });

  it('renders the same object for the same inputs (a settled service applies nothing)', () => {
    expect(renderDeployment(isvc, inputs({ signatureLink: SIGNATURE_LINK }), settings)).toEqual(deployment);
  });
});

describe('serving resources', () => {
  it('fill only what the spec leaves out', () => {
    const with_ = (resources: object) =>
      servingResources(
        anInferenceService('api', (o) => {
          o.spec.server.resources = resources;
        }),
        1234,
      );
    expect(with_({})).toEqual({ requests: { cpu: '250m', memory: '768Mi' }, limits: { memory: '768Mi' } });
    expect(with_({ limits: { cpu: '2', memory: '4Gi' } })).toEqual({
      requests: {},
      limits: { cpu: '2', memory: '4Gi' },
    });
    expect(with_({ requests: { cpu: '1', memory: '1Gi' } })).toEqual({
      requests: { cpu: '1', memory: '1Gi' },
      limits: {},
    });
  });

  it('are written as the API server writes quantities back', () => {
    expect(binaryQuantity(1024 ** 3)).toBe('1Gi');
    expect(binaryQuantity(768 * 1024 ** 2)).toBe('768Mi');
    expect(binaryQuantity(1)).toBe('1Mi');
  });
});
