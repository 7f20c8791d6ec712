// The example trainer's reading of the workload contract's environment: every key under the
// namespace's own prefixes, hyperparameters from BOSUN_HYPERPARAMETERS or --hyperparameters.
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../e2e/images/example-trainer/config.ts';
import { failure } from './failure.ts';

const ENV = {
  BOSUN_NAMESPACE: 'team-a',
  BOSUN_STORE_ENDPOINT: 'http://minio.store:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'access',
  BOSUN_STORE_SECRET_KEY: 'secret',
  BOSUN_INPUT_MANIFEST: 's3://bosun/datasets/team-a/iris/snapshots/20260601-000000/verified.jsonl.gz',
  BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/team-a/iris-1/',
};

describe('readConfig', () => {
  it('reads the store, the keys and the defaults', () => {
    expect(readConfig({ ...ENV, BOSUN_STORE_SESSION_TOKEN: 'token' }, [])).toEqual({
      namespace: 'team-a',
      bucket: 'bosun',
      store: {
        endPoint: 'minio.store',
        port: 9000,
        useSSL: false,
        region: 'us-east-1',
        accessKey: 'access',
        secretKey: 'secret',
        sessionToken: 'token',
      },
      manifestKey: 'datasets/team-a/iris/snapshots/20260601-000000/verified.jsonl.gz',
      outputPrefix: 'runs/team-a/iris-1/',
      hyperparameters: { target: 'label' },
    });
    const https = readConfig({ ...ENV, BOSUN_STORE_ENDPOINT: 'https://s3.example.com' }, []);
    expect(https.store).toMatchObject({ endPoint: 's3.example.com', port: 443, useSSL: true });
  });

  it('takes hyperparameters from the environment, a flag overriding it, and the pinned digest', () => {
    const env = {
      ...ENV,
      BOSUN_HYPERPARAMETERS: '{"target":"species","features":["petal"]}',
      BOSUN_INPUT_MANIFEST_SHA256: 'a'.repeat(64),
    };
    expect(readConfig(env, [])).toMatchObject({
      hyperparameters: { target: 'species', features: ['petal'] },
      manifestSha256: 'a'.repeat(64),
    });
    expect(readConfig(env, ['--hyperparameters', '{"target":"kind"}']).hyperparameters).toEqual({
      target: 'kind',
    });
  });

  it('refuses keys outside the namespace, in another bucket or with odd segments', () => {
    expect(
      failure(() => readConfig({ ...ENV, BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/team-b/x/' }, [])),
    ).toEqual([
      'OutsideNamespace',
      "BOSUN_OUTPUT_PREFIX must lie under the namespace's own prefixes (models/team-a/, runs/team-a/, datasets/team-a/, objects/team-a/, imports/team-a/)",
    ]);
    expect(failure(() => readConfig({ ...ENV, BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/team-a/' }, []))[0]).toBe(
      'OutsideNamespace',
    );
    expect(
      failure(() => readConfig({ ...ENV, BOSUN_INPUT_MANIFEST: 's3://other/datasets/team-a/m' }, [])),
    ).toEqual(['ConfigInvalid', 'BOSUN_INPUT_MANIFEST must be in the bucket bosun, got other']);
    for (const key of ['datasets/team-a/../team-b/m', 'datasets/team-a/%2e%2e/m', 'datasets//team-a/m'])
      expect(failure(() => readConfig({ ...ENV, BOSUN_INPUT_MANIFEST: `s3://bosun/${key}` }, []))[1]).toMatch(
        /^BOSUN_INPUT_MANIFEST: .* is not a key of plain segments/,
      );
    expect(
      failure(() => readConfig({ ...ENV, BOSUN_OUTPUT_PREFIX: 's3://bosun/runs/team-a/x' }, []))[1],
    ).toBe('BOSUN_OUTPUT_PREFIX must end with "/"');
  });

  it('names what is missing or malformed', () => {
    const { BOSUN_STORE_SECRET_KEY: _, ...noSecret } = ENV;
    expect(failure(() => readConfig(noSecret, []))).toEqual([
      'ConfigInvalid',
      'BOSUN_STORE_SECRET_KEY is not set',
    ]);
    expect(failure(() => readConfig({ ...ENV, BOSUN_STORE_ENDPOINT: 'http://minio/path' }, []))[1]).toMatch(
      /^BOSUN_STORE_ENDPOINT must be http\(s\):\/\/host\[:port\] without a path/,
    );
    expect(failure(() => readConfig({ ...ENV, BOSUN_NAMESPACE: 'Team_A' }, []))[1]).toBe(
      'BOSUN_NAMESPACE "Team_A" is not a namespace name',
    );
    expect(failure(() => readConfig({ ...ENV, BOSUN_INPUT_MANIFEST_SHA256: 'abc' }, []))[1]).toBe(
      'BOSUN_INPUT_MANIFEST_SHA256 must be 64 lowercase hex digits',
    );
    expect(failure(() => readConfig(ENV, ['--epochs', '3']))[1]).toMatch(
      /usage: main.ts \[--hyperparameters JSON\]/,
    );
  });

  it('refuses hyperparameters it does not read', () => {
    const bad = (json: string) => failure(() => readConfig({ ...ENV, BOSUN_HYPERPARAMETERS: json }, []));
    expect(bad('{"target":"y","epochs":3}')).toEqual([
      'HyperparametersInvalid',
      'invalid hyperparameters: unknown "epochs"; this trainer reads "target" and "features"',
    ]);
    expect(bad('{"target":')[1]).toMatch(/^invalid hyperparameters: not valid JSON/);
    expect(bad('[1]')[1]).toBe('invalid hyperparameters: expected a JSON object');
    expect(bad('{"target":3}')[1]).toBe('invalid hyperparameters: "target" must be a column name');
    expect(bad('{"features":[]}')[1]).toBe(
      'invalid hyperparameters: "features" must be a non-empty list of column names',
    );
  });
});
