// An in-memory stand-in for the artifact store in the Dataset controller's reconcile tests, with only
// what the controller calls (listing, reading and removing snapshots: lib/dataset/published-snapshots.ts),
// counting each call. The real store (MinIO) is what the integration tests use.
import { createHash } from 'node:crypto';
import { UserError } from '../../../../lib/contract/errors.ts';
import type { PublishedSnapshot } from '../../../../lib/dataset/published-snapshots.ts';
import type { ArtifactStore, ListedObject } from '../../../../lib/store/client.ts';
import {
  goldIndexKey,
  snapshotCardKey,
  snapshotInputsKey,
  snapshotManifestKey,
  snapshotSummaryKey,
} from '../../../../lib/store/keys.ts';

type StoreCalls = Pick<ArtifactStore, 'bucket' | 'listObjects' | 'getObject' | 'list' | 'remove'>;

export class MemoryStore implements StoreCalls {
  readonly bucket: string;
  readonly #objects = new Map<string, { bytes: Buffer; lastModified: Date }>();
  readonly listed: string[] = [];
  readonly read: string[] = [];
  readonly removed: string[] = [];
  /** Every call fails with this error while it is set (a store that is down). */
  failure: Error | undefined;

  constructor(bucket = 'bosun') {
    this.bucket = bucket;
  }

  /** The controller's view of it: the store type it takes. */
  get asArtifactStore(): ArtifactStore {
    return this as unknown as ArtifactStore;
  }

  put(key: string, bytes: string | Buffer, lastModified = new Date('2026-01-01T00:00:00Z')): void {
    this.#objects.set(key, { bytes: Buffer.from(bytes), lastModified });
  }

  has(key: string): boolean {
    return this.#objects.has(key);
  }

  keys(): string[] {
    return [...this.#objects.keys()].sort();
  }

  /** A version as a snapshot Job publishes it: manifests, inputs, gold index, summaries, the card last. */
  publish(snapshot: PublishedSnapshot, namespace = 'team-a', dataset = 'pets'): void {
    const { version } = snapshot;
    this.put(snapshotInputsKey(namespace, dataset, version), '{}');
    this.put(goldIndexKey(namespace, dataset, version), 'index');
    for (const v of snapshot.variants) {
      this.put(snapshotManifestKey(namespace, dataset, version, v.variant), 'manifest');
      const { variant, ...fields } = v;
      this.put(
        snapshotSummaryKey(namespace, dataset, version, variant),
        JSON.stringify({ dataset, namespace, version, variant, ...fields }),
      );
    }
    this.put(
      snapshotCardKey(namespace, dataset, version),
      `# ${dataset} ${version}`,
      new Date(snapshot.publishedAt),
    );
  }

  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    this.#check();
    this.listed.push(prefix);
    for (const key of this.keys().filter((k) => k.startsWith(prefix))) {
      const { bytes, lastModified } = this.#objects.get(key) as { bytes: Buffer; lastModified: Date };
      const etag = createHash('md5').update(bytes).digest('hex');
      yield { key, size: bytes.length, etag, lastModified };
    }
  }

  async getObject(key: string): Promise<Buffer> {
    this.#check();
    this.read.push(key);
    const object = this.#objects.get(key);
    if (!object) throw new UserError('NotFound', `s3://${this.bucket}/${key} does not exist`);
    return Buffer.from(object.bytes);
  }

  async list(prefix: string): Promise<string[]> {
    this.#check();
    this.listed.push(prefix);
    return this.keys().filter((k) => k.startsWith(prefix));
  }

  async remove(keys: string[]): Promise<void> {
    this.#check();
    for (const key of keys) {
      this.removed.push(key);
      this.#objects.delete(key);
    }
  }

  #check(): void {
    if (this.failure) throw this.failure;
  }
}
