// The Secret that holds one writer Job's scoped store credentials (minted by lib/store/sts.ts), and
// the environment through which the Job reads them. The Secret is owned by its Job, so it is
// garbage-collected with it; the Job is created first (suspended), the Secret next, then the Job is
// resumed, so a Pod never starts before its credentials exist.
import type { V1EnvVar, V1Job, V1Secret } from '@kubernetes/client-node';
import type { ScopedCredentials } from '../../../lib/store/sts.ts';
import type { KubeObject } from '../../runtime/kube-object.ts';
import { LABEL_COMPONENT, operatorLabels } from './labels.ts';
import { controllerReference } from './owner-references.ts';

export const STORE_CREDENTIALS_COMPONENT = 'store-credentials';
/** When the credentials stop working (RFC 3339): a Job still Pending after it is worth recreating. */
export const CREDENTIALS_EXPIRE_AT_ANNOTATION = 'bosun.dev/credentials-expire-at';

/** The Secret's keys; the long-lived store Secret uses the same first two. */
export const SCOPED_CREDENTIALS_KEYS = {
  accessKeyId: 'accessKeyId',
  secretAccessKey: 'secretAccessKey',
  sessionToken: 'sessionToken',
} as const;

/** The Secret of the Job named `jobName` (a Job name has at most 63 characters, so this fits). */
export function scopedCredentialsSecretName(jobName: string): string {
  return `${jobName}-store`;
}

/**
 * A Secret holding scoped credentials, owned by `owner` (not blocking its deletion: nothing needs
 * the Secret once its owner is gone, and a blocking reference would need the right to update the
 * owner's finalizers). `labels` are the owner's children's, so the Secret is found with the same
 * selectors; its component says what it is.
 */
export function renderCredentialsSecret(options: {
  name: string;
  owner: KubeObject;
  credentials: ScopedCredentials;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): V1Secret {
  const { owner, credentials } = options;
  const namespace = owner.metadata?.namespace;
  if (!namespace) throw new TypeError('the owner needs metadata.namespace');
  const encode = (value: string) => Buffer.from(value, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.name,
      namespace,
      labels: {
        ...operatorLabels(STORE_CREDENTIALS_COMPONENT),
        ...options.labels,
        [LABEL_COMPONENT]: STORE_CREDENTIALS_COMPONENT,
      },
      annotations: {
        ...options.annotations,
        [CREDENTIALS_EXPIRE_AT_ANNOTATION]: credentials.expiration.toISOString(),
      },
      ownerReferences: [{ ...controllerReference(owner), blockOwnerDeletion: false }],
    },
    type: 'Opaque',
    data: {
      [SCOPED_CREDENTIALS_KEYS.accessKeyId]: encode(credentials.accessKeyId),
      [SCOPED_CREDENTIALS_KEYS.secretAccessKey]: encode(credentials.secretAccessKey),
      [SCOPED_CREDENTIALS_KEYS.sessionToken]: encode(credentials.sessionToken),
    },
  };
}

/** The Secret of one writer Job (which must exist: its uid is the owner reference). */
export function renderScopedCredentialsSecret(
  job: V1Job,
  credentials: ScopedCredentials,
  labels: Record<string, string> = {},
): V1Secret {
  const name = job.metadata?.name;
  if (!name || !job.metadata?.namespace)
    throw new TypeError('the Job needs metadata.name and metadata.namespace');
  return renderCredentialsSecret({
    name: scopedCredentialsSecretName(name),
    owner: { ...job, apiVersion: 'batch/v1', kind: 'Job' } as KubeObject,
    credentials,
    labels,
  });
}

/**
 * The store credentials of a writer Job's container: from its scoped Secret (with a session token)
 * or, under `--workload-credentials=shared`, from the long-lived store Secret (without one).
 */
export function storeCredentialsEnv(secretName: string, withSessionToken = true): V1EnvVar[] {
  const ref = (key: string) => ({ secretKeyRef: { name: secretName, key } });
  const env: V1EnvVar[] = [
    { name: 'BOSUN_STORE_ACCESS_KEY', valueFrom: ref(SCOPED_CREDENTIALS_KEYS.accessKeyId) },
    { name: 'BOSUN_STORE_SECRET_KEY', valueFrom: ref(SCOPED_CREDENTIALS_KEYS.secretAccessKey) },
  ];
  if (withSessionToken)
    env.push({ name: 'BOSUN_STORE_SESSION_TOKEN', valueFrom: ref(SCOPED_CREDENTIALS_KEYS.sessionToken) });
  return env;
}
