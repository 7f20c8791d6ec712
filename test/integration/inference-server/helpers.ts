// Shared steps for the inference server's integration tests: a model published to a fresh bucket
// on the real MinIO, and a server started from the BOSUN_* environment the operator would set.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseServerConfig } from '../../../images/inference-server/config.ts';
import { type RunningServer, startServer } from '../../../images/inference-server/server.ts';
import { sha256, type TestModel } from '../../unit/inference-server/test-models.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';

/** Publishes model.onnx (and signature.json) where a TrainingRun's ModelVersion would be. */
export async function publishModel(
  t: BucketFixture,
  name: string,
  model: TestModel,
): Promise<{ env: Record<string, string>; sha256: string }> {
  const prefix = `models/default/${name}/1/`;
  await t.store.putObject(`${prefix}model.onnx`, Buffer.from(model.bytes));
  if (model.signature)
    await t.store.putObject(`${prefix}signature.json`, Buffer.from(JSON.stringify(model.signature)));
  const digest = sha256(model.bytes);
  return {
    sha256: digest,
    env: {
      ...t.env,
      BOSUN_NAMESPACE: 'default',
      BOSUN_MODEL_NAME: name,
      BOSUN_MODEL_VERSION: '1',
      BOSUN_MODEL_URI: `s3://${t.bucket}/${prefix}model.onnx`,
      BOSUN_MODEL_SHA256: digest,
    },
  };
}

export interface Served {
  server: RunningServer;
  url: string;
  t: BucketFixture;
  close(): Promise<void>;
}

const quiet = pino({ level: process.env.BOSUN_TEST_LOG_LEVEL ?? 'silent' });

/** Publishes `model` and serves it with `env` overrides; resolves when the server is ready. */
export async function serve(
  name: string,
  model: TestModel,
  env: Record<string, string> = {},
): Promise<Served> {
  const t = await freshBucket('serve');
  const published = await publishModel(t, name, model);
  const config = parseServerConfig({
    BOSUN_HOST: '127.0.0.1',
    BOSUN_PORT: '0',
    BOSUN_WORK_DIR: mkdtempSync(join(tmpdir(), 'bosun-serve-')),
    ...published.env,
    ...env,
  });
  const server = await startServer(config, quiet);
  await server.loaded;
  return { server, url: server.url, t, close: () => server.shutdown() };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request whose answer must be JSON (every answer of the server except binary and metrics). */
export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(
      `${init.method ?? 'GET'} ${url}: ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, headers: response.headers, body };
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
