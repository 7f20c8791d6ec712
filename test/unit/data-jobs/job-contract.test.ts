import { describe, expect, it } from 'vitest';
import {
  type CollectResult,
  encodeCollectResult,
  encodeDataJobFailure,
  parseCollectConfig,
  parseCollectMessage,
  parseDatasetSpec,
  sourceEnv,
} from '../../../images/data-jobs/job-contract.ts';
import { UserError } from '../../../lib/contract/errors.ts';

const store = {
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'a',
  BOSUN_STORE_SECRET_KEY: 's',
};
const postgres = {
  name: 'served',
  postgres: {
    connectionSecret: { name: 'db' },
    query: 'SELECT id, label, object_key FROM predictions WHERE created_at >= $1 AND created_at < $2',
    columns: { id: 'id', label: 'label', objectKey: 'object_key' },
    images: { uri: 's3://bosun/' },
  },
};
const spec = { format: 'imagefolder', sources: [postgres], collection: { schedule: '@daily' } };

function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return `${e.reason}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('the collect job environment', () => {
  it('is parsed with the defaults the API server would have applied', () => {
    const config = parseCollectConfig({
      ...store,
      BOSUN_NAMESPACE: 'team-a',
      BOSUN_DATASET: 'pets',
      BOSUN_DATASET_SPEC: JSON.stringify(spec),
      BOSUN_NOW: '2026-01-02T03:04:05Z',
    });
    expect(config).toMatchObject({ namespace: 'team-a', dataset: 'pets', maxWindowsPerRun: 24 });
    expect(config.now.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(config.spec.collection).toEqual({ schedule: '@daily', timeZone: 'Etc/UTC', suspend: false });
    expect(config.spec.snapshot.variants).toEqual(['verified', 'full']);
  });

  it('refuses what is missing or malformed, naming the variable', () => {
    const base = {
      ...store,
      BOSUN_NAMESPACE: 'team-a',
      BOSUN_DATASET: 'pets',
      BOSUN_DATASET_SPEC: JSON.stringify(spec),
    };
    expect(failure(() => parseCollectConfig({ ...base, BOSUN_DATASET: '' }))).toBe(
      "ConfigInvalid: BOSUN_DATASET is not set: the Dataset's name",
    );
    expect(failure(() => parseCollectConfig({ ...base, BOSUN_DATASET: 'a.b' }))).toMatch(
      /^ConfigInvalid: BOSUN_DATASET must be a DNS label/,
    );
    expect(failure(() => parseCollectConfig({ ...base, BOSUN_DATASET_SPEC: '{' }))).toMatch(
      /^ConfigInvalid: BOSUN_DATASET_SPEC is not valid JSON/,
    );
    expect(failure(() => parseCollectConfig({ ...base, BOSUN_NOW: 'yesterday' }))).toBe(
      'ConfigInvalid: BOSUN_NOW must be an RFC 3339 time, got "yesterday"',
    );
    expect(failure(() => parseCollectConfig({ ...base, BOSUN_MAX_WINDOWS_PER_RUN: '0' }))).toMatch(
      /^ConfigInvalid: BOSUN_MAX_WINDOWS_PER_RUN must be a whole number from 1 to 1000/,
    );
  });

  it('names each source variable by the source position', () => {
    expect(sourceEnv(2)).toEqual({
      url: 'BOSUN_SOURCE_2_URL',
      accessKeyId: 'BOSUN_SOURCE_2_ACCESS_KEY_ID',
      secretAccessKey: 'BOSUN_SOURCE_2_SECRET_ACCESS_KEY',
      headerPrefix: 'BOSUN_SOURCE_2_HEADER_',
    });
  });
});

describe('the Dataset spec a job is given', () => {
  const invalid = (s: unknown) => failure(() => parseDatasetSpec(JSON.stringify(s)));

  it('is checked against the schema, every problem in one message', () => {
    expect(invalid({ format: 'video', sources: [{ name: 'x', s3: { uri: 5 } }] })).toMatch(
      /^DatasetSpecInvalid: the Dataset spec is invalid: .*format.*sources\.0\.s3\.uri/,
    );
  });

  it('is held to the CEL rules the jobs depend on', () => {
    const both = { ...postgres, s3: { uri: 's3://bosun/imports/x/' } };
    expect(invalid({ ...spec, sources: [both] })).toContain(
      'sources.0: must set exactly one of postgres, s3, http',
    );
    const noWindow = { ...postgres, postgres: { ...postgres.postgres, query: 'SELECT * FROM predictions' } };
    expect(invalid({ ...spec, sources: [noWindow] })).toContain(
      'must select one window with $1 (start) and $2 (end)',
    );
    const values = {
      ...postgres,
      postgres: { ...postgres.postgres, columns: { ...postgres.postgres.columns, values: ['a'] } },
    };
    expect(invalid({ ...spec, sources: [values] })).toContain('must map exactly one of objectKey or values');
    expect(invalid({ ...spec, sources: [{ ...postgres, name: 'gold' }] })).toContain(
      'gold names the curated base data',
    );
    expect(invalid({ ...spec, sources: [postgres, postgres] })).toContain('served names two sources');
    expect(invalid({ format: 'tabular', collection: { schedule: '@daily' } })).toContain('tabular: required');
    expect(
      invalid({
        format: 'imagefolder',
        sources: [{ name: 'web', http: { urls: [{ url: 'https://x/1.jpg' }] } }],
      }),
    ).toContain('sources.0.http.urls.0.label: required for an imagefolder Dataset');
    expect(invalid({ ...spec, collection: { schedule: '@daily', since: 'last week' } })).toContain(
      'collection.since',
    );
  });
});

describe('the collect result in the termination message', () => {
  const result: CollectResult = {
    ok: true,
    command: 'collect',
    windows: 2,
    items: 40,
    corrupt: 1,
    duplicates: 3,
    caughtUp: true,
    lastWindow: {
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-02T00:00:00.000Z',
      items: 20,
      batch: { uri: 's3://bosun/datasets/default/pets/batches/x.jsonl.gz', sha256: 'a'.repeat(64) },
    },
  };

  it('reads back as it was written', () => {
    expect(parseCollectMessage(encodeCollectResult(result))).toEqual(result);
  });

  it('reads a failure line back as its reason and message', () => {
    expect(parseCollectMessage(encodeDataJobFailure('SourceUnavailable', 'the database\nis down'))).toEqual({
      ok: false,
      reason: 'SourceUnavailable',
      message: 'the database is down',
    });
  });

  it('is undefined for anything else', () => {
    for (const text of [
      undefined,
      '',
      'oops',
      '{"ok":true}',
      '{"ok":true,"command":"collect","windows":-1}',
      '{',
    ])
      expect(parseCollectMessage(text)).toBeUndefined();
  });
});
