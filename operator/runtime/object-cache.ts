// An informer's store: objects keyed by namespace/name, with metadata.managedFields dropped (it is
// often the largest part of an object and the operator never reads it), plus optional indexes.
import { type KubeObject, objectKey } from './kube-object.ts';

export type IndexFunction<T> = (obj: T) => string[];

export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export class ObjectCache<T extends KubeObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunction<T>>();
  /** index name → index value → keys */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  addIndex(name: string, fn: IndexFunction<T>): void {
    this.#indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#objects) this.#indexObject(index, fn, key, obj);
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  keys(): IterableIterator<string> {
    return this.#objects.keys();
  }

  values(): IterableIterator<T> {
    return this.#objects.values();
  }

  /** Stores `obj` (managedFields stripped) and returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = objectKey(stripManagedFields(obj));
    const old = this.#objects.get(key);
    if (old) this.#unindex(key, old);
    this.#objects.set(key, obj);
    for (const [name, fn] of this.#indexers)
      this.#indexObject(this.#indexes.get(name) as Map<string, Set<string>>, fn, key, obj);
    return old;
  }

  /**
   * Stores the result of our own write, unless the watch has already moved the cached object past
   * the version the write started from (it then holds our write or something newer).
   */
  setIfUnchanged(basedOn: string | undefined, obj: T): boolean {
    const current = this.#objects.get(objectKey(obj));
    if (current && current.metadata?.resourceVersion !== basedOn) return false;
    this.set(obj);
    return true;
  }

  delete(key: string): T | undefined {
    const old = this.#objects.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#objects.delete(key);
    return old;
  }

  /** Keys of the objects whose index `name` yields `value`. */
  byIndex(name: string, value: string): string[] {
    return [...(this.#indexes.get(name)?.get(value) ?? [])];
  }

  #indexObject(index: Map<string, Set<string>>, fn: IndexFunction<T>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      const keys = index.get(value) ?? new Set<string>();
      index.set(value, keys);
      keys.add(key);
    }
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name) as Map<string, Set<string>>;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
