import { describe, expect, it } from 'vitest';
import { linkExpiresAt } from '../../../../lib/store/presigned-link.ts';
import {
  chooseLink,
  MODEL_LINK_RENEW_BEFORE_SECONDS,
  renewalDueInMs,
  sameObject,
} from '../../../../operator/controllers/inference-service/model-link.ts';

const link = (key: string, date: string, expires = 604800) =>
  `http://minio:9000/bosun/${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-Signature=abc`;
const KEY = 'models/team-a/fraud/3/model.onnx';

describe('model links', () => {
  it('expire at X-Amz-Date plus X-Amz-Expires', () => {
    expect(linkExpiresAt(link(KEY, '20260101T000000Z'))?.toISOString()).toBe('2026-01-08T00:00:00.000Z');
    expect(linkExpiresAt(link(KEY, '20260101T120000Z', 3600))?.toISOString()).toBe(
      '2026-01-01T13:00:00.000Z',
    );
    expect(linkExpiresAt('http://minio:9000/bosun/x')).toBeUndefined();
    expect(linkExpiresAt('not a url')).toBeUndefined();
  });

  it('name the same object whatever their signature', () => {
    expect(sameObject(link(KEY, '20260101T000000Z'), link(KEY, '20260105T000000Z'))).toBe(true);
    expect(
      sameObject(link(KEY, '20260101T000000Z'), link('models/team-a/fraud/4/model.onnx', '20260101T000000Z')),
    ).toBe(false);
    expect(
      sameObject(link(KEY, '20260101T000000Z'), link(KEY, '20260101T000000Z').replace('minio', 's3')),
    ).toBe(false);
  });

  it('are kept while they have more than the renewal margin left, so a Deployment is not rolled for nothing', () => {
    const current = link(KEY, '20260101T000000Z');
    const fresh = link(KEY, '20260103T000000Z');
    // Expires on the 8th; the margin is 3 days.
    expect(chooseLink(current, fresh, new Date('2026-01-04T23:59:00Z'))).toBe(current);
    expect(chooseLink(current, fresh, new Date('2026-01-05T00:00:01Z'))).toBe(fresh);
    expect(chooseLink(undefined, fresh, new Date('2026-01-03T00:00:00Z'))).toBe(fresh);
    // Another object (a new version) always takes the new link.
    expect(
      chooseLink(
        link('models/team-a/fraud/2/model.onnx', '20260101T000000Z'),
        fresh,
        new Date('2026-01-02T00:00:00Z'),
      ),
    ).toBe(fresh);
  });

  it('are due for renewal the margin before they expire', () => {
    const current = link(KEY, '20260101T000000Z');
    expect(renewalDueInMs(current, new Date('2026-01-01T00:00:00Z'))).toBe(
      (604800 - MODEL_LINK_RENEW_BEFORE_SECONDS) * 1000,
    );
    expect(renewalDueInMs(current, new Date('2026-01-07T00:00:00Z'))).toBe(0);
    expect(renewalDueInMs('http://minio:9000/bosun/x', new Date())).toBeUndefined();
  });
});
