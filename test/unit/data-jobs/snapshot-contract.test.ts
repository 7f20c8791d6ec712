import { describe, expect, it } from 'vitest';
import {
  encodeSnapshotResult,
  parseSnapshotConfig,
  parseSnapshotMessage,
  type SnapshotResult,
} from '../../../images/data-jobs/job-contract.ts';
import { TERMINATION_MESSAGE_LIMIT } from '../../../lib/contract/termination-message.ts';

const env = {
  BOSUN_NAMESPACE: 'ml',
  BOSUN_DATASET: 'pets',
  BOSUN_DATASET_SPEC: JSON.stringify({ format: 'imagefolder' }),
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'a',
  BOSUN_STORE_SECRET_KEY: 's',
  BOSUN_SNAPSHOT_VERSION: '20260201-000000',
  BOSUN_SNAPSHOT_TIME: '2026-02-01T00:00:00Z',
};

const variant = (rejected: boolean, reasons: string[] = []) => ({
  items: 10,
  labels: 2,
  manifest: {
    uri: 's3://bosun/datasets/ml/pets/snapshots/20260201-000000/full.jsonl.gz',
    sha256: 'a'.repeat(64),
  },
  summary: 's3://bosun/datasets/ml/pets/snapshots/20260201-000000/full.json',
  rejected,
  reasons,
});

describe('the snapshot contract', () => {
  it('parses the version, the time and the parent, with defaults of the spec applied', () => {
    const config = parseSnapshotConfig({ ...env, BOSUN_SNAPSHOT_PARENT: '20260101-000000' });
    expect(config).toMatchObject({ version: '20260201-000000', parent: '20260101-000000', dataset: 'pets' });
    expect(config.time.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(config.spec.snapshot.variants).toEqual(['verified', 'full']);
    expect(parseSnapshotConfig(env).parent).toBeNull();
  });

  it.each([
    [{ BOSUN_SNAPSHOT_VERSION: '' }, 'BOSUN_SNAPSHOT_VERSION is not set: the version to build'],
    [
      { BOSUN_SNAPSHOT_VERSION: '2026-02-01' },
      'BOSUN_SNAPSHOT_VERSION must be a snapshot version YYYYMMDD-HHMMSS (UTC), got "2026-02-01"',
    ],
    [{ BOSUN_SNAPSHOT_TIME: 'tomorrow' }, /BOSUN_SNAPSHOT_TIME must be an RFC 3339 time/],
    [
      { BOSUN_SNAPSHOT_PARENT: '20260301-000000' },
      'BOSUN_SNAPSHOT_PARENT 20260301-000000 must be older than BOSUN_SNAPSHOT_VERSION 20260201-000000',
    ],
  ])('refuses %j', (change, message) => {
    expect(() => parseSnapshotConfig({ ...env, ...change })).toThrow(message);
  });

  it('reads its result back, and a failure line', () => {
    const result: SnapshotResult = {
      ok: true,
      command: 'snapshot',
      version: '20260201-000000',
      parent: null,
      rejected: true,
      variants: { verified: variant(false), full: variant(true, ['items: the variant holds no item']) },
      card: 's3://bosun/datasets/ml/pets/snapshots/20260201-000000/README.md',
    };
    expect(parseSnapshotMessage(encodeSnapshotResult(result))).toEqual(result);
    expect(parseSnapshotMessage('GoldEmpty: spec.gold s3://b/g/ holds no object')).toEqual({
      ok: false,
      reason: 'GoldEmpty',
      message: 'spec.gold s3://b/g/ holds no object',
    });
    expect(parseSnapshotMessage('{"ok":true,"command":"collect"}')).toBeUndefined();
    expect(parseSnapshotMessage(undefined)).toBeUndefined();
  });

  it('keeps the result within the termination message limit, cutting reasons first', () => {
    const reasons = Array.from({ length: 40 }, (_, i) => `minItemsPerLabel: reason ${i} ${'x'.repeat(400)}`);
    const text = encodeSnapshotResult({
      ok: true,
      command: 'snapshot',
      version: '20260201-000000',
      parent: null,
      rejected: true,
      variants: { verified: variant(true, reasons), full: variant(true, reasons) },
      card: 's3://bosun/x/README.md',
    });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(TERMINATION_MESSAGE_LIMIT);
    const back = parseSnapshotMessage(text) as SnapshotResult;
    expect(back.variants.full?.rejected).toBe(true);
    expect(back.variants.full?.reasons[0]).toMatch(/^minItemsPerLabel: reason 0 x+\.\.\.$/);
    expect(back.variants.full?.reasons[0]).toHaveLength(300);
  });
});
