import { describe, expect, it } from 'vitest';
import {
  encodeSnapshotResult,
  parseSnapshotConfig,
  parseSnapshotMessage,
  type SnapshotResult,
} from '../../../images/data-jobs/job-contract.ts';
import { UserError } from '../../../lib/contract/errors.ts';
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
    expect(config.scheduled).toBe(false);
  });

  /** A scheduled run's environment: no version, no time, no parent; the spec's schedule. */
  const scheduled = (snapshot: Record<string, unknown>, now: string, extra: Record<string, string> = {}) => {
    const { BOSUN_SNAPSHOT_VERSION: _v, BOSUN_SNAPSHOT_TIME: _t, ...rest } = env;
    return {
      ...rest,
      BOSUN_DATASET_SPEC: JSON.stringify({ format: 'imagefolder', snapshot }),
      BOSUN_NOW: now,
      ...extra,
    };
  };

  it.each([
    // The 1st of each month at 03:00 UTC (the default zone), run a few minutes late.
    [{ schedule: '0 3 1 * *' }, '2026-02-01T03:04:00Z', '20260201-030000', '2026-02-01T03:00:00.000Z'],
    // Exactly at the tick: that tick.
    [{ schedule: '0 3 1 * *' }, '2026-02-01T03:00:00Z', '20260201-030000', '2026-02-01T03:00:00.000Z'],
    // A run just before the tick (a node's clock behind) names the previous month.
    [{ schedule: '0 3 1 * *' }, '2026-02-01T02:59:59Z', '20260101-030000', '2026-01-01T03:00:00.000Z'],
    // Read in its zone: 03:00 in Berlin is 02:00 UTC in winter, 01:00 UTC in summer.
    [
      { schedule: '0 3 1 * *', timeZone: 'Europe/Berlin' },
      '2026-02-01T02:30:00Z',
      '20260201-020000',
      '2026-02-01T02:00:00.000Z',
    ],
    [
      { schedule: '0 3 1 * *', timeZone: 'Europe/Berlin' },
      '2026-07-15T00:00:00Z',
      '20260701-010000',
      '2026-07-01T01:00:00.000Z',
    ],
    [{ schedule: '@monthly' }, '2026-03-31T23:59:59Z', '20260301-000000', '2026-03-01T00:00:00.000Z'],
  ])(
    'a scheduled run of %j at %s builds %s (time %s) and leaves the parent to the store',
    (snapshot, now, version, time) => {
      const config = parseSnapshotConfig(scheduled(snapshot, now));
      expect(config).toMatchObject({ version, parent: null, scheduled: true });
      expect(config.time.toISOString()).toBe(time);
    },
  );

  /** `<Reason>: <message>` of what parsing throws, as the termination message has it. */
  const refusal = (e: Record<string, string>): string => {
    try {
      parseSnapshotConfig(e);
    } catch (error) {
      if (error instanceof UserError) return `${error.reason}: ${error.message}`;
      throw error;
    }
    throw new Error('expected the configuration to be refused');
  };

  it.each([
    [
      {},
      {},
      'ConfigInvalid: BOSUN_SNAPSHOT_VERSION is not set and the Dataset has no spec.snapshot.schedule',
    ],
    [
      { schedule: '0 3 1 * *' },
      { BOSUN_SNAPSHOT_TIME: '2026-02-01T00:00:00Z' },
      'ConfigInvalid: BOSUN_SNAPSHOT_TIME is set without BOSUN_SNAPSHOT_VERSION',
    ],
    [
      { schedule: '0 3 1 * *' },
      { BOSUN_SNAPSHOT_PARENT: '20260101-000000' },
      'ConfigInvalid: BOSUN_SNAPSHOT_PARENT is set without BOSUN_SNAPSHOT_VERSION',
    ],
    [{ schedule: '0 3 1' }, {}, 'ScheduleInvalid: spec.snapshot.schedule "0 3 1" must have five fields'],
    [
      { schedule: '0 3 1 * *', timeZone: 'Mars/Olympus' },
      {},
      'ScheduleInvalid: spec.snapshot.timeZone "Mars/Olympus" is not a known IANA time zone',
    ],
  ])('refuses a scheduled run of %j given %j', (snapshot, extra, message) => {
    expect(refusal(scheduled(snapshot, '2026-02-10T00:00:00Z', extra))).toContain(message);
  });

  it.each([
    // Half of the pair: the version without its time (the time without its version is above).
    [{ BOSUN_SNAPSHOT_TIME: '' }, /BOSUN_SNAPSHOT_TIME must be an RFC 3339 time/],
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
