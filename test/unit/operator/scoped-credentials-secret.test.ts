import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIALS_EXPIRE_AT_ANNOTATION,
  renderScopedCredentialsSecret,
  scopedCredentialsSecretName,
  storeCredentialsEnv,
} from '../../../operator/controllers/shared/scoped-credentials-secret.ts';

const job: V1Job = {
  metadata: { name: 'train-1', namespace: 'team-a', uid: '5f0c7a3e-0000-4000-8000-000000000001' },
};
const credentials = {
  accessKeyId: 'AKIA1',
  secretAccessKey: 'secret/with+chars',
  sessionToken: 'eyJhbGciOi.token',
  expiration: new Date('2026-01-01T01:00:00Z'),
};
const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

describe('the Secret of a writer Job', () => {
  it('holds the three credentials, is owned by the Job, and says when it expires', () => {
    const secret = renderScopedCredentialsSecret(job, credentials, {
      'app.kubernetes.io/instance': 'train-1',
      'app.kubernetes.io/component': 'training',
    });
    expect(secret.metadata).toEqual({
      name: 'train-1-store',
      namespace: 'team-a',
      labels: {
        'app.kubernetes.io/name': 'bosun',
        'app.kubernetes.io/managed-by': 'bosun-operator',
        'app.kubernetes.io/component': 'store-credentials',
        'app.kubernetes.io/instance': 'train-1',
      },
      annotations: { [CREDENTIALS_EXPIRE_AT_ANNOTATION]: '2026-01-01T01:00:00.000Z' },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: 'train-1',
          uid: '5f0c7a3e-0000-4000-8000-000000000001',
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    });
    expect(secret.type).toBe('Opaque');
    expect(Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, decode(v)]))).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 'secret/with+chars',
      sessionToken: 'eyJhbGciOi.token',
    });
    expect(secret).not.toHaveProperty('stringData');
  });

  it('needs a Job that exists (its uid is the owner reference)', () => {
    expect(() =>
      renderScopedCredentialsSecret({ metadata: { name: 'j', namespace: 'n' } }, credentials),
    ).toThrow(/uid/);
    expect(() => renderScopedCredentialsSecret({ metadata: { uid: 'u' } }, credentials)).toThrow(
      /metadata.name/,
    );
  });

  it('is read by the Job as the store credentials of the workload contract', () => {
    const name = scopedCredentialsSecretName('train-1');
    expect(storeCredentialsEnv(name)).toEqual([
      { name: 'BOSUN_STORE_ACCESS_KEY', valueFrom: { secretKeyRef: { name, key: 'accessKeyId' } } },
      { name: 'BOSUN_STORE_SECRET_KEY', valueFrom: { secretKeyRef: { name, key: 'secretAccessKey' } } },
      { name: 'BOSUN_STORE_SESSION_TOKEN', valueFrom: { secretKeyRef: { name, key: 'sessionToken' } } },
    ]);
    // --workload-credentials=shared: the long-lived Secret has no session token.
    expect(storeCredentialsEnv('bosun-store', false).map((e) => e.name)).toEqual([
      'BOSUN_STORE_ACCESS_KEY',
      'BOSUN_STORE_SECRET_KEY',
    ]);
  });
});
