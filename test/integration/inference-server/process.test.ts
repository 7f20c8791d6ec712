// The server as its container runs it (`node <the entry point's flags> images/inference-server/main.ts`
// with the BOSUN_* environment): clear failures at start, readiness only when warm, and a graceful
// drain on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { imageStage, nodeFlags } from '../../cluster/dockerfile.ts';
import { tabularClassifier } from '../../unit/inference-server/test-models.ts';
import { freshBucket } from '../clients.ts';
import { heldRequest, inFlight, publishModel } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../../images/inference-server/main.ts', import.meta.url));
const FLAGS = nodeFlags(imageStage('inference-server'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function start(env: Record<string, string>) {
  const work = mkdtempSync(join(tmpdir(), 'bosun-serve-'));
  const termination = join(work, 'termination-log');
  const child = spawn(process.execPath, [...FLAGS, MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      BOSUN_HOST: '127.0.0.1',
      BOSUN_WORK_DIR: work,
      BOSUN_TERMINATION_LOG: termination,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** The listening URL, from the log line the server writes. */
  const url = async () => {
    for (let i = 0; i < 200; i++) {
      const m = /"url":"(http:\/\/[^"]+)","msg":"listening"/.exec(stdout);
      if (m?.[1]) return m[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the server did not start:\n${stdout}\n${stderr}`);
  };
  return {
    child,
    exited,
    url,
    output: () => ({ stdout, stderr }),
    termination: () => readFileSync(termination, 'utf8'),
  };
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/v2/health/ready`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server never became ready');
}

describe('the server process', () => {
  it('exits 1 with a clear message when a setting is missing', async () => {
    const p = start({ BOSUN_MODEL_NAME: 'iris' });
    expect(await p.exited).toBe(1);
    expect(p.output().stderr).toMatch(
      /^error: BOSUN_MODEL_URI is not set: a link to, or the s3:\/\/ URI of, the model.onnx to serve/m,
    );
    expect(p.termination()).toMatch(/^ConfigInvalid: BOSUN_MODEL_URI is not set/);
  });

  it('exits 1 without ever being ready when the artifact digest does not match', async () => {
    const t = await freshBucket('serve');
    const published = await publishModel(t, 'iris', tabularClassifier(4));
    const wrong = 'f'.repeat(64);
    const p = start({ ...published.env, BOSUN_PORT: '0', BOSUN_MODEL_SHA256: wrong });
    expect(await p.exited).toBe(1);
    expect(p.output().stderr).toContain(`has sha256 ${published.sha256}, expected ${wrong}`);
    expect(p.termination()).toMatch(/^ArtifactInvalid: /);
  });

  it('serves a model through presigned links, with no store credentials, and its signature', async () => {
    const t = await freshBucket('serve');
    const published = await publishModel(t, 'iris', tabularClassifier(4));
    const prefix = 'models/default/iris/1/';
    const p = start({
      BOSUN_PORT: '0',
      BOSUN_NAMESPACE: 'default',
      BOSUN_MODEL_NAME: 'iris',
      BOSUN_MODEL_SHA256: published.sha256,
      BOSUN_MODEL_URI: await t.store.presignedGet(`${prefix}model.onnx`, 600),
      BOSUN_SIGNATURE_URI: await t.store.presignedGet(`${prefix}signature.json`, 600),
    });
    const url = await p.url();
    await waitReady(url);
    const metadata = (await (await fetch(`${url}/v2/models/iris`)).json()) as { inputs: { name: string }[] };
    expect(metadata.inputs.map((i) => i.name)).toEqual(['x']);
    const answer = await fetch(`${url}/v2/models/iris/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
    });
    expect(answer.status).toBe(200);
    // Nothing the server logged carries the link's signature.
    expect(p.output().stdout).not.toMatch(/X-Amz-Signature/);
  });

  it.each([
    [
      'a link to nothing',
      'models/default/iris/1/missing.onnx',
      /^ArtifactInvalid: the store has no model at http:.*missing\.onnx \(NoSuchKey\)/,
    ],
    [
      'a link to other bytes',
      'models/default/iris/1/signature.json',
      /^ArtifactInvalid: the model at http:.* does not match BOSUN_MODEL_SHA256/,
    ],
  ])('exits 1 with the reason when the model link leads to %s', async (_what, key, termination) => {
    const t = await freshBucket('serve');
    const published = await publishModel(t, 'iris', tabularClassifier(4));
    const p = start({
      BOSUN_PORT: '0',
      BOSUN_NAMESPACE: 'default',
      BOSUN_MODEL_NAME: 'iris',
      BOSUN_MODEL_SHA256: published.sha256,
      BOSUN_MODEL_URI: await t.store.presignedGet(key, 600),
    });
    expect(await p.exited).toBe(1);
    expect(p.termination()).toMatch(termination);
    expect(p.termination()).not.toMatch(/X-Amz-Signature/);
  });

  it('fails readiness on SIGTERM, finishes the requests in flight, then exits 0', async () => {
    const t = await freshBucket('serve');
    const published = await publishModel(t, 'iris', tabularClassifier(4));
    const p = start({ ...published.env, BOSUN_PORT: '0', BOSUN_SHUTDOWN_DELAY_SECONDS: '1' });
    const url = await p.url();
    await waitReady(url);
    // A request whose body is still arriving is in flight across the signal and the close.
    const held = heldRequest(
      `${url}/v2/models/iris/infer`,
      JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
    );
    await inFlight(url, 1);
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(503);
    // Past the shutdown delay the server has stopped accepting; the request in flight still finishes.
    await new Promise((r) => setTimeout(r, 1300));
    expect(p.child.exitCode).toBeNull();
    const answer = await held.finish();
    expect(answer.status).toBe(200);
    expect(answer.body.outputs).toHaveLength(2);
    expect(await p.exited).toBe(0);
    const lines = p
      .output()
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['model ready', 'shutting down: draining in-flight requests', 'stopped']),
    );
  });
});
