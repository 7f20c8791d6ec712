// Runs a reconcile function over a work queue with N workers, and turns its outcome into the next
// step the way controller-runtime does: an error retries with per-key backoff unless the
// controller's error policy calls it terminal, requeueAfter waits, success forgets the key's
// failures. Every reconcile gets a context whose signal aborts when this replica must stop writing
// (leadership lost, or shutdown gave up waiting); its client refuses to start a request after that.
import type { Logger } from 'pino';
import { type ApiClient, isConflict } from './kube-client.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { WorkQueue } from './work-queue.ts';

/** What a reconcile asks for next. Build them with the functions below, not by hand. */
export type ReconcileOutcome =
  /** Nothing to do until something changes (a watch event or the resync). */
  | { type: 'WaitForChange' }
  /** Reconcile the key again after this long (polling something slow, a retry that is due later). */
  | { type: 'RequeueAfter'; ms: number }
  /** Reconcile again with the key's exponential backoff, without it being an error. */
  | { type: 'Backoff' };

export const waitForChange = (): ReconcileOutcome => ({ type: 'WaitForChange' });
export const requeueAfter = (ms: number): ReconcileOutcome =>
  ms > 0 ? { type: 'RequeueAfter', ms } : { type: 'Backoff' };
export const backoff = (): ReconcileOutcome => ({ type: 'Backoff' });

/** The sooner of two outcomes: a reconcile that does several things wants the earliest next visit. */
export function sooner(a: ReconcileOutcome, b: ReconcileOutcome): ReconcileOutcome {
  if (a.type === 'Backoff' || b.type === 'Backoff') return backoff();
  if (a.type === 'WaitForChange') return b;
  if (b.type === 'WaitForChange') return a;
  return a.ms <= b.ms ? a : b;
}

export interface ReconcileContext {
  /** Aborted when this replica must stop writing. */
  signal: AbortSignal;
  /** The API client for this reconcile: fenced by `signal`. */
  client: ApiClient;
}

export type Reconciler = (key: string, context: ReconcileContext) => Promise<ReconcileOutcome>;

/** An error that retrying cannot fix: it is logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

/** How a controller treats a failed reconcile: retry it with backoff, or give up on the key. */
export type ErrorPolicy = (error: unknown) => 'retry' | 'terminal';

export const defaultErrorPolicy: ErrorPolicy = (error) =>
  error instanceof TerminalError ? 'terminal' : 'retry';

export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconcile: Reconciler;
  /** The context's signal and client; fixed for the controller's life (one leadership term). */
  context: ReconcileContext;
  errorPolicy?: ErrorPolicy;
  concurrency: number;
  log: Logger;
  metrics: OperatorMetrics;
}

/** Programming errors are what a Go controller would see as panics. */
const PANIC_TYPES = [TypeError, ReferenceError, RangeError, SyntaxError];

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
    const { metrics, log, name, reconcile, context } = this.#options;
    const errorPolicy = this.#options.errorPolicy ?? defaultErrorPolicy;
    const labels = { controller: name };
    const started = performance.now();
    this.#active++;
    metrics.activeWorkers.set(labels, this.#active);
    try {
      const outcome = await reconcile(key, context);
      if (outcome.type === 'RequeueAfter') {
        this.queue.forget(key);
        this.queue.addAfter(key, outcome.ms);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (outcome.type === 'Backoff') {
        this.queue.addRateLimited(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        this.queue.forget(key);
        metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (error) {
      metrics.reconcileErrors.inc(labels);
      metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      // After the fence closed, failures are expected and nothing more may be written: drop the key.
      if (context.signal.aborted) {
        this.queue.forget(key);
        return;
      }
      if (errorPolicy(error) === 'terminal') {
        metrics.terminalErrors.inc(labels);
        this.queue.forget(key);
        log.error({ key, err: describe(error) }, 'reconcile failed for good');
        return;
      }
      if (isConflict(error)) {
        // Written on top of a cached version that has changed since (optimistic concurrency): the
        // watch brings the new one, and the reconcile runs again on it. Expected, not a failure.
        log.debug({ key, err: describe(error) }, 'object changed while reconciling; reconciling again');
      } else if (PANIC_TYPES.some((t) => error instanceof t)) {
        metrics.reconcilePanics.inc(labels);
        log.error({ key, err: (error as Error).stack }, 'reconcile panicked');
      } else {
        log.warn(
          { key, err: describe(error), retries: this.queue.numRequeues(key) },
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
