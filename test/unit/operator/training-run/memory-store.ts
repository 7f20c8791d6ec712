// The in-memory store of the Dataset controller's tests with what the TrainingRun controller calls
// besides: a copy on the store's side and a streamed sha256, each recorded, so a test can tell
// which bytes were read through the operator and in which order the outputs were copied. The real
// store (MinIO) is what the integration tests use.
import { createHash } from 'node:crypto';
import { UserError } from '../../../../lib/contract/errors.ts';
import { MemoryStore } from '../dataset/memory-store.ts';

export class TrainingStore extends MemoryStore {
  readonly #bytes = new Map<string, Buffer>();
  readonly copies: { from: string; to: string }[] = [];
  readonly hashed: string[] = [];

  override put(key: string, bytes: string | Buffer, lastModified?: Date): void {
    super.put(key, bytes, lastModified);
    this.#bytes.set(key, Buffer.from(bytes));
  }

  override async remove(keys: string[]): Promise<void> {
    await super.remove(keys);
    for (const key of keys) this.#bytes.delete(key);
  }

  /** The bytes under `key`, without counting a read. */
  bytes(key: string): Buffer | undefined {
    return this.#bytes.get(key);
  }

  async copyObject(from: string, to: string): Promise<void> {
    if (this.failure) throw this.failure;
    const bytes = this.#bytes.get(from);
    if (!bytes) throw new UserError('NotFound', `s3://${this.bucket}/${from} does not exist`);
    this.copies.push({ from, to });
    this.put(to, bytes);
  }

  async objectSha256(key: string): Promise<string | undefined> {
    if (this.failure) throw this.failure;
    this.hashed.push(key);
    const bytes = this.#bytes.get(key);
    return bytes && createHash('sha256').update(bytes).digest('hex');
  }
}
