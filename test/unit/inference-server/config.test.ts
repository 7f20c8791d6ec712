import { describe, expect, it } from 'vitest';
import { parseServerConfig } from '../../../images/inference-server/config.ts';

const base = {
  BOSUN_NAMESPACE: 'ml',
  BOSUN_MODEL_NAME: 'pets',
  BOSUN_MODEL_URI: 's3://bosun/models/ml/pets/3/model.onnx',
  BOSUN_MODEL_SHA256: 'a'.repeat(64),
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_BUCKET: 'bosun',
  BOSUN_STORE_ACCESS_KEY: 'k',
  BOSUN_STORE_SECRET_KEY: 's',
};

describe('server configuration', () => {
  it('has the documented defaults and finds signature.json next to the model', () => {
    const config = parseServerConfig(base);
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      modelVersion: '1',
      intraOpThreads: 1,
      maxBatchSize: 1,
      batchWindowMs: 5,
      maxRequestBytes: 10 * 1024 * 1024,
      maxConcurrency: 64,
      timeoutMs: 30_000,
      shutdownDelayMs: 5000,
      model: {
        kind: 's3',
        signature: { bucket: 'bosun', key: 'models/ml/pets/3/signature.json' },
        signatureRequired: false,
      },
    });
    expect(config.predictionLog).toBeUndefined();
  });

  it('reads a presigned link with no store settings, its signature only from its own link', () => {
    const link = 'http://minio:9000/bosun/models/ml/pets/3/model.onnx?X-Amz-Signature=abc';
    const {
      BOSUN_STORE_ENDPOINT: _e,
      BOSUN_STORE_ACCESS_KEY: _a,
      BOSUN_STORE_SECRET_KEY: _s,
      ...noStore
    } = base;
    const bare = parseServerConfig({ ...noStore, BOSUN_MODEL_URI: link });
    expect(bare.model).toEqual({ kind: 'link', model: new URL(link) });
    expect(bare.store).toBeUndefined();
    const signature = 'https://s3.example.com/b/models/ml/pets/3/signature.json?X-Amz-Signature=def';
    const signed = parseServerConfig({ ...noStore, BOSUN_MODEL_URI: link, BOSUN_SIGNATURE_URI: signature });
    expect(signed.model).toEqual({ kind: 'link', model: new URL(link), signature: new URL(signature) });
  });

  it('turns the prediction log on with a URL, defaulting the table to predictions', () => {
    const config = parseServerConfig({ ...base, BOSUN_PREDICTION_LOG_URL: 'postgres://u:p@db/x' });
    expect(config.predictionLog).toEqual({
      url: 'postgres://u:p@db/x',
      table: 'predictions',
      storeInputs: true,
      maxQueue: 10_000,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 10_000,
    });
  });

  it('takes the prediction log database timeouts in seconds', () => {
    const config = parseServerConfig({
      ...base,
      BOSUN_PREDICTION_LOG_URL: 'postgres://u:p@db/x',
      BOSUN_PREDICTION_LOG_CONNECT_TIMEOUT_SECONDS: '2',
      BOSUN_PREDICTION_LOG_STATEMENT_TIMEOUT_SECONDS: '30',
    });
    expect(config.predictionLog).toMatchObject({ connectTimeoutMs: 2000, statementTimeoutMs: 30_000 });
  });

  it.each([
    [{ BOSUN_MODEL_URI: '' }, /BOSUN_MODEL_URI is not set/],
    [{ BOSUN_MODEL_URI: 'minio:9000/bosun/model.onnx' }, /expected s3:\/\/<bucket>\/<key>/],
    [
      { BOSUN_MODEL_URI: 's3://bosun/models/other-team/pets/3/model.onnx' },
      /BOSUN_MODEL_URI must lie under the namespace's own prefixes \(models\/ml\//,
    ],
    [
      { BOSUN_SIGNATURE_URI: 's3://bosun/models/other-team/pets/3/signature.json' },
      /BOSUN_SIGNATURE_URI must lie under the namespace's own prefixes/,
    ],
    [{ BOSUN_MODEL_URI: 'http://user:pass@minio:9000/m.onnx' }, /must not carry credentials/],
    [
      { BOSUN_MODEL_URI: 'http://minio:9000/m.onnx', BOSUN_SIGNATURE_URI: 's3://bosun/models/ml/s.json' },
      /BOSUN_SIGNATURE_URI must be a link too/,
    ],
    [{ BOSUN_MODEL_SHA256: 'abc' }, /BOSUN_MODEL_SHA256 must be 64 lowercase hex digits/],
    [{ BOSUN_MODEL_NAME: 'Pets!' }, /BOSUN_MODEL_NAME must be a model name/],
    [{ BOSUN_MODEL_VERSION: '0' }, /BOSUN_MODEL_VERSION must be a version number/],
    [{ BOSUN_MAX_BATCH_SIZE: '2000' }, /BOSUN_MAX_BATCH_SIZE must be an integer from 1 to 1024/],
    [{ BOSUN_TIMEOUT_SECONDS: 'soon' }, /BOSUN_TIMEOUT_SECONDS must be an integer/],
    [{ BOSUN_PREDICTION_LOG_URL: 'mysql://x' }, /must be a postgres:\/\/ connection URI/],
    [
      { BOSUN_PREDICTION_LOG_URL: 'postgres://x', BOSUN_PREDICTION_LOG_TABLE: 'x; drop' },
      /must be a lowercase SQL name/,
    ],
    [
      { BOSUN_PREDICTION_LOG_URL: 'postgres://x', BOSUN_PREDICTION_LOG_STORE_INPUTS: 'maybe' },
      /must be true or false/,
    ],
    [{ BOSUN_STORE_ENDPOINT: '' }, /BOSUN_STORE_ENDPOINT is not set/],
    [
      { BOSUN_PREDICTION_LOG_URL: 'postgres://x', BOSUN_PREDICTION_LOG_CONNECT_TIMEOUT_SECONDS: '0' },
      /BOSUN_PREDICTION_LOG_CONNECT_TIMEOUT_SECONDS must be an integer from 1 to 300/,
    ],
    [
      { BOSUN_PREDICTION_LOG_URL: 'postgres://x', BOSUN_PREDICTION_LOG_STATEMENT_TIMEOUT_SECONDS: 'long' },
      /BOSUN_PREDICTION_LOG_STATEMENT_TIMEOUT_SECONDS must be an integer from 1 to 3600/,
    ],
  ])('refuses %j', (overrides, message) => {
    expect(() => parseServerConfig({ ...base, ...overrides })).toThrow(message);
  });
});
