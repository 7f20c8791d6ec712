// Bearer-token authentication with tokens from a mounted Secret (one file per key, as the kubelet
// writes it, with its ..data links): prediction and model routes need a token; probes do not.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tabularClassifier } from '../../unit/inference-server/test-models.ts';
import { call, postJson, type Served, serve } from './helpers.ts';

let s: Served;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-tokens-'));
  // The layout of a Secret volume: keys are links into a timestamped folder.
  const data = join(dir, '..2026_01_01_00_00_00.000000000');
  mkdirSync(data);
  writeFileSync(join(data, 'billing'), 'tok-billing-123\n');
  writeFileSync(join(data, 'web'), 'tok-web-456');
  symlinkSync('..2026_01_01_00_00_00.000000000', join(dir, '..data'));
  symlinkSync('..data/billing', join(dir, 'billing'));
  symlinkSync('..data/web', join(dir, 'web'));
  s = await serve('iris', tabularClassifier(4), { BOSUN_AUTH_TOKENS_DIR: dir });
});
afterAll(() => s?.close());

const infer = (headers: Record<string, string>) =>
  postJson(
    `${s.url}/v2/models/iris/infer`,
    { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
    headers,
  );

describe('bearer tokens', () => {
  it('accepts every token of the Secret', async () => {
    expect((await infer({ authorization: 'Bearer tok-billing-123' })).status).toBe(200);
    expect((await infer({ authorization: 'bearer tok-web-456' })).status).toBe(200);
  });

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer tok-web-457' }],
    ['a prefix of a token', { authorization: 'Bearer tok-web' }],
    ['another scheme', { authorization: 'Basic dG9rLXdlYi00NTY=' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401 and WWW-Authenticate', async (_, headers: Record<string, string>) => {
    const answer = await infer(headers);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="bosun"');
    expect(answer.body.error).toMatch(/a valid bearer token is required/);
  });

  it('protects model metadata and the image route, and leaves probes, metrics and docs open', async () => {
    expect((await call(`${s.url}/v2/models/iris`)).status).toBe(401);
    expect((await call(`${s.url}/v2/models/iris/classify`, { method: 'POST', body: 'x' })).status).toBe(401);
    expect(
      (await call(`${s.url}/v2/models/iris`, { headers: { authorization: 'Bearer tok-web-456' } })).status,
    ).toBe(200);
    expect((await call(`${s.url}/v2/health/ready`)).status).toBe(200);
    expect((await call(`${s.url}/v2/health/live`)).status).toBe(200);
    expect((await call(`${s.url}/v2`)).status).toBe(200);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
  });

  it('refuses to start with a tokens folder that holds no token', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'bosun-tokens-'));
    await expect(serve('iris', tabularClassifier(4), { BOSUN_AUTH_TOKENS_DIR: empty })).rejects.toThrow(
      /holds no tokens/,
    );
  });
});
