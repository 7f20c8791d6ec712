// The verifier's memory bound, measured on the real MinIO: a model larger than any ONNX file can be
// is hashed with constant memory under a 64 MB V8 heap, and a loadable model stays within the
// memory limit its Job is given (docs/decisions/0008-workload-store-access.md).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTerminationMessage } from '../../../operator/controllers/model-version/verification-result.ts';
import {
  ARTIFACT_LINK_EXPIRY_SECONDS,
  EXIT,
  ONNX_FILE_LIMIT,
  verifierMemoryLimitBytes,
} from '../../../operator/verifier/job-contract.ts';
import { type BucketFixture, freshBucket, minioClient } from '../clients.ts';
import { onnxModelOfFloats, type StreamedObject, zeroBytes } from './large-onnx.ts';

const MEASURE = fileURLToPath(new URL('./measure-verifier.ts', import.meta.url));
const MIB = 1024 * 1024;
/** Just over what one ONNX file can hold: the largest artifact the test streams. */
const OVERSIZED = ONNX_FILE_LIMIT + 64 * MIB;
/** The baseline of a Node process with onnxruntime and pino loaded, and room for the stream. */
const STREAMING_RSS_LIMIT = 200 * MIB;

interface Run {
  code: number | null;
  message: string;
  maxRssBytes: number;
  seconds: number;
  workDirLeft: string[];
}

describe('the verifier under a memory bound', () => {
  let fixture: BucketFixture;
  let dir: string;
  const keys: string[] = [];

  beforeAll(async () => {
    fixture = await freshBucket('verify-memory');
    dir = mkdtempSync(join(tmpdir(), 'bosun-verifier-memory-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    // Gigabytes on the shared MinIO's disk: give them back.
    await fixture.store.remove(keys);
  });

  async function upload(key: string, object: StreamedObject): Promise<void> {
    await minioClient().putObject(fixture.bucket, key, object.open(), object.size);
    keys.push(key);
  }

  /** Runs the verifier in its own process with a 64 MB V8 heap, as the Job's container does. */
  async function run(key: string, object: StreamedObject): Promise<Run> {
    const work = mkdtempSync(join(dir, 'work-'));
    const terminationLog = `${work}.log`;
    const usage = `${work}.rss`;
    const started = Date.now();
    const child = spawn(process.execPath, ['--max-old-space-size=64', MEASURE, terminationLog, usage], {
      env: {
        PATH: process.env.PATH,
        BOSUN_LOG_LEVEL: 'warn',
        BOSUN_ARTIFACT_URL: await fixture.store.presignedGet(key, ARTIFACT_LINK_EXPIRY_SECONDS),
        BOSUN_ARTIFACT_SHA256: object.sha256,
        BOSUN_ARTIFACT_SIZE: String(object.size),
        BOSUN_WORK_DIR: work,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    return {
      code,
      message: readFileSync(terminationLog, 'utf8'),
      maxRssBytes: Number(readFileSync(usage, 'utf8')),
      seconds: (Date.now() - started) / 1000,
      workDirLeft: readdirSync(work),
    };
  }

  it('hashes an artifact larger than any ONNX file with constant memory, then says why it cannot load', async () => {
    const object = zeroBytes(OVERSIZED);
    await upload('models/a/huge/1/model.onnx', object);
    const result = await run('models/a/huge/1/model.onnx', object);
    console.log(
      `${(OVERSIZED / 1e9).toFixed(2)} GB streamed in ${result.seconds.toFixed(1)} s, peak RSS ${(result.maxRssBytes / MIB).toFixed(0)} MiB`,
    );
    // The digest matched (else DigestMismatch); the size alone rules the file out.
    expect(result.message).toBe(
      `InvalidModel: the model is ${OVERSIZED} bytes; an ONNX file holds at most ${ONNX_FILE_LIMIT} (protobuf's limit), and larger models keep their weights in external data files, which a single-file artifact cannot carry`,
    );
    expect(result.code).toBe(EXIT.BAD_ARTIFACT);
    expect(result.maxRssBytes).toBeLessThan(STREAMING_RSS_LIMIT);
    expect(result.workDirLeft).toEqual([]);
  });

  it("loads a 256 MiB model from its file within its Job's memory limit", async () => {
    const object = onnxModelOfFloats(64 * MIB);
    await upload('models/a/large/1/model.onnx', object);
    const result = await run('models/a/large/1/model.onnx', object);
    console.log(
      `${(object.size / MIB).toFixed(0)} MiB model verified in ${result.seconds.toFixed(1)} s, peak RSS ${(result.maxRssBytes / MIB).toFixed(0)} MiB, limit ${(verifierMemoryLimitBytes(object.size) / MIB).toFixed(0)} MiB`,
    );
    expect(result.code).toBe(EXIT.VERIFIED);
    expect(parseTerminationMessage(result.message, '')).toMatchObject({
      ok: true,
      size: object.size,
      signature: { inputs: [{ name: 'x', type: 'float32', shape: [64 * MIB] }] },
    });
    expect(result.maxRssBytes).toBeLessThan(verifierMemoryLimitBytes(object.size));
    expect(result.workDirLeft).toEqual([]);
  });
});
