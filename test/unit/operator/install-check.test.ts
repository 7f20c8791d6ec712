// The chart's `helm test` program: its settings, its messages, and the operator check against a
// server on loopback. (The store check runs against the real MinIO in test/integration/install/.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOperator,
  describeStoreError,
  parseInstallCheckSettings,
  runInstallCheck,
} from '../../../operator/install-check.ts';

const storeEnv = {
  BOSUN_STORE_ENDPOINT: 'http://minio.bosun-system:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'AKIA-test',
  BOSUN_STORE_SECRET_KEY: 'very-secret',
};

describe('parseInstallCheckSettings', () => {
  it('reads the /readyz URL, the store and the Secret to name', () => {
    const settings = parseInstallCheckSettings({
      ...storeEnv,
      BOSUN_OPERATOR_READYZ_URL: 'http://10.96.0.12:8081/readyz',
      BOSUN_STORE_CREDENTIALS_SECRET: 'bosun-store',
    });
    expect(settings).toEqual({
      readyzUrl: 'http://10.96.0.12:8081/readyz',
      store: {
        endpoint: 'http://minio.bosun-system:9000',
        bucket: 'bosun',
        accessKey: 'AKIA-test',
        secretKey: 'very-secret',
      },
      credentialsSecret: 'Secret bosun-store',
    });
  });

  it.each([
    [{}, 'BOSUN_OPERATOR_READYZ_URL must be the operator\'s /readyz URL, got ""'],
    [{ BOSUN_OPERATOR_READYZ_URL: 'readyz' }, 'BOSUN_OPERATOR_READYZ_URL must be'],
    [
      {
        BOSUN_OPERATOR_READYZ_URL:
          'http://$(BOSUN_OPERATOR_SERVICE_HOST):$(BOSUN_OPERATOR_SERVICE_PORT_PROBES)/readyz',
      },
      "the operator's Service was missing when this Pod started",
    ],
  ])('refuses %j', (env, message) => {
    expect(() => parseInstallCheckSettings({ ...storeEnv, ...env })).toThrow(message);
  });

  it('names a missing store setting', () => {
    expect(() =>
      parseInstallCheckSettings({ BOSUN_OPERATOR_READYZ_URL: 'http://10.96.0.12:8081/readyz' }),
    ).toThrow('BOSUN_STORE_ENDPOINT is not set');
  });
});

describe('describeStoreError', () => {
  it("gives the store's code and message once", () => {
    const error = Object.assign(new Error('The specified bucket does not exist'), { code: 'NoSuchBucket' });
    expect(describeStoreError(error)).toBe('NoSuchBucket: The specified bucket does not exist');
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9000'), { code: 'ECONNREFUSED' });
    expect(describeStoreError(refused)).toBe('connect ECONNREFUSED 10.0.0.1:9000');
  });
});

describe('checkOperator', () => {
  let server: Server;
  let base: string;
  let status = 200;
  beforeAll(async () => {
    server = createServer((_req, res) =>
      res.writeHead(status).end(status === 200 ? 'ok' : 'caches not synced'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes on 200', async () => {
    status = 200;
    expect(await checkOperator(`${base}/readyz`)).toEqual({
      name: 'operator',
      ok: true,
      message: `${base}/readyz answered 200`,
    });
  });

  it('fails on another status, saying what it means', async () => {
    status = 503;
    const result = await checkOperator(`${base}/readyz`);
    expect(result.ok).toBe(false);
    expect(result.message).toBe(
      `${base}/readyz answered 503: the operator's caches have not synced (see its log)`,
    );
  });

  it('fails when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/readyz`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await checkOperator(url);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      new RegExp(`^${url.replaceAll('.', '\\.')} did not answer: .*ECONNREFUSED`),
    );
  });
});

describe('runInstallCheck', () => {
  it('prints why it cannot run and fails, without the credentials', async () => {
    const lines: string[] = [];
    const code = await runInstallCheck({ ...storeEnv, BOSUN_OPERATOR_READYZ_URL: '' }, (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines).toEqual([
      'FAIL settings: BOSUN_OPERATOR_READYZ_URL must be the operator\'s /readyz URL, got ""',
    ]);
    expect(lines.join('\n')).not.toContain('very-secret');
  });
});
