import { describe, expect, it } from 'vitest';
import { parseBuiltinTrainerConfig } from '../../../lib/contract/env.ts';

const env = {
  BOSUN_NAMESPACE: 'ml',
  BOSUN_STORE_ENDPOINT: 'http://minio.bosun-system:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'access',
  BOSUN_STORE_SECRET_KEY: 'secret',
  BOSUN_INPUT_MANIFEST: 's3://bosun/datasets/ml/pets/snapshots/3/verified.jsonl.gz',
  BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/ml/train-1/',
  BOSUN_HYPERPARAMETERS: '{"epochs": 3}',
  BOSUN_TASK: 'image-classification',
  BOSUN_ALGORITHM: 'cnn',
};

describe('workload contract environment', () => {
  it('parses every variable into a typed config', () => {
    expect(parseBuiltinTrainerConfig({ ...env, BOSUN_INPUT_MANIFEST_SHA256: 'c'.repeat(64) })).toEqual({
      namespace: 'ml',
      store: {
        endpoint: 'http://minio.bosun-system:9000',
        bucket: 'bosun',
        accessKey: 'access',
        secretKey: 'secret',
      },
      inputManifest: { bucket: 'bosun', key: 'datasets/ml/pets/snapshots/3/verified.jsonl.gz' },
      inputManifestSha256: 'c'.repeat(64),
      outputPrefix: { bucket: 'bosun', key: 'runs/ml/train-1/' },
      hyperparameters: { epochs: 3 },
      task: 'image-classification',
      algorithm: 'cnn',
    });
  });

  it.each([
    [
      { BOSUN_STORE_SECRET_KEY: undefined },
      'BOSUN_STORE_SECRET_KEY is not set: provide it from the store credentials Secret',
    ],
    [{ BOSUN_STORE_ENDPOINT: 'minio:9000' }, /BOSUN_STORE_ENDPOINT .* is not a URL|must be an http/],
    [{ BOSUN_STORE_ENDPOINT: 'ftp://minio' }, /must be an http:\/\/ or https:\/\/ URL/],
    [{ BOSUN_HYPERPARAMETERS: '{epochs: 3}' }, /BOSUN_HYPERPARAMETERS is not valid JSON/],
    [{ BOSUN_HYPERPARAMETERS: '[1]' }, 'BOSUN_HYPERPARAMETERS must be a JSON object'],
    [{ BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/ml/train-1' }, 'BOSUN_OUTPUT_PREFIX must end with "/"'],
    [
      { BOSUN_INPUT_MANIFEST: 's3://other/x.jsonl.gz' },
      'BOSUN_INPUT_MANIFEST must be in the bucket bosun, got other',
    ],
    [{ BOSUN_INPUT_MANIFEST_SHA256: 'abc' }, /BOSUN_INPUT_MANIFEST_SHA256 must be 64 lowercase hex digits/],
    [{ BOSUN_TASK: ' ' }, /BOSUN_TASK is not set/],
    [
      { BOSUN_NAMESPACE: undefined },
      "BOSUN_NAMESPACE is not set: the workload's Kubernetes namespace, e.g. from the downward API's metadata.namespace",
    ],
    [{ BOSUN_NAMESPACE: 'ML/x' }, /invalid BOSUN_NAMESPACE "ML\/x"/],
  ])('explains %j', (patch, message) => {
    expect(() => parseBuiltinTrainerConfig({ ...env, ...patch })).toThrow(message);
  });

  it.each([
    [
      { BOSUN_INPUT_MANIFEST: 's3://bosun/datasets/team-b/pets/snapshots/3/verified.jsonl.gz' },
      'BOSUN_INPUT_MANIFEST',
    ],
    [{ BOSUN_INPUT_MANIFEST: 's3://bosun/gold/pets.jsonl.gz' }, 'BOSUN_INPUT_MANIFEST'],
    [{ BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/team-b/train-1/' }, 'BOSUN_OUTPUT_PREFIX'],
    [{ BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/ml/' }, 'BOSUN_OUTPUT_PREFIX'],
    [{ BOSUN_NAMESPACE: 'team-b' }, 'BOSUN_INPUT_MANIFEST'],
  ])("refuses %j: outside the namespace's prefixes", (patch: Record<string, string>, name) => {
    const namespace = patch.BOSUN_NAMESPACE ?? 'ml';
    expect(() => parseBuiltinTrainerConfig({ ...env, ...patch })).toThrow(
      expect.objectContaining({
        reason: 'OutsideNamespace',
        message: `${name} must lie under the namespace's own prefixes (models/${namespace}/, runs/${namespace}/, datasets/${namespace}/, objects/${namespace}/, imports/${namespace}/)`,
      }),
    );
  });

  it('refuses an encoded or dotted traversal before looking at the namespace', () => {
    expect(() =>
      parseBuiltinTrainerConfig({ ...env, BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/ml/../team-b/' }),
    ).toThrow(/invalid BOSUN_OUTPUT_PREFIX/);
    expect(() =>
      parseBuiltinTrainerConfig({ ...env, BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/ml/%2e%2e/team-b/' }),
    ).toThrow(/invalid BOSUN_OUTPUT_PREFIX/);
  });

  it('never puts the secret in an error message', () => {
    try {
      parseBuiltinTrainerConfig({ ...env, BOSUN_STORE_BUCKET: 'Bad_Bucket' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('secret');
    }
  });
});
