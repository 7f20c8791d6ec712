// Runs a reconcile function over a work queue with N workers, and turns its outcome into the next
// step the way controller-runtime does: an error retries with per-key backoff, requeueAfter waits,
// a TerminalError is only counted, success forgets the key's failures.
import type { Logger } from 'pino';
import type { OperatorMetrics } from './metrics.ts';
import type { WorkQueue } from './work-queue.ts';

export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds (e.g. to poll something slow). */
  requeueAfterMs?: number;
  /** Reconcile again with backoff, without it being an error. */
  requeue?: boolean;
}

/** An error that retrying cannot fix: it is logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export type Reconciler = (key: string) => Promise<ReconcileResult | undefined>;

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconcile: Reconciler;
  concurrency: number;
  log: Logger;
  metrics: OperatorMetrics;
}

/** Programming errors are what a Go controller would see as panics. */
const panicTypes = [TypeError, ReferenceError, RangeError, SyntaxError];

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #options: ControllerOptions;
  #workers: Promise<void>[] = [];
  #active = 0;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.queue = options.queue;
    this.#options = options;
  }

  start(): void {
    const { metrics, concurrency, name } = this.#options;
    metrics.maxConcurrent.set({ controller: name }, concurrency);
    metrics.activeWorkers.set({ controller: name }, 0);
    for (let i = 0; i < concurrency; i++) this.#workers.push(this.#work());
  }

  /** Stops handing out keys and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    await this.queue.shutDown();
    await Promise.all(this.#workers);
  }

  get active(): number {
    return this.#active;
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const { metrics, log, name, reconcile } = this.#options;
    const labels = { controller: name };
    const started = performance.now();
    this.#active++;
    metrics.activeWorkers.set(labels, this.#active);
    try {
      const result = await reconcile(key);
      if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (result?.requeue) {
        this.queue.addRateLimited(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (error) {
      metrics.reconcileErrors.inc(labels);
      metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      if (error instanceof TerminalError) {
        metrics.terminalErrors.inc(labels);
        this.queue.forget(key);
        log.error({ key, err: error.message }, 'reconcile failed for good');
        return;
      }
      if (panicTypes.some((t) => error instanceof t)) {
        metrics.reconcilePanics.inc(labels);
        log.error({ key, err: (error as Error).stack }, 'reconcile panicked');
      } else {
        log.warn(
          {
            key,
            err: error instanceof Error ? error.message : String(error),
            retries: this.queue.numRequeues(key),
          },
          'reconcile failed, retrying',
        );
      }
      this.queue.addRateLimited(key);
    } finally {
      this.#active--;
      metrics.activeWorkers.set(labels, this.#active);
      metrics.reconcileTime.observe(labels, (performance.now() - started) / 1000);
    }
  }
}
