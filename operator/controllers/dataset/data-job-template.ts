// The Job spec every data job of a Dataset runs with — collection and snapshot, from a CronJob or
// on demand — as a pure function of the Dataset and the operator's configuration: the data-jobs
// image with one command, the Dataset's spec as JSON, the store and its credentials, and each
// source's Secret as the variables of images/data-jobs/job-contract.ts. Pod Security
// "restricted", a ServiceAccount of its own with no token (the jobs never call the Kubernetes
// API), exit 1 fails the Job at once (the same run would fail the same way), exit 2 is retried.
import type { V1EnvFromSource, V1EnvVar, V1JobSpec } from '@kubernetes/client-node';
import {
  DATA_JOB_ENV,
  type DataJobCommand,
  EXIT,
  sourceEnv,
} from '../../../images/data-jobs/job-contract.ts';
import type { Dataset } from '../../api/dataset.ts';
import { RESTRICTED_CONTAINER, RESTRICTED_POD } from '../shared/pod-security.ts';
import { SCOPED_CREDENTIALS_KEYS, storeCredentialsEnv } from '../shared/scoped-credentials-secret.ts';
import { dataJobsServiceAccountName } from './names.ts';

export const DATA_JOB_CONTAINER = 'data-job';

/** How long one run may take, Pending time included; well inside the credentials' remaining life. */
export const DATA_JOB_DEADLINE_SECONDS = 3 * 3600;
/**
 * Retries of exit 2 (a source or the store unreachable): with the Job controller's back-off of
 * 10 s doubling, five retries span about five minutes of an outage before the Job fails.
 */
export const DATA_JOB_BACKOFF_LIMIT = 5;

export interface DataJobConfig {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  store: { endpoint: string; bucket: string; region: string };
  /** The Secret in the Dataset's namespace the jobs read store credentials from. */
  credentialsSecret: string;
  /** True for scoped (STS) credentials, which come with a session token. */
  sessionToken: boolean;
  ttlSecondsAfterFinished: number;
}

function secretKey(name: string, secret: string, key: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** Each source's and gold's Secrets, as the variables the data jobs read them from. */
function sourceSecrets(dataset: Dataset): { env: V1EnvVar[]; envFrom: V1EnvFromSource[] } {
  const env: V1EnvVar[] = [];
  const envFrom: V1EnvFromSource[] = [];
  const gold = dataset.spec.gold?.credentialsSecret?.name;
  if (gold)
    env.push(
      secretKey(DATA_JOB_ENV.goldAccessKeyId, gold, SCOPED_CREDENTIALS_KEYS.accessKeyId),
      secretKey(DATA_JOB_ENV.goldSecretAccessKey, gold, SCOPED_CREDENTIALS_KEYS.secretAccessKey),
    );
  (dataset.spec.sources ?? []).forEach((source, index) => {
    const names = sourceEnv(index);
    const keys = (secret: string) => [
      secretKey(names.accessKeyId, secret, SCOPED_CREDENTIALS_KEYS.accessKeyId),
      secretKey(names.secretAccessKey, secret, SCOPED_CREDENTIALS_KEYS.secretAccessKey),
    ];
    if (source.postgres) {
      env.push(secretKey(names.url, source.postgres.connectionSecret.name, 'url'));
      const images = source.postgres.images?.credentialsSecret?.name;
      if (images) env.push(...keys(images));
    }
    const s3 = source.s3?.credentialsSecret?.name;
    if (s3) env.push(...keys(s3));
    const headers = source.http?.headersSecret?.name;
    if (headers) envFrom.push({ prefix: names.headerPrefix, secretRef: { name: headers } });
  });
  return { env, envFrom };
}

export function renderDataJobSpec(
  dataset: Dataset,
  command: DataJobCommand,
  labels: Record<string, string>,
  config: DataJobConfig,
  extraEnv: V1EnvVar[] = [],
): V1JobSpec {
  const secrets = sourceSecrets(dataset);
  return {
    backoffLimit: DATA_JOB_BACKOFF_LIMIT,
    activeDeadlineSeconds: DATA_JOB_DEADLINE_SECONDS,
    ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
    podFailurePolicy: {
      rules: [
        {
          action: 'FailJob',
          onExitCodes: { containerName: DATA_JOB_CONTAINER, operator: 'In', values: [EXIT.USER_ERROR] },
        },
        // A Pod evicted or preempted is no failure of the job's own.
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    },
    template: {
      metadata: { labels },
      spec: {
        restartPolicy: 'Never',
        serviceAccountName: dataJobsServiceAccountName(dataset),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: RESTRICTED_POD,
        containers: [
          {
            name: DATA_JOB_CONTAINER,
            image: config.image,
            imagePullPolicy: config.imagePullPolicy,
            args: [command],
            env: [
              { name: DATA_JOB_ENV.namespace, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: DATA_JOB_ENV.dataset, value: dataset.metadata.name },
              { name: DATA_JOB_ENV.datasetSpec, value: JSON.stringify(dataset.spec) },
              { name: 'BOSUN_STORE_ENDPOINT', value: config.store.endpoint },
              { name: 'BOSUN_STORE_BUCKET', value: config.store.bucket },
              { name: 'BOSUN_STORE_REGION', value: config.store.region },
              ...storeCredentialsEnv(config.credentialsSecret, config.sessionToken),
              ...secrets.env,
              ...extraEnv,
            ],
            ...(secrets.envFrom.length > 0 ? { envFrom: secrets.envFrom } : {}),
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            securityContext: RESTRICTED_CONTAINER,
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
      },
    },
  };
}
