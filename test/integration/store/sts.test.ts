// Scoped credentials minted by STS on the real MinIO: what namespace a's writer can and cannot do.
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { Client } from 'minio';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseStoreConfig } from '../../../lib/contract/env.ts';
import { UserError } from '../../../lib/contract/errors.ts';
import { ArtifactStore } from '../../../lib/store/client.ts';
import { MIN_SESSION_SECONDS, mintScopedCredentials, type StsConfig } from '../../../lib/store/sts.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';

const RUN_PREFIX = 'runs/a/train-1/';
const SHA = 'ab'.repeat(32);

/** The code of the store's refusal (minio's S3Error), or what else was thrown. */
async function refusal(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'allowed';
}

describe('scoped credentials from STS', () => {
  let fixture: BucketFixture;
  let operator: StsConfig;
  let scoped: ArtifactStore;
  let raw: Client;
  let expiration: Date;
  let mintedAt: number;

  beforeAll(async () => {
    fixture = await freshBucket('sts');
    const { endpoint, accessKey, secretKey } = inject('environment').minio;
    operator = { endpoint, accessKey, secretKey, region: 'us-east-1' };
    // What other namespaces (and a's own read-only inputs) already hold.
    for (const key of [
      'models/b/m/1/model.onnx',
      `objects/b/sha256/ab/${SHA}`,
      'datasets/b/pets/snapshots/1/full.jsonl.gz',
      'datasets/a/pets/snapshots/1/full.jsonl.gz',
      `objects/a/sha256/ab/${SHA}`,
    ])
      await fixture.store.putObject(key, Buffer.from(key));
    mintedAt = Date.now();
    const credentials = await mintScopedCredentials(operator, {
      scope: { bucket: fixture.bucket, write: [RUN_PREFIX], read: ['datasets/a/pets/', 'objects/a/'] },
      durationSeconds: MIN_SESSION_SECONDS,
      sessionName: 'train-1',
    });
    expiration = credentials.expiration;
    // As the Job sees them: the workload contract's environment, from its Secret.
    scoped = new ArtifactStore(
      parseStoreConfig({
        ...fixture.env,
        BOSUN_STORE_ACCESS_KEY: credentials.accessKeyId,
        BOSUN_STORE_SECRET_KEY: credentials.secretAccessKey,
        BOSUN_STORE_SESSION_TOKEN: credentials.sessionToken,
      }),
    );
    const { host, port } = inject('environment').minio;
    raw = new Client({
      endPoint: host,
      port,
      useSSL: false,
      accessKey: credentials.accessKeyId,
      secretKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
      region: 'us-east-1',
    });
  });

  it("write and read back under the run's prefix, and list it", async () => {
    await scoped.putObject(`${RUN_PREFIX}metrics.json`, Buffer.from('{"accuracy":0.9}'), 'application/json');
    expect(await scoped.createObject(`${RUN_PREFIX}model.onnx`, Buffer.from('model'))).toBe(true);
    expect((await scoped.getObject(`${RUN_PREFIX}metrics.json`)).toString()).toBe('{"accuracy":0.9}');
    expect(await scoped.stat(`${RUN_PREFIX}model.onnx`)).toMatchObject({ size: 5 });
    expect(await scoped.stat(`${RUN_PREFIX}missing.json`)).toBeUndefined();
    expect((await scoped.list(RUN_PREFIX)).sort()).toEqual([
      `${RUN_PREFIX}metrics.json`,
      `${RUN_PREFIX}model.onnx`,
    ]);
  });

  it("read the namespace's inputs they were scoped to", async () => {
    expect((await scoped.getObject('datasets/a/pets/snapshots/1/full.jsonl.gz')).toString()).toBe(
      'datasets/a/pets/snapshots/1/full.jsonl.gz',
    );
    expect(await scoped.exists(`objects/a/sha256/ab/${SHA}`)).toBe(true);
    expect(await scoped.list('datasets/a/pets/')).toEqual(['datasets/a/pets/snapshots/1/full.jsonl.gz']);
  });

  it("cannot read, stat or list another namespace's models, blobs or manifests", async () => {
    for (const key of [
      'models/b/m/1/model.onnx',
      `objects/b/sha256/ab/${SHA}`,
      'datasets/b/pets/snapshots/1/full.jsonl.gz',
    ]) {
      expect(await refusal(scoped.getObject(key))).toBe('AccessDenied');
      expect(await refusal(scoped.stat(key))).toBe('AccessDenied');
    }
    expect(await refusal(scoped.list('models/b/'))).toBe('AccessDenied');
    expect(await refusal(scoped.list('objects/'))).toBe('AccessDenied');
    expect(await refusal(scoped.list(''))).toBe('AccessDenied');
  });

  it('cannot write outside the run, not even elsewhere in the namespace, nor delete', async () => {
    for (const key of [
      'runs/a/train-2/model.onnx',
      'models/a/m/1/model.onnx',
      'datasets/a/pets/snapshots/2/full.jsonl.gz',
      'models/b/m/1/model.onnx',
    ])
      expect(await refusal(scoped.putObject(key, Buffer.from('x')))).toBe('AccessDenied');
    expect(await refusal(raw.removeObject(fixture.bucket, `${RUN_PREFIX}metrics.json`))).toBe('AccessDenied');
    expect(await fixture.store.exists(`${RUN_PREFIX}metrics.json`)).toBe(true);
    expect((await fixture.store.getObject('models/b/m/1/model.onnx')).toString()).toBe(
      'models/b/m/1/model.onnx',
    );
  });

  it('expire after the shortest session STS allows', () => {
    const seconds = (expiration.getTime() - mintedAt) / 1000;
    expect(seconds).toBeGreaterThan(MIN_SESSION_SECONDS - 5);
    expect(seconds).toBeLessThanOrEqual(MIN_SESSION_SECONDS + 1);
  });

  it("are refused with the store's reason when the operator's own credentials are wrong", async () => {
    let error: unknown;
    try {
      await mintScopedCredentials(
        { ...operator, secretKey: 'not-the-secret' },
        {
          scope: { bucket: fixture.bucket, write: [RUN_PREFIX], read: [] },
          durationSeconds: 900,
          sessionName: 'x1',
        },
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).reason).toBe('StoreCredentialsRefused');
    expect((error as UserError).message).toMatch(
      /^the store refused to mint scoped credentials \(AccessDenied: The request signature we calculated does not match .*\); a store without STS needs --workload-credentials=shared$/,
    );
    expect((error as UserError).message).not.toContain('not-the-secret');
  });

  it('report an STS that cannot be reached, or does not answer in time, as worth retrying', async () => {
    const mint = (endpoint: string) =>
      mintScopedCredentials(
        { ...operator, endpoint },
        {
          scope: { bucket: fixture.bucket, write: [RUN_PREFIX], read: [] },
          durationSeconds: 900,
          sessionName: 'x2',
          timeoutMs: 1000,
        },
      ).catch((e: unknown) => e);
    const refused = await mint('http://127.0.0.1:9');
    expect(refused).not.toBeInstanceOf(UserError);
    expect((refused as Error).message).toMatch(
      /^STS at http:\/\/127\.0\.0\.1:9 did not answer: .*ECONNREFUSED/,
    );

    // A listener that accepts the connection and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    try {
      const error = await mint(`http://127.0.0.1:${port}`);
      expect((error as Error).message).toBe(`STS at http://127.0.0.1:${port} did not answer: timed out`);
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
