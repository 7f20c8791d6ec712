// Shared steps for the inference server's integration tests: a model published to a fresh bucket
// on the real MinIO, and a server started from the BOSUN_* environment the operator would set.
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
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

/**
 * A request whose body is held back after its first byte: it is in flight on the server (it has
 * passed the concurrency cap) until `finish` sends the rest.
 */
export function heldRequest(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): { finish(): Promise<Answer> } {
  const bytes = Buffer.from(body);
  const request = httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(response.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({
          status: response.statusCode ?? 0,
          headers,
          body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
        });
      });
    });
  });
  request.write(bytes.subarray(0, 1));
  return {
    finish() {
      request.end(bytes.subarray(1));
      return answer;
    },
  };
}

/**
 * POSTs JSON requests pipelined on one connection, written at once, so that the server reads them
 * all in one go: the way to make requests arrive while a run is in flight when the client shares
 * the server's process (it cannot send while a model run holds the event loop). The answers come
 * back in order.
 */
export async function pipelined(url: string, path: string, bodies: unknown[]): Promise<Answer[]> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const requests = bodies.map((b) => {
    const body = Buffer.from(JSON.stringify(b));
    const head = `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head), body]);
  });
  let received = Buffer.alloc(0);
  const answers: Answer[] = [];
  try {
    return await new Promise<Answer[]>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`the connection closed after ${answers.length} answers`)));
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        for (;;) {
          const end = received.indexOf('\r\n\r\n');
          if (end < 0) break;
          const lines = received.subarray(0, end).toString().split('\r\n');
          const headers = new Headers();
          for (const line of lines.slice(1)) {
            const at = line.indexOf(':');
            headers.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
          }
          const length = Number(headers.get('content-length'));
          if (received.length < end + 4 + length) break;
          const body = received.subarray(end + 4, end + 4 + length).toString();
          received = received.subarray(end + 4 + length);
          answers.push({
            status: Number(lines[0]?.split(' ')[1]),
            headers,
            body: JSON.parse(body) as Record<string, unknown>,
          });
        }
        if (answers.length === bodies.length) resolve(answers);
      });
      socket.write(Buffer.concat(requests));
    });
  } finally {
    socket.destroy();
  }
}

/** Resolves once the server counts `n` prediction requests in flight. */
export async function inFlight(url: string, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (new RegExp(`^bosun_inference_in_flight_requests ${n}$`, 'm').test(text)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the server never had ${n} prediction requests in flight`);
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
