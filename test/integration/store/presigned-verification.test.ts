// The verifier on the real MinIO with nothing but presigned links, as its Job runs it: every
// verdict, and what an expired link looks like.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, GraphBuilder } from '../../../lib/onnx/builder.ts';
import { MAX_PRESIGN_SECONDS } from '../../../lib/store/client.ts';
import { parseTerminationMessage } from '../../../operator/controllers/model-version/verification-result.ts';
import { ARTIFACT_LINK_EXPIRY_SECONDS, EXIT } from '../../../operator/verifier/job-contract.ts';
import { runVerifier } from '../../../operator/verifier/main.ts';
import { type BucketFixture, freshBucket, minioClient } from '../clients.ts';

const MODEL_KEY = 'models/a/iris/1/model.onnx';

function model(): Buffer {
  const g = new GraphBuilder('affine');
  const x = g.input('features', 'float', ['N', 3]);
  const w = g.constant('w', floatTensor([1, 2, 3], [3, 1]));
  g.op('MatMul', [x, w], { outputs: ['score'] });
  g.output('score', 'float', ['N', 1]);
  return Buffer.from(g.toBytes());
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('verification through presigned links', () => {
  let fixture: BucketFixture;
  let dir: string;
  let bytes: Buffer;

  beforeAll(async () => {
    fixture = await freshBucket('verify');
    dir = mkdtempSync(join(tmpdir(), 'bosun-verifier-'));
    bytes = model();
    await fixture.store.putObject(MODEL_KEY, bytes);
    await fixture.store.putObject(
      'models/a/iris/1/metrics.json',
      Buffer.from('{"accuracy":0.96,"note":"x"}'),
    );
    await fixture.store.putObject('models/a/plain/1/model.onnx', bytes);
    await fixture.store.putObject('models/a/text/1/model.onnx', Buffer.from('not a model'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const link = (key: string) => fixture.store.presignedGet(key, ARTIFACT_LINK_EXPIRY_SECONDS);

  /** Runs the verifier with this environment; its exit code and termination message. */
  async function verify(env: Record<string, string>): Promise<{ code: number; message: string }> {
    const workDir = mkdtempSync(join(dir, 'work-'));
    const terminationLog = join(workDir, '..', `${workDir.split('/').at(-1)}.log`);
    const code = await runVerifier(
      { BOSUN_LOG_LEVEL: 'silent', BOSUN_WORK_DIR: workDir, ...env },
      terminationLog,
    );
    // Nothing is left behind in the work dir: no partial download, no model.
    expect(readdirSync(workDir)).toEqual([]);
    return { code, message: readFileSync(terminationLog, 'utf8') };
  }

  it('verifies a model and reports its signature, size and metrics', async () => {
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link(MODEL_KEY),
      BOSUN_METRICS_URL: await link('models/a/iris/1/metrics.json'),
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
      BOSUN_ARTIFACT_SIZE: String(bytes.length),
    });
    expect(code).toBe(EXIT.VERIFIED);
    expect(parseTerminationMessage(message, '')).toMatchObject({
      ok: true,
      size: bytes.length,
      signature: {
        inputs: [{ name: 'features', type: 'float32', shape: ['N', 3] }],
        outputs: [{ name: 'score', type: 'float32', shape: ['N', 1] }],
      },
      metrics: { accuracy: 0.96 },
    });
  });

  it('reports no metrics when metrics.json does not exist', async () => {
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link('models/a/plain/1/model.onnx'),
      BOSUN_METRICS_URL: await link('models/a/plain/1/metrics.json'),
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
    });
    expect(code).toBe(EXIT.VERIFIED);
    expect(parseTerminationMessage(message, '')).not.toHaveProperty('metrics');
  });

  it('leaves out a metrics.json that is not a small JSON object', async () => {
    await fixture.store.putObject('models/a/odd/1/model.onnx', bytes);
    for (const metrics of [
      Buffer.from('{"accuracy": 0.9'),
      Buffer.from(`{"a":1,"pad":"${'x'.repeat(1024 * 1024)}"}`),
    ]) {
      await fixture.store.putObject('models/a/odd/1/metrics.json', metrics);
      const { code, message } = await verify({
        BOSUN_ARTIFACT_URL: await link('models/a/odd/1/model.onnx'),
        BOSUN_METRICS_URL: await link('models/a/odd/1/metrics.json'),
        BOSUN_ARTIFACT_SHA256: sha256(bytes),
      });
      expect(code).toBe(EXIT.VERIFIED);
      expect(parseTerminationMessage(message, '')).not.toHaveProperty('metrics');
    }
  });

  it('reports a missing artifact as ArtifactNotFound, a verdict', async () => {
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link('models/a/iris/2/model.onnx'),
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
    });
    expect(code).toBe(EXIT.BAD_ARTIFACT);
    expect(message).toBe('ArtifactNotFound: nothing is stored at spec.artifact.uri');
  });

  it('reports an expired link as ArtifactLinkExpired, to be retried with new links', async () => {
    // Signed an hour before now for a minute: expired, as a link of a Job created too late is.
    const expired = await minioClient().presignedGetObject(
      fixture.bucket,
      MODEL_KEY,
      60,
      {},
      new Date(Date.now() - 3600_000),
    );
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: expired,
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
    });
    expect(code).toBe(EXIT.RETRY);
    expect(message).toBe('ArtifactLinkExpired: the download link expired; the operator will retry');
  });

  it('reports other bytes as DigestMismatch without telling their digest', async () => {
    const declared = 'f'.repeat(64);
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link(MODEL_KEY),
      BOSUN_ARTIFACT_SHA256: declared,
    });
    expect(code).toBe(EXIT.BAD_ARTIFACT);
    expect(message).toBe('DigestMismatch: the bytes do not match spec.artifact.sha256');
    expect(message).not.toContain(sha256(bytes));
  });

  it('reports bytes onnxruntime cannot load as InvalidModel', async () => {
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link('models/a/text/1/model.onnx'),
      BOSUN_ARTIFACT_SHA256: sha256(Buffer.from('not a model')),
    });
    expect(code).toBe(EXIT.BAD_ARTIFACT);
    expect(message).toMatch(/^InvalidModel: onnxruntime cannot load the model: /);
  });

  it('retries without downloading when the object is no longer the size the operator saw', async () => {
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: await link(MODEL_KEY),
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
      BOSUN_ARTIFACT_SIZE: String(bytes.length + 1),
    });
    expect(code).toBe(EXIT.RETRY);
    expect(message).toBe(
      `VerificationError: the model changed while it was being verified (${bytes.length} bytes, the operator saw ${bytes.length + 1}); the operator will retry`,
    );
  });

  it('reports a store it cannot reach as worth retrying, without the link in the message', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const url = new URL(await link(MODEL_KEY));
    url.host = `127.0.0.1:${port}`;
    const { code, message } = await verify({
      BOSUN_ARTIFACT_URL: url.href,
      BOSUN_ARTIFACT_SHA256: sha256(bytes),
    });
    expect(code).toBe(EXIT.RETRY);
    expect(message).toBe('VerificationError: the model could not be read from the store: ECONNREFUSED');
  });
});

describe('the store client for read-only workloads', () => {
  let fixture: BucketFixture;

  beforeAll(async () => {
    fixture = await freshBucket('presign');
    await fixture.store.putObject('imports/a/model.onnx', Buffer.from('twelve bytes'));
  });

  it('stats an object, and answers undefined for a key that does not exist', async () => {
    const stat = await fixture.store.stat('imports/a/model.onnx');
    expect(stat?.size).toBe(12);
    expect(stat?.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(await fixture.store.stat('imports/a/other.onnx')).toBeUndefined();
  });

  it('presigns a GET of one object that works without credentials', async () => {
    const url = await fixture.store.presignedGet('imports/a/model.onnx', 60);
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('twelve bytes');
    // The link is for GET of that key only.
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(403);
    expect((await fetch(url.replace('model.onnx', 'other.onnx'))).status).toBe(403);
  });

  it('hands out the bytes as stored, even of an object stored with a Content-Encoding', async () => {
    const stored = gzipSync(Buffer.from('model bytes '.repeat(10)));
    await minioClient().putObject(fixture.bucket, 'imports/a/encoded.onnx', stored, stored.length, {
      'Content-Encoding': 'gzip',
    });
    const response = await fetch(await fixture.store.presignedGet('imports/a/encoded.onnx', 60));
    expect(Buffer.from(await response.arrayBuffer()).equals(stored)).toBe(true);
  });

  it('refuses lifetimes S3 does not sign and keys that are not validated', async () => {
    await expect(fixture.store.presignedGet('imports/a/model.onnx', 0)).rejects.toThrow(
      `a presigned URL lives 1 to ${MAX_PRESIGN_SECONDS} seconds, got 0`,
    );
    await expect(fixture.store.presignedGet('imports/a/model.onnx', MAX_PRESIGN_SECONDS + 1)).rejects.toThrow(
      /a presigned URL lives/,
    );
    await expect(fixture.store.presignedGet('imports/a/../b/model.onnx', 60)).rejects.toThrow(/invalid key/);
  });
});
