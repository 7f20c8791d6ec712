// A supervised list+watch for one kind: LIST, then WATCH from the list's resourceVersion with
// bookmarks; after a disconnect it resumes from the last resourceVersion seen, and relists only when
// the server says that version is gone (410, as an HTTP status or an in-stream ERROR). A relist is
// diffed against the cache, so deletes missed while disconnected are still reported. Failures back
// off 0.8 s → 30 s, and so do watches that end (closed, or 410) within SHORT_WATCH_MS of starting,
// so a server that closes every watch at once, or answers 410 right after each relist, is not
// hammered; a watch that lived normally resets the backoff. A stream silent for `idleMs` is dropped
// and resumed (half-open connections).
import type { Logger } from 'pino';
import { Backoff, watchBackoff } from './backoff.ts';
import { realClock, sleep } from './clock.ts';
import { isGone, KubeApiError, type KubeClient, type WatchEvent } from './kube-client.ts';
import { type KubeObject, objectKey } from './kube-object.ts';
import { ObjectCache } from './object-cache.ts';

/** A watch that ends sooner than this (client-go's reflector: 1 s) counts as a failure to back off from. */
const SHORT_WATCH_MS = 1000;

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler<T> = (type: InformerEventType, obj: T, old: T | undefined) => void;

export interface InformerOptions {
  client: KubeClient;
  /** Collection path, e.g. /apis/batch/v1/namespaces/ns/jobs. */
  path: string;
  /** Set on listed items, which the API server sends without them. */
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  log: Logger;
  /** A silent stream is dropped after this long (bookmarks arrive about once a minute). */
  idleMs?: number;
  pageSize?: number;
}

interface List<T> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export class Informer<T extends KubeObject> {
  readonly cache = new ObjectCache<T>();
  readonly #options: Required<Omit<InformerOptions, 'labelSelector'>> & { labelSelector?: string };
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #abort = new AbortController();
  #resourceVersion: string | undefined;
  #synced = false;
  #syncedWaiters: (() => void)[] = [];
  #running: Promise<void> | undefined;
  /** When the last event, bookmark or successful list arrived (for /healthz). */
  lastActivity = Date.now();
  /** Whether the last attempt to list or watch failed. */
  failing = false;
  relists = 0;

  constructor(options: InformerOptions) {
    this.#options = { idleMs: 180_000, pageSize: 500, ...options };
  }

  get path(): string {
    return this.#options.path;
  }

  get synced(): boolean {
    return this.#synced;
  }

  onEvent(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncedWaiters.push(resolve));
  }

  async #run(): Promise<void> {
    const backoff = new Backoff(watchBackoff, realClock);
    const { log } = this.#options;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // When the watch started; unset if it never did (a relist that ended in 410).
      let watchStarted: number | undefined;
      let ending: string;
      try {
        if (this.#resourceVersion === undefined) await this.#relist();
        watchStarted = performance.now();
        await this.#watch();
        ending = 'watch closed by the server';
      } catch (error) {
        if (signal.aborted) break;
        if (!isGone(error)) {
          this.failing = true;
          const delay = backoff.nextDelay();
          log.warn(
            { path: this.path, err: describe(error), retryInMs: Math.round(delay) },
            'list/watch failed',
          );
          await sleep(delay, signal);
          continue;
        }
        log.info({ path: this.path }, 'resourceVersion expired, relisting');
        this.#resourceVersion = undefined;
        ending = 'resourceVersion expired';
      }
      if (signal.aborted) break;
      if (watchStarted !== undefined && performance.now() - watchStarted >= SHORT_WATCH_MS) {
        backoff.reset();
        this.failing = false;
        continue;
      }
      this.failing = true;
      const delay = backoff.nextDelay();
      log.warn(
        { path: this.path, reason: ending, retryInMs: Math.round(delay) },
        `watch ended within ${SHORT_WATCH_MS / 1000} s of starting, backing off`,
      );
      await sleep(delay, signal);
    }
  }

  async #relist(): Promise<void> {
    const { client, path, labelSelector, pageSize } = this.#options;
    const seen = new Set<string>();
    let cont: string | undefined;
    let resourceVersion = '';
    const items: T[] = [];
    do {
      const page = await client.request<List<T>>('GET', path, {
        query: { labelSelector, limit: pageSize, continue: cont },
        signal: this.#abort.signal,
      });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    for (const item of items) {
      item.apiVersion ??= this.#options.apiVersion;
      item.kind ??= this.#options.kind;
      const key = objectKey(item);
      seen.add(key);
      const old = this.cache.get(key);
      if (old?.metadata?.resourceVersion === item.metadata?.resourceVersion) continue;
      this.cache.set(item);
      this.#emit(old ? 'MODIFIED' : 'ADDED', item, old);
    }
    for (const key of [...this.cache.keys()]) {
      if (seen.has(key)) continue;
      const old = this.cache.delete(key) as T;
      this.#emit('DELETED', old, old);
    }
    this.#resourceVersion = resourceVersion;
    this.relists++;
    this.lastActivity = Date.now();
    this.failing = false;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncedWaiters) w();
      this.#syncedWaiters = [];
    }
  }

  async #watch(): Promise<void> {
    const { client, path, labelSelector, idleMs } = this.#options;
    // A random server-side timeout spreads reconnects out (client-go: 5–10 min).
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    await client.watch<T>(
      path,
      { labelSelector, resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (event) => this.#handle(event),
      { signal: this.#abort.signal, idleMs },
    );
  }

  #handle(event: WatchEvent<T>): void {
    this.lastActivity = Date.now();
    this.failing = false;
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw new KubeApiError(status.code ?? 500, status.reason ?? '', status.message ?? 'watch error');
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') {
      const old = this.cache.delete(key);
      this.#emit('DELETED', event.object, old);
      return;
    }
    const old = this.cache.set(event.object);
    this.#emit(old ? 'MODIFIED' : 'ADDED', event.object, old);
  }

  #emit(type: InformerEventType, obj: T, old: T | undefined): void {
    for (const handler of this.#handlers) {
      try {
        handler(type, obj, old);
      } catch (error) {
        this.#options.log.error({ err: describe(error), path: this.path }, 'event handler failed');
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
