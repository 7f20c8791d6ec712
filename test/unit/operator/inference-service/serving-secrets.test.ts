import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  artifactCredentials,
  checkSecrets,
  type StoreAccess,
} from '../../../../operator/controllers/inference-service/serving-secrets.ts';
import { anInferenceService, aSecret, withAuth, withPredictionLog } from '../../gen/inference-service.ts';
import { aModelVersion } from '../../gen/model-version.ts';

const STS: StoreAccess = {
  workloadCredentials: 'sts',
  endpoint: 'http://minio:9000',
  bucket: 'bosun',
  region: 'us-east-1',
  credentialsSecret: 'bosun-store',
};
const SHARED: StoreAccess = { ...STS, workloadCredentials: 'shared' };
const lookup =
  (...secrets: V1Secret[]) =>
  (name: string) =>
    secrets.find((s) => s.metadata?.name === name);

describe('the Secrets of an InferenceService', () => {
  it('must exist, with a token for auth and a url for the prediction log', () => {
    const isvc = anInferenceService('api', withAuth('tokens'), withPredictionLog('db', false));
    expect(checkSecrets(isvc, lookup(), STS).problems.map((p) => [p.field, p.reason])).toEqual([
      ['auth', 'SecretNotFound'],
      ['predictionLog', 'SecretNotFound'],
    ]);
    const invalid = checkSecrets(
      isvc,
      lookup(aSecret('team-a', 'tokens', {}), aSecret('team-a', 'db', { uri: 'x' })),
      STS,
    );
    expect(invalid.problems.map((p) => p.message)).toEqual([
      'Secret tokens (spec.auth.bearerTokenSecret) holds no token: each key is a client, its value the token',
      'Secret db (spec.predictionLog.connectionSecret) has no key url with a postgres:// connection URI',
    ]);
    const fine = checkSecrets(
      isvc,
      lookup(
        aSecret('team-a', 'tokens', { ci: 't0ken' }),
        aSecret('team-a', 'db', { url: 'postgres://u:p@db/x' }),
      ),
      STS,
    );
    expect(fine.problems).toEqual([]);
    // The revision names the Secret's version, never its content.
    expect(fine.predictionLogRevision).toBe('uid-db/7');
    expect(fine.inputImagesNotStored).toBeUndefined();
  });

  it('stores input images only with long-lived credentials in the namespace', () => {
    const isvc = anInferenceService('api', withPredictionLog('db'));
    const db = aSecret('team-a', 'db', { url: 'postgres://u:p@db/x' });
    expect(checkSecrets(isvc, lookup(db), STS).inputImagesNotStored).toContain('--workload-credentials=sts');
    expect(checkSecrets(isvc, lookup(db), SHARED).inputImagesNotStored).toContain(
      'the store Secret bosun-store must exist in namespace team-a',
    );
    const store = aSecret('team-a', 'bosun-store', { accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(checkSecrets(isvc, lookup(db, store), SHARED)).toMatchObject({
      inputImageStore: { endpoint: 'http://minio:9000', bucket: 'bosun', credentialsSecret: 'bosun-store' },
    });
  });

  it("read a served artifact's store credentials from its ModelVersion's Secret", () => {
    const mv = aModelVersion('fraud-v3');
    expect(artifactCredentials(mv, 'partner', undefined)).toMatchObject({ reason: 'SecretNotFound' });
    expect(
      artifactCredentials(mv, 'partner', aSecret('team-a', 'partner', { accessKeyId: 'AK' })),
    ).toMatchObject({
      reason: 'SecretInvalid',
    });
    expect(
      artifactCredentials(
        mv,
        'partner',
        aSecret('team-a', 'partner', { accessKeyId: 'AK', secretAccessKey: 'SK' }),
      ),
    ).toEqual({ accessKey: 'AK', secretKey: 'SK' });
  });
});
