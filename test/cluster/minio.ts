// A MinIO server on loopback with generated credentials and a throwaway data directory.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPaths } from './paths.ts';
import { freePorts, type RunningProcess, startProcess, waitUntil } from './process.ts';

export interface MinioInfo {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
}

export async function startMinio(
  dir: string,
  options: { persistent?: boolean } = {},
): Promise<{ info: MinioInfo; processes: RunningProcess[] }> {
  const data = join(dir, 'minio');
  const logs = join(dir, 'logs');
  mkdirSync(data, { recursive: true });
  mkdirSync(logs, { recursive: true });
  const [port, consolePort] = (await freePorts(2)) as [number, number];
  const accessKey = `bosun-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(18).toString('base64url');
  const minio = startProcess({
    name: 'minio',
    command: binaryPaths().minio,
    args: [
      'server',
      data,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    env: {
      MINIO_ROOT_USER: accessKey,
      MINIO_ROOT_PASSWORD: secretKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      // Single drive in a temp directory on the root disk.
      MINIO_CI_CD: '1',
    },
    logFile: join(logs, 'minio.log'),
    persistent: options.persistent,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil('minio', async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, {
    timeoutMs: 30_000,
    process: minio,
  });
  return { info: { endpoint, host: '127.0.0.1', port, accessKey, secretKey }, processes: [minio] };
}
