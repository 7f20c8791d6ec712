// The artifact store client over the `minio` package: content-addressed blobs whose digests are
// checked on every read, manifests streamed in and out, and plain objects under validated keys.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { UserError } from '../contract/errors.ts';
import { blobKey, checkBucket, type S3Location } from './keys.ts';
import { DigestStream, decodeManifest, encodeManifest, type ManifestItem } from './manifest.ts';

export interface StoreConfig {
  /** http(s)://host[:port] */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region?: string;
}

export interface BlobRef {
  sha256: string;
  size: number;
  key: string;
}

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'NotFound' || code === 'NoSuchKey';
}

export class ArtifactStore {
  readonly bucket: string;
  readonly #client: Client;

  constructor(config: StoreConfig) {
    const url = new URL(config.endpoint);
    this.bucket = checkBucket(config.bucket);
    const useSSL = url.protocol === 'https:';
    this.#client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region ?? 'us-east-1',
      pathStyle: true,
    });
  }

  /** Refuses locations in other buckets: one store, one bucket (DESIGN §2). */
  keyOf(location: S3Location): string {
    if (location.bucket !== this.bucket)
      throw new UserError(
        'InvalidUri',
        `s3://${location.bucket}/${location.key} is not in the store's bucket ${this.bucket}`,
      );
    return location.key;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.#client.statObject(this.bucket, key);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async putObject(
    key: string,
    body: Buffer | Readable,
    contentType = 'application/octet-stream',
  ): Promise<void> {
    const upload = this.#client.putObject(this.bucket, key, body, undefined, { 'Content-Type': contentType });
    if (Buffer.isBuffer(body)) {
      await upload;
      return;
    }
    // The minio client does not watch its source stream for errors; without this a failing
    // source (e.g. an invalid manifest item) would leave the upload waiting forever.
    await new Promise<void>((resolve, reject) => {
      body.on('error', reject);
      upload.then(() => resolve(), reject);
    });
  }

  async getObject(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.#open(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async #open(key: string): Promise<Readable> {
    try {
      return await this.#client.getObject(this.bucket, key);
    } catch (e) {
      if (isNotFound(e)) throw new UserError('NotFound', `s3://${this.bucket}/${key} does not exist`);
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of this.#client.listObjectsV2(this.bucket, prefix, true))
      if ((item as { name?: string }).name) names.push((item as { name: string }).name);
    return names;
  }

  async remove(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.#client.removeObjects(this.bucket, keys);
  }

  /** Stores bytes under their sha256 once; an existing blob is not rewritten. */
  async putBlob(data: Buffer): Promise<BlobRef> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = blobKey(sha256);
    if (!(await this.exists(key))) await this.putObject(key, data);
    return { sha256, size: data.length, key };
  }

  /** Reads a blob and checks its digest (and size when given). */
  async getBlob(sha256: string, size?: number): Promise<Buffer> {
    const data = await this.getObject(blobKey(sha256));
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== sha256 || (size !== undefined && data.length !== size))
      throw new UserError(
        'BlobCorrupt',
        `blob ${sha256} is corrupt: its bytes hash to ${actual} (${data.length} bytes${size === undefined ? '' : `, expected ${size}`})`,
      );
    return data;
  }

  /** Streams a manifest to `key` and returns the compressed object's sha256 and the item count. */
  async writeManifest(
    key: string,
    items: Iterable<ManifestItem> | AsyncIterable<ManifestItem>,
  ): Promise<{ sha256: string; size: number; count: number }> {
    let count = 0;
    async function* counted(): AsyncGenerator<ManifestItem> {
      for await (const item of items) {
        count++;
        yield item;
      }
    }
    const digest = new DigestStream();
    const encoded = encodeManifest(counted());
    encoded.on('error', (e) => digest.destroy(e));
    await this.putObject(key, encoded.pipe(digest), 'application/gzip');
    return { sha256: digest.digest(), size: digest.size, count };
  }

  /** Streams a manifest's items; with `expectedSha256` the manifest's digest is checked at the end. */
  async *readManifest(key: string, expectedSha256?: string): AsyncGenerator<ManifestItem> {
    yield* decodeManifest(await this.#open(key), expectedSha256);
  }
}
