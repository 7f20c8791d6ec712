// The artifact store client over the `minio` package: per-namespace content-addressed blobs whose
// digests are checked on every read, streamed reads, conditional (create-only) writes, and plain
// objects under validated keys.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type BucketItem, Client, type ClientOptions } from 'minio';
import { UserError } from '../contract/errors.ts';
import { blobKey, checkBucket, checkRelativePath, type S3Location } from './keys.ts';
import { decodeManifest, type ManifestItem } from './manifest.ts';

export interface StoreConfig {
  /** http(s)://host[:port] */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** With temporary (STS) credentials: the session token that goes with them. */
  sessionToken?: string;
}

/** What a HEAD of an object tells: its size and ETag. */
export interface ObjectStat {
  size: number;
  etag: string;
}

/** One object of a listing: its key and what a HEAD of it would tell, plus when it was written. */
export interface ListedObject extends ObjectStat {
  key: string;
  lastModified: Date;
}

/** S3's longest presigned URL lifetime (SigV4): seven days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface BlobRef {
  sha256: string;
  size: number;
  key: string;
}

/** What the store checks a create-only upload's body against (see `createObject`). */
export interface BodyDigests {
  size: number;
  /** Hex sha256 (signed as x-amz-content-sha256 over http). */
  sha256: string;
  /** Base64 MD5 (Content-MD5, checked over http and https). */
  md5: string;
}

/** The largest object one PUT may write (S3's limit); a conditional write cannot be multipart. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** How often a create-only write is retried when the store reports a concurrent conditional write. */
const CONFLICT_RETRIES = 3;

function errorCode(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

function isNotFound(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'NotFound' || code === 'NoSuchKey';
}

export class ArtifactStore {
  readonly bucket: string;
  readonly #client: Client;
  /**
   * The same connection settings without request retries, for streamed bodies: minio retries a
   * 5xx by sending the same body again, which a stream cannot do.
   */
  readonly #streamClient: Client;
  readonly #region: string;

  constructor(config: StoreConfig) {
    const url = new URL(config.endpoint);
    this.bucket = checkBucket(config.bucket);
    this.#region = config.region ?? 'us-east-1';
    const useSSL = url.protocol === 'https:';
    const options: ClientOptions = {
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: this.#region,
      pathStyle: true,
    };
    if (config.sessionToken) options.sessionToken = config.sessionToken;
    this.#client = new Client(options);
    this.#streamClient = new Client({ ...options, retryOptions: { disableRetry: true } });
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

  /** Size and ETag of an object; undefined when the key does not exist. */
  async stat(key: string): Promise<ObjectStat | undefined> {
    try {
      const { size, etag } = await this.#client.statObject(this.bucket, checkRelativePath('key', key));
      return { size, etag };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * A URL that lets whoever holds it GET this one object, and nothing else, for `expirySeconds`:
   * what a read-only workload gets instead of credentials. Signed locally (the region is known),
   * so it makes no request and does not tell whether the key exists. The answer's Content-Encoding
   * is signed as `identity`: an object stored with `gzip` would otherwise be decoded by `fetch`,
   * and its digest checked against other bytes than the stored ones.
   */
  async presignedGet(key: string, expirySeconds: number): Promise<string> {
    if (!Number.isInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > MAX_PRESIGN_SECONDS)
      throw new UserError(
        'InvalidExpiry',
        `a presigned URL lives 1 to ${MAX_PRESIGN_SECONDS} seconds, got ${expirySeconds}`,
      );
    return this.#client.presignedGetObject(this.bucket, checkRelativePath('key', key), expirySeconds, {
      'response-content-encoding': 'identity',
    });
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

  /**
   * Writes `key` only when no object is there yet (S3's conditional write `If-None-Match: *`, which
   * MinIO and AWS S3 implement), in one PUT: true when this call created it, false when the key
   * already existed — of two writers racing on a key exactly one gets true, and neither overwrites
   * the other. A stream body comes from `body()`, called once per attempt, with the digests of what
   * it yields; the store refuses the upload when the bytes do not match them, so a body that
   * changes between a first pass and the upload never lands.
   */
  async createObject(
    key: string,
    body: Buffer | { digests: BodyDigests; open: () => Readable },
    contentType = 'application/octet-stream',
  ): Promise<boolean> {
    const digests = Buffer.isBuffer(body)
      ? {
          size: body.length,
          sha256: createHash('sha256').update(body).digest('hex'),
          md5: createHash('md5').update(body).digest('base64'),
        }
      : body.digests;
    if (digests.size > MAX_SINGLE_PUT_BYTES)
      throw new UserError(
        'ObjectTooLarge',
        `s3://${this.bucket}/${key} would be ${digests.size} bytes; one write holds at most ${MAX_SINGLE_PUT_BYTES}`,
      );
    // minio's putObject sends If-None-Match only on its single-request path, which buffers the
    // whole body; its multipart path drops the condition and may resume another writer's upload
    // of the same key. This is the request putObject makes, with a streamed body.
    const client = Buffer.isBuffer(body) ? this.#client : this.#streamClient;
    for (let attempt = 0; ; attempt++) {
      const payload = Buffer.isBuffer(body) ? body : body.open();
      try {
        const response = await client.makeRequestStreamAsync(
          {
            method: 'PUT',
            bucketName: this.bucket,
            objectName: key,
            headers: {
              'Content-Type': contentType,
              'Content-Length': digests.size,
              'Content-MD5': digests.md5,
              'If-None-Match': '*',
            },
          },
          payload,
          client.enableSHA256 ? digests.sha256 : '',
          [200],
          this.#region,
        );
        response.resume();
        return true;
      } catch (e) {
        // A refusal can come before the whole body was sent: stop producing the rest.
        if (!Buffer.isBuffer(payload)) payload.destroy();
        if (errorCode(e) === 'PreconditionFailed') return false;
        // AWS S3 answers 409 while another conditional write of the key is in flight; the next
        // attempt sees its outcome.
        if (errorCode(e) === 'ConditionalRequestConflict' && attempt < CONFLICT_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
          continue;
        }
        throw e;
      }
    }
  }

  /** Reads a small object whole; use `openObject` for anything that may be large. */
  async getObject(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openObject(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Streams an object; a missing key is a `NotFound` UserError. */
  async openObject(key: string): Promise<Readable> {
    try {
      return await this.#client.getObject(this.bucket, key);
    } catch (e) {
      if (isNotFound(e)) throw new UserError('NotFound', `s3://${this.bucket}/${key} does not exist`);
      throw e;
    }
  }

  /** The sha256 of an object's bytes, streamed; undefined when the key does not exist. */
  async objectSha256(key: string): Promise<string | undefined> {
    let source: Readable;
    try {
      source = await this.#client.getObject(this.bucket, key);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const hash = createHash('sha256');
    for await (const chunk of source) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Every object under `prefix` with its size, ETag and modification time, in key order, streamed. */
  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    for await (const item of this.#client.listObjectsV2(
      this.bucket,
      prefix,
      true,
    ) as AsyncIterable<BucketItem>)
      if (item.name !== undefined)
        yield { key: item.name, size: item.size, etag: item.etag, lastModified: item.lastModified };
  }

  /** The names of the "folders" right under `prefix` (the next segment of its keys), e.g. a gold set's labels. */
  async listFolders(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of this.#client.listObjectsV2(
      this.bucket,
      prefix,
      false,
    ) as AsyncIterable<BucketItem>)
      if (item.prefix !== undefined) names.push(item.prefix.slice(prefix.length).replace(/\/$/, ''));
    return names;
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of this.#client.listObjectsV2(this.bucket, prefix, true))
      if ((item as { name?: string }).name) names.push((item as { name: string }).name);
    return names;
  }

  /**
   * Copies an object inside the bucket on the store's side: no byte passes through this process.
   * (A single CopyObject handles up to 5 GiB, the largest object a scoped writer can create.)
   */
  async copyObject(sourceKey: string, destinationKey: string): Promise<void> {
    try {
      await this.#client.copyObject(this.bucket, destinationKey, `/${this.bucket}/${sourceKey}`);
    } catch (e) {
      if (isNotFound(e)) throw new UserError('NotFound', `s3://${this.bucket}/${sourceKey} does not exist`);
      throw e;
    }
  }

  /** Deletes the keys; a key the store refused to delete (not one already gone) is an error. */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // minio reports a refused deletion as an entry of its result, not as a rejection.
    const results = await this.#client.removeObjects(this.bucket, keys);
    const refused = results.map((r) => r?.Error).filter((e) => e !== undefined && e.Code !== 'NoSuchKey') as {
      Code?: string;
      Key?: string;
    }[];
    if (refused.length > 0)
      throw new Error(
        `the store refused to delete ${refused.map((e) => `${e.Key ?? '?'} (${e.Code ?? 'unknown'})`).join(', ')}`,
      );
  }

  /**
   * Stores bytes once under their sha256 among namespace N's blobs; an existing blob is not
   * rewritten (a create-only write, so concurrent writers of one blob need no check first).
   */
  async putBlob(namespace: string, data: Buffer): Promise<BlobRef> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = blobKey(namespace, sha256);
    await this.createObject(key, data);
    return { sha256, size: data.length, key };
  }

  /** Reads one of namespace N's blobs and checks its digest (and size when given). */
  async getBlob(namespace: string, sha256: string, size?: number): Promise<Buffer> {
    const data = await this.getObject(blobKey(namespace, sha256));
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== sha256 || (size !== undefined && data.length !== size))
      throw new UserError(
        'BlobCorrupt',
        `blob ${sha256} is corrupt: its bytes hash to ${actual} (${data.length} bytes${size === undefined ? '' : `, expected ${size}`})`,
      );
    return data;
  }

  /**
   * Streams a manifest's items. With `expectedSha256` the manifest's digest is checked, but only
   * once its last byte has been read: the mismatch is thrown after the last item. So a consumer
   * must not act on an item — write an output, publish, record a result — before the iteration
   * has ended without an error: collect the items first, or stage what it derives from them and
   * commit only after the loop.
   */
  async *readManifest(key: string, expectedSha256?: string): AsyncGenerator<ManifestItem> {
    yield* decodeManifest(await this.openObject(key), expectedSha256);
  }
}
