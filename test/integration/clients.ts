// Clients for the shared test environment, built from what the global setup provides.
import { KubeConfig } from '@kubernetes/client-node';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { inject } from 'vitest';
import { ArtifactStore } from '../../lib/store/client.ts';

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('environment').controlPlane.kubeconfig);
  return kc;
}

export function minioClient(): MinioClient {
  const { host, port, accessKey, secretKey } = inject('environment').minio;
  return new MinioClient({ endPoint: host, port, useSSL: false, accessKey, secretKey });
}

export function postgresClient(): pg.Client {
  return new pg.Client({ connectionString: inject('environment').postgres.url });
}

/** A namespace name unique to this test, so test files can run in parallel on one cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** The API server's answer to a request it rejected: HTTP status and the Status message. */
export async function rejection(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    const status = (typeof body === 'string' ? JSON.parse(body) : (body ?? {})) as { message?: string };
    return { code, message: status.message ?? String(body) };
  }
  throw new Error('expected the API server to reject the request, but it was accepted');
}

/** A new bucket on the test MinIO, its store client, and the BOSUN_STORE_* environment for it. */
export interface BucketFixture {
  store: ArtifactStore;
  bucket: string;
  env: Record<string, string>;
}

export async function freshBucket(prefix: string): Promise<BucketFixture> {
  const bucket = uniqueName(prefix);
  await minioClient().makeBucket(bucket);
  const { endpoint, accessKey, secretKey } = inject('environment').minio;
  return {
    store: new ArtifactStore({ endpoint, bucket, accessKey, secretKey }),
    bucket,
    env: {
      BOSUN_STORE_ENDPOINT: endpoint,
      BOSUN_STORE_BUCKET: bucket,
      BOSUN_STORE_ACCESS_KEY: accessKey,
      BOSUN_STORE_SECRET_KEY: secretKey,
    },
  };
}
