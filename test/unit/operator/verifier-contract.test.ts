import { describe, expect, it } from 'vitest';
import { UserError } from '../../../lib/contract/errors.ts';
import { classifyRefusal } from '../../../operator/verifier/download.ts';
import {
  ONNX_FILE_LIMIT,
  verifierMemoryLimitBytes,
  verifierWorkDirBytes,
} from '../../../operator/verifier/job-contract.ts';
import { parseVerifierEnv } from '../../../operator/verifier/main.ts';

const SHA = 'a'.repeat(64);
const env = {
  BOSUN_ARTIFACT_URL: 'http://minio:9000/bosun/models/a/m/1/model.onnx?X-Amz-Signature=s',
  BOSUN_ARTIFACT_SHA256: SHA,
  BOSUN_WORK_DIR: '/work',
};

function s3Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>models/a/m/1/model.onnx</Key></Error>`;
}

/** A link signed at `signedAt` that lives `expires` seconds. */
function signedLink(signedAt: Date, expires: number): URL {
  const date = signedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return new URL(`http://minio:9000/b/k?X-Amz-Date=${date}&X-Amz-Expires=${expires}&X-Amz-Signature=s`);
}

describe('the verification Job environment', () => {
  it('parses links, digest, work dir and the optional size and metrics link', () => {
    expect(parseVerifierEnv(env)).toEqual({
      artifactUrl: new URL(env.BOSUN_ARTIFACT_URL),
      sha256: SHA,
      workDir: '/work',
    });
    const full = parseVerifierEnv({
      ...env,
      BOSUN_METRICS_URL: 'https://s3.example/bosun/models/a/m/1/metrics.json?sig=1',
      BOSUN_ARTIFACT_SIZE: '3221225472',
    });
    expect(full.metricsUrl?.pathname).toBe('/bosun/models/a/m/1/metrics.json');
    expect(full.expectedSize).toBe(3_221_225_472);
  });

  it.each([
    [{ BOSUN_ARTIFACT_URL: undefined }, 'BOSUN_ARTIFACT_URL must be an http(s) URL'],
    [
      { BOSUN_ARTIFACT_URL: 's3://bosun/models/a/m/1/model.onnx' },
      'BOSUN_ARTIFACT_URL must be an http(s) URL',
    ],
    [{ BOSUN_METRICS_URL: 'file:///etc/passwd' }, 'BOSUN_METRICS_URL must be an http(s) URL'],
    [{ BOSUN_ARTIFACT_SHA256: 'A'.repeat(64) }, 'BOSUN_ARTIFACT_SHA256 must be 64 lowercase hex digits'],
    [{ BOSUN_WORK_DIR: ' ' }, 'BOSUN_WORK_DIR must name a writable directory'],
    [{ BOSUN_ARTIFACT_SIZE: '-1' }, 'BOSUN_ARTIFACT_SIZE must be a byte count'],
    [{ BOSUN_ARTIFACT_SIZE: '1e9' }, 'BOSUN_ARTIFACT_SIZE must be a byte count'],
  ])('refuses %j with a ConfigInvalid message', (change, message) => {
    let error: unknown;
    try {
      parseVerifierEnv({ ...env, ...change });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).reason).toBe('ConfigInvalid');
    expect((error as UserError).message).toBe(message);
  });
});

describe('how a refused link is read', () => {
  const link = new URL(env.BOSUN_ARTIFACT_URL);

  it('tells a missing object from an expired link', () => {
    expect(classifyRefusal(404, s3Error('NoSuchKey', 'The specified key does not exist.'), link)).toEqual({
      kind: 'missing',
      code: 'NoSuchKey',
    });
    expect(classifyRefusal(404, '', link)).toEqual({ kind: 'missing', code: 'NotFound' });
    // S3 and MinIO answer an expired link this way.
    expect(classifyRefusal(403, s3Error('AccessDenied', 'Request has expired'), link)).toEqual({
      kind: 'expired',
    });
    // A store that answers 403 for a key the signer may not list.
    expect(classifyRefusal(403, s3Error('AccessDenied', 'Access Denied.'), link)).toEqual({
      kind: 'missing',
      code: 'AccessDenied',
    });
  });

  it("falls back on the link's own signed lifetime when the store words expiry differently", () => {
    const signedAt = new Date('2026-01-01T00:00:00Z');
    const url = signedLink(signedAt, 3600);
    const body = s3Error('AccessDenied', 'Access Denied.');
    expect(classifyRefusal(403, body, url, signedAt.getTime() + 3601_000)).toEqual({ kind: 'expired' });
    expect(classifyRefusal(403, body, url, signedAt.getTime() + 3599_000)).toEqual({
      kind: 'missing',
      code: 'AccessDenied',
    });
  });

  it('reports anything else as no verdict on the object', () => {
    expect(classifyRefusal(403, s3Error('SignatureDoesNotMatch', 'x'), link)).toEqual({
      kind: 'other',
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect(classifyRefusal(503, 'Service Unavailable', link)).toEqual({
      kind: 'other',
      status: 503,
      code: '',
    });
  });
});

describe('the Job resources for a model of a given size', () => {
  const MIB = 1024 * 1024;

  it('leaves room for onnxruntime holding twice the model while it loads', () => {
    expect(verifierMemoryLimitBytes(1024)).toBe(512 * MIB);
    expect(verifierMemoryLimitBytes(1024 * MIB)).toBe(2304 * MIB);
    expect(verifierMemoryLimitBytes(ONNX_FILE_LIMIT)).toBeGreaterThan(2 * ONNX_FILE_LIMIT);
  });

  it('needs no memory for a model too large to load, only disk to hash it on', () => {
    const threeGb = 3 * 1024 ** 3;
    expect(verifierMemoryLimitBytes(threeGb)).toBe(512 * MIB);
    expect(verifierWorkDirBytes(threeGb)).toBe(threeGb + 64 * MIB);
  });
});
