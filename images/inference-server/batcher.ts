// Dynamic batching that never costs a request time at low load: a request that finds the model
// idle runs at once, and batches form only from the requests that arrive while a run is in flight.
// Those are stacked along the model's open first dimension, up to a batch size, and a batch closes
// at most a time window after its first request; each request gets its own rows of every output
// back. Models without a shared batch dimension run one by one.
import type { HostTensor, TensorData } from './datatypes.ts';
import type { Model } from './model.ts';

export interface BatchingOptions {
  /** Most rows in one run; 1 turns batching off. */
  maxBatchSize: number;
  /** Longest a request that found the model busy waits for others to join its batch. */
  windowMs: number;
}

export interface BatchObserver {
  batch(size: number): void;
  queueDepth(depth: number): void;
}

type Results = Record<string, HostTensor>;

/** What the batcher needs of a model: its batch dimension and a run. */
export type RunnableModel = Pick<Model, 'batchable' | 'run'>;

interface Pending {
  feeds: Record<string, HostTensor>;
  rows: number;
  /** Requests with equal keys have the same inputs with the same dimensions after the first. */
  key: string;
  resolve: (r: Results) => void;
  reject: (e: unknown) => void;
  /** performance.now() past which nobody waits for the answer any more. */
  deadline: number;
}

export class Batcher {
  readonly #model: RunnableModel;
  readonly #options: BatchingOptions;
  readonly #observer: BatchObserver | undefined;
  #queue: Pending[] = [];
  #queuedRows = 0;
  /** Model runs started by the batcher and not yet settled. */
  #running = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(model: RunnableModel, options: BatchingOptions, observer?: BatchObserver) {
    this.#model = model;
    this.#options = options;
    this.#observer = observer;
  }

  get maxBatchSize(): number {
    return this.#options.maxBatchSize;
  }

  get enabled(): boolean {
    return this.#model.batchable && this.#options.maxBatchSize > 1;
  }

  /** Runs the request, batched with others when possible; one still queued at its deadline is dropped. */
  run(feeds: Record<string, HostTensor>, deadline: number): Promise<Results> {
    const first = Object.values(feeds)[0];
    const rows = first?.shape[0] ?? 0;
    if (!this.enabled || rows === 0) {
      this.#observer?.batch(rows);
      return this.#model.run(feeds);
    }
    const names = Object.keys(feeds).sort();
    const sameRows = names.every((n) => (feeds[n] as HostTensor).shape[0] === rows);
    const key = sameRows
      ? names.map((n) => `${n}:${(feeds[n] as HostTensor).shape.slice(1).join('x')}`).join(',')
      : `alone:${Math.random()}`;
    return new Promise((resolve, reject) => {
      const pending: Pending = { feeds, rows, key, resolve, reject, deadline };
      // Idle, waiting could only add latency: nothing else is being collected. A request of a
      // whole batch or more has nothing to wait for either.
      const idle = this.#running === 0 && this.#queue.length === 0;
      if (idle || rows >= this.#options.maxBatchSize) {
        this.#start([pending]);
        return;
      }
      this.#queue.push(pending);
      this.#queuedRows += rows;
      this.#observer?.queueDepth(this.#queue.length);
      if (this.#queuedRows >= this.#options.maxBatchSize) this.#flush();
      else
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          this.#flush();
        }, this.#options.windowMs);
    });
  }

  /**
   * Starts the queue's batches: every full one, and the rest too when the model is idle. What is
   * left waits for a run to finish, or for the window.
   */
  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (;;) {
      const batch = this.#take();
      if (batch.length > 0) this.#start(batch);
      if (this.#queue.length === 0) return;
      if (this.#queuedRows < this.#options.maxBatchSize && this.#running > 0) break;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#options.windowMs);
  }

  #take(): Pending[] {
    // Filtered only when something expired, so a flush does not copy the queue every time.
    const now = performance.now();
    if (this.#queue.some((p) => p.deadline <= now)) this.#queue = this.#queue.filter((p) => p.deadline > now);
    const head = this.#queue[0];
    if (!head) {
      this.#queuedRows = 0;
      this.#observer?.queueDepth(0);
      return [];
    }
    const taken: Pending[] = [];
    const rest: Pending[] = [];
    let rows = 0;
    for (const p of this.#queue) {
      if (p.key === head.key && rows + p.rows <= this.#options.maxBatchSize) {
        taken.push(p);
        rows += p.rows;
      } else rest.push(p);
    }
    this.#queue = rest;
    this.#queuedRows = rest.reduce((a, p) => a + p.rows, 0);
    this.#observer?.queueDepth(rest.length);
    return taken;
  }

  /** Runs one batch; when it settles, what queued up meanwhile starts. */
  #start(batch: Pending[]): void {
    this.#running++;
    this.#observer?.batch(batch.reduce((a, p) => a + p.rows, 0));
    const settled = () => {
      this.#running--;
      if (this.#queue.length > 0) this.#flush();
    };
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      this.#model.run(only.feeds).then(
        (results) => {
          settled();
          only.resolve(results);
        },
        (e: unknown) => {
          settled();
          only.reject(e);
        },
      );
      return;
    }
    this.#model.run(stack(batch)).then(
      (results) => {
        settled();
        let offset = 0;
        for (const p of batch) {
          p.resolve(sliceRows(results, offset, p.rows));
          offset += p.rows;
        }
      },
      (e: unknown) => {
        settled();
        for (const p of batch) p.reject(e);
      },
    );
  }
}

function concat(parts: TensorData[]): TensorData {
  const first = parts[0] as TensorData;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new (first.constructor as new (n: number) => Exclude<TensorData, string[]>)(total);
  let at = 0;
  for (const p of parts as Exclude<TensorData, string[]>[]) {
    (out as Float32Array).set(p as Float32Array, at);
    at += p.length;
  }
  return out;
}

function stack(batch: Pending[]): Record<string, HostTensor> {
  const first = (batch[0] as Pending).feeds;
  const rows = batch.reduce((a, p) => a + p.rows, 0);
  const feeds: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(first))
    feeds[name] = {
      datatype: t.datatype,
      shape: [rows, ...t.shape.slice(1)],
      data: concat(batch.map((p) => (p.feeds[name] as HostTensor).data)),
    };
  return feeds;
}

function sliceRows(results: Results, offset: number, rows: number): Results {
  const out: Results = {};
  for (const [name, t] of Object.entries(results)) {
    const total = t.shape[0] as number;
    const per = total === 0 ? 0 : t.data.length / total;
    out[name] = {
      datatype: t.datatype,
      shape: [rows, ...t.shape.slice(1)],
      data: t.data.slice(offset * per, (offset + rows) * per) as TensorData,
    };
  }
  return out;
}
