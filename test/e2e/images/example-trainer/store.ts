// The artifact store as this trainer uses it, over the `minio` S3 client: the input manifest and
// item blobs read with their digests checked, and outputs written create-only.
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Client } from 'minio';
import type { StoreSettings } from './config.ts';
import { UserError } from './errors.ts';
import { log } from './log.ts';

/** One line of the manifest: the fields this trainer uses. */
export interface ManifestItem {
  path: string;
  sha256: string;
  size: number;
}

export interface OutputFile {
  name: string;
  body: Buffer;
  contentType: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

function errorCode(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

const isNotFound = (e: unknown) => errorCode(e) === 'NoSuchKey' || errorCode(e) === 'NotFound';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function parseItem(line: string, n: number): ManifestItem {
  const fail = (message: string): never => {
    throw new UserError('ManifestInvalid', `manifest line ${n}: ${message}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    fail('not valid JSON');
  }
  const item = value as Partial<ManifestItem>;
  if (typeof value !== 'object' || value === null) fail('expected a JSON object');
  if (typeof item.path !== 'string' || item.path === '') fail('"path" must be a non-empty string');
  if (typeof item.sha256 !== 'string' || !SHA256.test(item.sha256))
    fail('"sha256" must be 64 lowercase hex digits');
  if (!Number.isSafeInteger(item.size) || (item.size as number) < 0)
    fail('"size" must be a non-negative integer');
  return { path: item.path as string, sha256: item.sha256 as string, size: item.size as number };
}

export class Store {
  readonly #client: Client;
  readonly #bucket: string;

  constructor(settings: StoreSettings, bucket: string) {
    this.#client = new Client({ ...settings, pathStyle: true });
    this.#bucket = bucket;
  }

  /** The object's bytes as a stream; `missing` is thrown when the key does not exist. */
  async #open(key: string, missing: () => UserError): Promise<Readable> {
    try {
      return await this.#client.getObject(this.#bucket, key);
    } catch (e) {
      if (isNotFound(e)) throw missing();
      throw e;
    }
  }

  async #read(key: string, missing: () => UserError): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.#open(key, missing)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  #uri(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  /**
   * Reads the whole gzip JSON-lines manifest and only then returns its items: its digest (of the
   * compressed bytes) is known after the last byte, and nothing may be done with an item before.
   */
  async readManifest(
    key: string,
    expectedSha256?: string,
  ): Promise<{ items: ManifestItem[]; sha256: string }> {
    const source = await this.#open(
      key,
      () => new UserError('ManifestInvalid', `the input manifest ${this.#uri(key)} does not exist`),
    );
    const digest = createHash('sha256');
    source.on('data', (chunk: Buffer) => digest.update(chunk));
    const gunzip = createGunzip();
    source.on('error', (e) => gunzip.destroy(e));
    const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Infinity });
    const items: ManifestItem[] = [];
    try {
      for await (const line of lines) if (line.trim() !== '') items.push(parseItem(line, items.length + 1));
    } catch (e) {
      if (errorCode(e)?.startsWith('Z_'))
        throw new UserError(
          'ManifestInvalid',
          `the input manifest is not gzip data: ${(e as Error).message}`,
        );
      throw e;
    } finally {
      source.destroy();
    }
    const actual = digest.digest('hex');
    if (expectedSha256 !== undefined && actual !== expectedSha256)
      throw new UserError(
        'ManifestInvalid',
        `manifest sha256 is ${actual}, expected ${expectedSha256}: it changed after the run pinned it`,
      );
    return { items, sha256: actual };
  }

  /** An item's bytes from the namespace's own blobs, checked against its digest and size. */
  async readBlob(namespace: string, item: ManifestItem): Promise<Buffer> {
    // The key comes from the validated digest, never from `path`.
    const key = `objects/${namespace}/sha256/${item.sha256.slice(0, 2)}/${item.sha256}`;
    const data = await this.#read(
      key,
      () => new UserError('BlobMissing', `the blob of item ${item.path} (${this.#uri(key)}) does not exist`),
    );
    const actual = sha256(data);
    if (actual !== item.sha256 || data.length !== item.size)
      throw new UserError(
        'BlobCorrupt',
        `the blob of item ${item.path} is corrupt: sha256 ${actual} and ${data.length} bytes, expected ${item.sha256} and ${item.size} bytes`,
      );
    return data;
  }

  /**
   * Writes each file under the prefix only if no object is there yet (If-None-Match: *), in the
   * order given (metrics.json last: a reader that sees it sees everything). A file that already
   * exists with the same bytes counts as written, so a retried Pod finishes what an earlier
   * attempt began; one with other bytes is an error. On failure, what this call created is
   * removed where the credentials allow it.
   */
  async createOutputs(prefix: string, files: OutputFile[]): Promise<void> {
    const created: string[] = [];
    try {
      for (const file of files) {
        const key = `${prefix}${file.name}`;
        try {
          await this.#client.putObject(this.#bucket, key, file.body, file.body.length, {
            'Content-Type': file.contentType,
            'If-None-Match': '*',
          });
          created.push(key);
          log('info', 'uploaded', { key, bytes: file.body.length });
        } catch (e) {
          if (errorCode(e) !== 'PreconditionFailed') throw e;
          const existing = await this.#read(
            key,
            () => new UserError('OutputExists', `${this.#uri(key)} was written and removed by someone else`),
          );
          if (!existing.equals(file.body))
            throw new UserError(
              'OutputExists',
              `${this.#uri(key)} already exists with other content; a run writes its outputs once`,
            );
          log('info', 'already uploaded', { key });
        }
      }
    } catch (e) {
      // Scoped workload credentials may lack DeleteObject; the error that matters is the first one.
      await this.#client.removeObjects(this.#bucket, created).catch(() => undefined);
      throw e;
    }
  }
}
