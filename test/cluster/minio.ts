// A MinIO server on loopback with generated credentials and a throwaway data directory.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPaths } from './paths.ts';
import { freePorts, type ProcessGroup, waitUntil } from './process.ts';

export interface MinioInfo {
  /** http://<address>:<port> */
  endpoint: string;
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
}

export async function startMinio(dir: string, group: ProcessGroup, address: string): Promise<MinioInfo> {
  const data = join(dir, 'minio');
  mkdirSync(data, { recursive: true });
  const [port] = (await freePorts(1, address)) as [number];
  const [consolePort] = (await freePorts(1)) as [number];
  const accessKey = `bosun-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(18).toString('base64url');
  const minio = group.start(
    'minio',
    binaryPaths().minio,
    [
      'server',
      data,
      '--address',
      `${address}:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    {
      env: {
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        // Single drive in a temp directory on the root disk.
        MINIO_CI_CD: '1',
      },
    },
  );
  const endpoint = `http://${address}:${port}`;
  await waitUntil('minio', async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, {
    timeoutMs: 30_000,
    process: minio,
  });
  return { endpoint, host: address, port, accessKey, secretKey };
}
