// The training Job of a TrainingRun, as a pure function of the run, the snapshot pinned in its
// status and the operator's configuration: the built-in trainer image with BOSUN_TASK,
// BOSUN_ALGORITHM and the hyperparameters as JSON, or the user's container — both get the
// workload contract's BOSUN_* variables (docs/workload-contract.md), which the user's env cannot
// override, an emptyDir work dir, Pod Security "restricted", and the run's scheduling fields.
// Created suspended under scoped credentials: the Secret the Pod reads is made for this Job once
// it exists (decision 0008), and the Job is resumed after that.
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { runPrefix } from '../../../lib/store/keys.ts';
import { STANDARD_ALGORITHMS, type TrainingRun } from '../../api/training-run.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { RESTRICTED_CONTAINER, RESTRICTED_POD } from '../shared/pod-security.ts';
import { storeCredentialsEnv } from '../shared/scoped-credentials-secret.ts';
import { TRAINING_CONTAINER, trainingJobName, trainingLabels } from './names.ts';
import type { PinnedSnapshot } from './resolve-snapshot.ts';

export interface TrainingJobConfig {
  /** The built-in trainer image (images/trainer); empty: none configured. */
  trainerImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  store: { endpoint: string; bucket: string; region: string };
}

export interface TrainingJobCredentials {
  /** The Secret in the run's namespace with the store credentials. */
  secret: string;
  sessionToken: boolean;
}

export const WORK_DIR = '/work';

/** s3://<bucket>/runs/<ns>/<run>/: where the run writes before registration. */
export function outputUri(run: TrainingRun, bucket: string): string {
  return `s3://${bucket}/${runPrefix(run.metadata.namespace as string, run.metadata.name as string)}`;
}

function contractEnv(
  run: TrainingRun,
  snapshot: PinnedSnapshot,
  config: TrainingJobConfig,
  credentials: TrainingJobCredentials,
): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'BOSUN_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'BOSUN_STORE_ENDPOINT', value: config.store.endpoint },
    { name: 'BOSUN_STORE_BUCKET', value: config.store.bucket },
    { name: 'BOSUN_STORE_REGION', value: config.store.region },
    ...storeCredentialsEnv(credentials.secret, credentials.sessionToken),
    { name: 'BOSUN_INPUT_MANIFEST', value: snapshot.manifest.uri },
    { name: 'BOSUN_INPUT_MANIFEST_SHA256', value: snapshot.manifest.sha256 },
    { name: 'BOSUN_OUTPUT_PREFIX', value: outputUri(run, config.store.bucket) },
    { name: 'BOSUN_WORK_DIR', value: WORK_DIR },
  ];
  const builtin = run.spec.trainer.builtin;
  if (builtin) {
    env.push(
      { name: 'BOSUN_TASK', value: builtin.task },
      { name: 'BOSUN_ALGORITHM', value: builtin.algorithm ?? STANDARD_ALGORITHMS[builtin.task] },
    );
  }
  const hyperparameters = builtin?.hyperparameters;
  if (hyperparameters) env.push({ name: 'BOSUN_HYPERPARAMETERS', value: JSON.stringify(hyperparameters) });
  return env;
}

export function renderTrainingJob(
  run: TrainingRun,
  snapshot: PinnedSnapshot,
  config: TrainingJobConfig,
  credentials: TrainingJobCredentials,
  options: { suspend: boolean },
): V1Job {
  const labels = trainingLabels(run);
  const { builtin, container } = run.spec.trainer;
  const contract = contractEnv(run, snapshot, config, credentials);
  const reserved = new Set(contract.map((e) => e.name));
  // The user's variables first, without any the contract sets: the contract's cannot be overridden.
  const userEnv = ((container?.env ?? []) as V1EnvVar[]).filter((e) => !reserved.has(e.name));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: trainingJobName(run),
      namespace: run.metadata.namespace,
      labels,
      ownerReferences: [controllerReference(run)],
    },
    spec: {
      suspend: options.suspend,
      backoffLimit: run.spec.backoffLimit ?? 1,
      ...(run.spec.activeDeadlineSeconds ? { activeDeadlineSeconds: run.spec.activeDeadlineSeconds } : {}),
      // A user error (exit 1: bad hyperparameters, an empty dataset) fails at once; retries are for the rest.
      podFailurePolicy: {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: { containerName: TRAINING_CONTAINER, operator: 'In', values: [1] },
          },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          enableServiceLinks: false,
          ...(run.spec.serviceAccountName
            ? { serviceAccountName: run.spec.serviceAccountName }
            : { automountServiceAccountToken: false }),
          ...(run.spec.nodeSelector ? { nodeSelector: run.spec.nodeSelector } : {}),
          ...(run.spec.tolerations ? { tolerations: run.spec.tolerations as never } : {}),
          securityContext: RESTRICTED_POD,
          containers: [
            {
              name: TRAINING_CONTAINER,
              image: builtin ? config.trainerImage : (container?.image as string),
              imagePullPolicy: config.imagePullPolicy,
              ...(builtin ? { args: ['train'] } : {}),
              ...(container?.command ? { command: container.command } : {}),
              ...(container?.args ? { args: container.args } : {}),
              env: [...userEnv, ...contract],
              resources: (run.spec.resources as never) ?? {
                requests: { cpu: '500m', memory: '512Mi' },
                limits: { memory: '2Gi' },
              },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'FallbackToLogsOnError',
              securityContext: RESTRICTED_CONTAINER,
              volumeMounts: [
                { name: 'work', mountPath: WORK_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'work', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}
