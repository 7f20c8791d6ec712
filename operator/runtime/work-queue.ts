// A queue of object keys with client-go's guarantees: a key waiting in the queue is held once however
// often it is added; a key being processed is never handed out again until done(), and if it was
// added meanwhile it is queued again then. Delayed adds keep the earliest deadline per key.
import type { Clock } from './clock.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface WorkQueueMetrics {
  depth(n: number): void;
  add(): void;
  retry(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queueDuration(seconds: number): void;
  /** Seconds a worker spent on a key. */
  workDuration(seconds: number): void;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;
  /** Keys ready for a worker, in insertion order. */
  readonly #queue = new Set<string>();
  /** Keys that need processing: queued, or added again while being processed. */
  readonly #dirty = new Set<string>();
  /** Key → when a worker took it. */
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  readonly #waiting = new Map<string, { at: number; timer: unknown }>();
  #getters: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  #drained: (() => void) | undefined;

  constructor(clock: Clock, limiter: RateLimiter, metrics?: WorkQueueMetrics) {
    this.#clock = clock;
    this.#limiter = limiter;
    this.#metrics = metrics;
  }

  get length(): number {
    return this.#queue.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys being processed, with the time a worker took each (for the unfinished-work metrics). */
  processingSince(): IterableIterator<number> {
    return this.#processing.values();
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.add();
    this.#dirty.add(key);
    this.#addedAt.set(key, this.#clock.now());
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.#clock.clearTimeout(pending.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.#metrics?.retry();
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.failures(key);
  }

  /** The next key, or undefined once the queue shuts down. Call done(key) when finished. */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  done(key: string): void {
    const started = this.#processing.get(key);
    this.#processing.delete(key);
    if (started !== undefined) this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  /** Stops handing out keys and resolves when every key being processed is done. */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    for (const getter of this.#getters) getter(undefined);
    this.#getters = [];
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  #push(key: string): void {
    const getter = this.#getters.shift();
    if (getter) {
      this.#queue.add(key);
      getter(this.#take());
      return;
    }
    this.#queue.add(key);
    this.#metrics?.depth(this.#queue.size);
  }

  #take(): string | undefined {
    if (this.#shuttingDown) return undefined;
    const next = this.#queue.values().next();
    if (next.done) return undefined;
    const key = next.value;
    this.#queue.delete(key);
    this.#dirty.delete(key);
    const now = this.#clock.now();
    this.#processing.set(key, now);
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (added !== undefined) this.#metrics?.queueDuration((now - added) / 1000);
    this.#metrics?.depth(this.#queue.size);
    return key;
  }
}
