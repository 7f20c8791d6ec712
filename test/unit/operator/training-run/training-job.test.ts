import type { V1Container, V1EnvVar, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseBuiltinTrainerConfig, parseWorkloadConfig } from '../../../../lib/contract/env.ts';
import {
  RESTRICTED_CONTAINER,
  RESTRICTED_POD,
} from '../../../../operator/controllers/shared/pod-security.ts';
import { TRAINING_JOBS, trainingRunSetup } from '../../../../operator/controllers/training-run/setup.ts';
import {
  outputUri,
  renderTrainingJob,
  type TrainingJobCredentials,
  WORK_DIR,
} from '../../../../operator/controllers/training-run/training-job.ts';
import type { SetupContext } from '../../../../operator/runtime/controller-setup.ts';
import {
  aPinnedSnapshot,
  aTrainingRun,
  builtin,
  inContainer,
  inNamespace,
  onSnapshot,
  SHA_M,
  TRAINING_JOB_CONFIG,
  V2,
  withSpec,
} from '../../gen/training-run.ts';

const STS: TrainingJobCredentials = { secret: 'pets-jan-train-store', sessionToken: true };
const SHARED: TrainingJobCredentials = { secret: 'bosun-store', sessionToken: false };

const render = (
  run = aTrainingRun('pets-jan'),
  options: {
    credentials?: TrainingJobCredentials;
    suspend?: boolean;
    snapshot?: ReturnType<typeof aPinnedSnapshot>;
  } = {},
) =>
  renderTrainingJob(
    run,
    options.snapshot ?? aPinnedSnapshot(),
    TRAINING_JOB_CONFIG,
    options.credentials ?? STS,
    { suspend: options.suspend ?? true },
  );
const podSpec = (job: V1Job) => job.spec?.template.spec;
const container = (job: V1Job) => podSpec(job)?.containers[0] as V1Container;
const env = (job: V1Job) => container(job).env ?? [];
const envValue = (job: V1Job, name: string) => env(job).find((e) => e.name === name)?.value;
const envRef = (job: V1Job, name: string) => {
  const ref = env(job).find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  return ref && `${ref.name}/${ref.key}`;
};
/** The environment the Pod would see: the namespace from the downward API, Secret values as placeholders. */
const podEnvironment = (job: V1Job, namespace = 'team-a') =>
  Object.fromEntries(
    env(job).map((e: V1EnvVar) => [
      e.name,
      e.value ??
        (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace'
          ? namespace
          : `secret:${e.valueFrom?.secretKeyRef?.key}`),
    ]),
  );
/** Whether `labels` match every `key=value` term of a label selector. */
const selects = (selector: string, labels: Record<string, string> | undefined) =>
  selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string];
    return labels?.[k] === v;
  });

describe('the training Job of a built-in trainer', () => {
  const job = render(
    aTrainingRun(
      'pets-jan',
      builtin({
        task: 'tabular-classification',
        hyperparameters: { epochs: 20, learningRate: 0.001, layers: [64, 32], balanced: true },
      }),
    ),
  );

  it("runs the trainer image's train command", () => {
    expect(container(job).name).toBe('train');
    expect(container(job).image).toBe('registry.example/bosun/trainer:1');
    expect(container(job).imagePullPolicy).toBe('IfNotPresent');
    expect(container(job).args).toEqual(['train']);
    expect(container(job).command).toBeUndefined();
  });

  it("sets the task, the task's standard algorithm when none is named, and the hyperparameters as JSON", () => {
    expect(envValue(job, 'BOSUN_TASK')).toBe('tabular-classification');
    expect(envValue(job, 'BOSUN_ALGORITHM')).toBe('logistic');
    expect(JSON.parse(envValue(job, 'BOSUN_HYPERPARAMETERS') as string)).toEqual({
      epochs: 20,
      learningRate: 0.001,
      layers: [64, 32],
      balanced: true,
    });
    const standard = (task: 'tabular-regression' | 'image-classification') =>
      envValue(render(aTrainingRun('r', builtin({ task }))), 'BOSUN_ALGORITHM');
    expect(standard('tabular-regression')).toBe('linear');
    expect(standard('image-classification')).toBe('cnn');
    const gbdt = render(aTrainingRun('r', builtin({ task: 'tabular-regression', algorithm: 'gbdt' })));
    expect(envValue(gbdt, 'BOSUN_ALGORITHM')).toBe('gbdt');
    // No hyperparameters: no variable (the trainer takes its defaults).
    expect(env(gbdt).map((e) => e.name)).not.toContain('BOSUN_HYPERPARAMETERS');
  });

  it('is read by the trainer as the workload contract says', () => {
    const config = parseBuiltinTrainerConfig(podEnvironment(job));
    expect(config.task).toBe('tabular-classification');
    expect(config.algorithm).toBe('logistic');
    expect(config.namespace).toBe('team-a');
    expect(config.inputManifest).toEqual({
      bucket: 'bosun',
      key: `datasets/team-a/pets/snapshots/20260101-030000/verified.jsonl.gz`,
    });
    expect(config.inputManifestSha256).toBe(SHA_M);
    expect(config.outputPrefix).toEqual({ bucket: 'bosun', key: 'runs/team-a/pets-jan/' });
    expect(config.hyperparameters).toEqual({
      epochs: 20,
      learningRate: 0.001,
      layers: [64, 32],
      balanced: true,
    });
    expect(config.store).toMatchObject({
      endpoint: 'http://minio.bosun-system:9000',
      bucket: 'bosun',
      region: 'us-east-1',
      accessKey: 'secret:accessKeyId',
      secretKey: 'secret:secretAccessKey',
      sessionToken: 'secret:sessionToken',
    });
  });
});

describe('the training Job of a custom container', () => {
  const run = aTrainingRun(
    'pets-jan',
    inContainer({
      image: 'registry.example/team-a/centroid-trainer:2',
      command: ['node', '/app/train.js'],
      args: ['--target', 'cls'],
      env: [
        { name: 'TARGET', value: 'cls' },
        { name: 'BOSUN_OUTPUT_PREFIX', value: 's3://bosun/runs/team-b/stolen/' },
        { name: 'BOSUN_INPUT_MANIFEST_SHA256', value: '0'.repeat(64) },
        { name: 'BOSUN_LOG_LEVEL', value: 'debug' },
        { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'team-a-token', key: 'token' } } },
      ],
    }),
  );
  const job = render(run);

  it("runs the user's image, command and args", () => {
    expect(container(job).image).toBe('registry.example/team-a/centroid-trainer:2');
    expect(container(job).command).toEqual(['node', '/app/train.js']);
    expect(container(job).args).toEqual(['--target', 'cls']);
    const bare = render(aTrainingRun('r', inContainer({ image: 'example/t:1' })));
    expect(container(bare).command).toBeUndefined();
    expect(container(bare).args).toBeUndefined();
  });

  it("keeps the user's variables, but none can override one the contract sets", () => {
    expect(envValue(job, 'TARGET')).toBe('cls');
    expect(envValue(job, 'BOSUN_LOG_LEVEL')).toBe('debug');
    expect(envRef(job, 'API_TOKEN')).toBe('team-a-token/token');
    expect(envValue(job, 'BOSUN_OUTPUT_PREFIX')).toBe('s3://bosun/runs/team-a/pets-jan/');
    expect(envValue(job, 'BOSUN_INPUT_MANIFEST_SHA256')).toBe(SHA_M);
    const names = env(job).map((e) => e.name);
    expect(names.filter((n) => n === 'BOSUN_OUTPUT_PREFIX')).toHaveLength(1);
    expect(names.filter((n) => n === 'BOSUN_INPUT_MANIFEST_SHA256')).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gets no built-in variables', () => {
    for (const name of ['BOSUN_TASK', 'BOSUN_ALGORITHM', 'BOSUN_HYPERPARAMETERS'])
      expect(env(job).map((e) => e.name)).not.toContain(name);
    expect(parseWorkloadConfig(podEnvironment(job)).outputPrefix.key).toBe('runs/team-a/pets-jan/');
  });
});

describe('the contract environment of every training Job', () => {
  it('names the pinned manifest and its digest, the output prefix of the run, and a work dir', () => {
    const job = render(aTrainingRun('pets-feb', inNamespace('team-b'), onSnapshot(V2, 'full')), {
      snapshot: aPinnedSnapshot(V2, 'full', 'pets', 'team-b'),
    });
    expect(env(job).find((e) => e.name === 'BOSUN_NAMESPACE')).toEqual({
      name: 'BOSUN_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(envValue(job, 'BOSUN_INPUT_MANIFEST')).toBe(
      `s3://bosun/datasets/team-b/pets/snapshots/${V2}/full.jsonl.gz`,
    );
    expect(envValue(job, 'BOSUN_INPUT_MANIFEST_SHA256')).toBe(SHA_M);
    expect(envValue(job, 'BOSUN_OUTPUT_PREFIX')).toBe('s3://bosun/runs/team-b/pets-feb/');
    expect(outputUri(aTrainingRun('pets-feb', inNamespace('team-b')), 'bosun')).toBe(
      's3://bosun/runs/team-b/pets-feb/',
    );
    expect(envValue(job, 'BOSUN_WORK_DIR')).toBe(WORK_DIR);
    expect(container(job).volumeMounts).toContainEqual({ name: 'work', mountPath: WORK_DIR });
    expect(podSpec(job)?.volumes).toContainEqual({ name: 'work', emptyDir: {} });
    expect(parseWorkloadConfig(podEnvironment(job, 'team-b')).namespace).toBe('team-b');
  });

  it('gives the store and its credentials from the Secret, with a session token only under STS', () => {
    const sts = render();
    expect(envValue(sts, 'BOSUN_STORE_ENDPOINT')).toBe('http://minio.bosun-system:9000');
    expect(envValue(sts, 'BOSUN_STORE_BUCKET')).toBe('bosun');
    expect(envValue(sts, 'BOSUN_STORE_REGION')).toBe('us-east-1');
    expect(envRef(sts, 'BOSUN_STORE_ACCESS_KEY')).toBe('pets-jan-train-store/accessKeyId');
    expect(envRef(sts, 'BOSUN_STORE_SECRET_KEY')).toBe('pets-jan-train-store/secretAccessKey');
    expect(envRef(sts, 'BOSUN_STORE_SESSION_TOKEN')).toBe('pets-jan-train-store/sessionToken');
    const shared = render(undefined, { credentials: SHARED });
    expect(envRef(shared, 'BOSUN_STORE_ACCESS_KEY')).toBe('bosun-store/accessKeyId');
    expect(envRef(shared, 'BOSUN_STORE_SECRET_KEY')).toBe('bosun-store/secretAccessKey');
    expect(env(shared).map((e) => e.name)).not.toContain('BOSUN_STORE_SESSION_TOKEN');
    // No credential value is ever written into the Job itself.
    for (const job of [sts, shared])
      for (const e of env(job).filter((x) => /ACCESS_KEY|SECRET_KEY|SESSION_TOKEN/.test(x.name)))
        expect(e.value).toBeUndefined();
  });
});

describe('the training Job', () => {
  it('is created suspended when asked (its credentials come after it), or running', () => {
    expect(render(undefined, { suspend: true }).spec?.suspend).toBe(true);
    expect(render(undefined, { suspend: false }).spec?.suspend).toBe(false);
  });

  it('asks for default resources, or the ones given', () => {
    expect(container(render()).resources).toEqual({
      requests: { cpu: '500m', memory: '512Mi' },
      limits: { memory: '2Gi' },
    });
    const resources = {
      requests: { cpu: '4', memory: '8Gi' },
      limits: { memory: '16Gi', 'nvidia.com/gpu': 1 },
    };
    expect(container(render(aTrainingRun('r', withSpec({ resources })))).resources).toEqual(resources);
  });

  it('schedules as the run says: nodeSelector, tolerations, deadline and retries', () => {
    const tolerations = [{ key: 'gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const }];
    const job = render(
      aTrainingRun(
        'r',
        withSpec({
          nodeSelector: { 'node.kubernetes.io/instance-type': 'g5.xlarge' },
          tolerations,
          activeDeadlineSeconds: 3600,
          backoffLimit: 3,
        }),
      ),
    );
    expect(podSpec(job)?.nodeSelector).toEqual({ 'node.kubernetes.io/instance-type': 'g5.xlarge' });
    expect(podSpec(job)?.tolerations).toEqual(tolerations);
    expect(job.spec?.activeDeadlineSeconds).toBe(3600);
    expect(job.spec?.backoffLimit).toBe(3);
    const plain = render();
    expect(podSpec(plain)?.nodeSelector).toBeUndefined();
    expect(podSpec(plain)?.tolerations).toBeUndefined();
    expect(plain.spec?.activeDeadlineSeconds).toBeUndefined();
    expect(plain.spec?.backoffLimit).toBe(1);
    expect(podSpec(plain)?.restartPolicy).toBe('Never');
  });

  it('mounts a ServiceAccount token only when the run names a ServiceAccount', () => {
    const own = render(aTrainingRun('r', withSpec({ serviceAccountName: 'trainer' })));
    expect(podSpec(own)?.serviceAccountName).toBe('trainer');
    expect(podSpec(own)?.automountServiceAccountToken).toBeUndefined();
    const none = render();
    expect(podSpec(none)?.serviceAccountName).toBeUndefined();
    expect(podSpec(none)?.automountServiceAccountToken).toBe(false);
  });

  it('fails at once on a user error (exit 1), retries the rest, and does not count disruptions', () => {
    expect(render().spec?.podFailurePolicy).toEqual({
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'train', operator: 'In', values: [1] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    });
  });

  it('runs under Pod Security restricted, writing only to its emptyDirs', () => {
    const job = render();
    expect(podSpec(job)?.securityContext).toEqual(RESTRICTED_POD);
    expect(container(job).securityContext).toEqual(RESTRICTED_CONTAINER);
    expect(container(job).securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(podSpec(job)?.enableServiceLinks).toBe(false);
    expect(container(job).volumeMounts).toEqual([
      { name: 'work', mountPath: WORK_DIR },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(podSpec(job)?.volumes).toEqual([
      { name: 'work', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ]);
    // The trainer's one-line reason is read from here (the log's tail when it wrote none).
    expect(container(job).terminationMessagePath).toBe('/dev/termination-log');
    expect(container(job).terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('is named after the run, in its namespace, and owned by it', () => {
    const job = render(aTrainingRun('pets-feb', inNamespace('team-b')));
    expect([job.metadata?.name, job.metadata?.namespace]).toEqual(['pets-feb-train', 'team-b']);
    expect(job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'bosun.dev/v1alpha1',
        kind: 'TrainingRun',
        name: 'pets-feb',
        uid: 'uid-pets-feb',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    // The longest run name (52) still gives a Job name Kubernetes accepts.
    expect(render(aTrainingRun('r'.repeat(52))).metadata?.name).toHaveLength(58);
  });

  it("carries labels that the controller's Job cache selects and that lead back to the run", () => {
    const job = render(aTrainingRun('pets-feb', inNamespace('team-b')));
    expect(selects(TRAINING_JOBS.labelSelector as string, job.metadata?.labels)).toBe(true);
    expect(job.spec?.template.metadata?.labels).toEqual(job.metadata?.labels);
    expect(job.metadata?.labels).toMatchObject({
      'app.kubernetes.io/component': 'training',
      'app.kubernetes.io/instance': 'pets-feb',
      'bosun.dev/owner-kind': 'trainingrun',
    });
    const owns = trainingRunSetup.owns?.find((o) => o.kind === TRAINING_JOBS);
    expect(owns?.map(job, {} as SetupContext)).toEqual(['team-b/pets-feb']);
  });
});
