// Prometheus metrics under controller-runtime's and client-go's names, so the dashboards and alerts
// people already have for Go operators work for this one.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkQueue, WorkQueueMetrics } from './work-queue.ts';

const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's workqueue buckets: 10 ns to 10 s, ×10. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalErrors: Counter<'controller'>;
  readonly reconcilePanics: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrent: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly restRequests: Counter<'code' | 'method' | 'host'>;
  readonly leaderStatus: Gauge<'name'>;
  readonly apiRequests: Counter<'method' | 'resource'>;
  readonly #queueDepth: Gauge<'name' | 'controller'>;
  readonly #queueAdds: Counter<'name' | 'controller'>;
  readonly #queueRetries: Counter<'name' | 'controller'>;
  readonly #queueDuration: Histogram<'name' | 'controller'>;
  readonly #workDuration: Histogram<'name' | 'controller'>;
  readonly #queues = new Map<string, WorkQueue>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const c = (name: string, help: string) => ({ name, help, registers });
    this.reconcileTotal = new Counter({
      ...c('controller_runtime_reconcile_total', 'Total number of reconciliations per controller'),
      labelNames: ['controller', 'result'],
    });
    this.reconcileErrors = new Counter({
      ...c(
        'controller_runtime_reconcile_errors_total',
        'Total number of reconciliation errors per controller',
      ),
      labelNames: ['controller'],
    });
    this.terminalErrors = new Counter({
      ...c(
        'controller_runtime_terminal_reconcile_errors_total',
        'Total number of terminal reconciliation errors per controller',
      ),
      labelNames: ['controller'],
    });
    this.reconcilePanics = new Counter({
      ...c(
        'controller_runtime_reconcile_panics_total',
        'Total number of reconciliation panics per controller',
      ),
      labelNames: ['controller'],
    });
    this.reconcileTime = new Histogram({
      ...c('controller_runtime_reconcile_time_seconds', 'Length of time per reconciliation per controller'),
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
    });
    this.maxConcurrent = new Gauge({
      ...c(
        'controller_runtime_max_concurrent_reconciles',
        'Maximum number of concurrent reconciles per controller',
      ),
      labelNames: ['controller'],
    });
    this.activeWorkers = new Gauge({
      ...c('controller_runtime_active_workers', 'Number of currently used workers per controller'),
      labelNames: ['controller'],
    });
    this.restRequests = new Counter({
      ...c(
        'rest_client_requests_total',
        'Number of HTTP requests, partitioned by status code, method, and host.',
      ),
      labelNames: ['code', 'method', 'host'],
    });
    this.leaderStatus = new Gauge({
      ...c(
        'leader_election_master_status',
        'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
      ),
      labelNames: ['name'],
    });
    // Not in controller-runtime: the same requests by resource, so writes to objects can be told
    // apart from Lease renewals (e.g. to check that a resync of settled objects writes nothing).
    this.apiRequests = new Counter({
      ...c('bosun_api_requests_total', 'API requests of the operator by method and resource.'),
      labelNames: ['method', 'resource'],
    });
    const q = ['name', 'controller'] as const;
    this.#queueDepth = new Gauge({ ...c('workqueue_depth', 'Current depth of workqueue'), labelNames: q });
    this.#queueAdds = new Counter({
      ...c('workqueue_adds_total', 'Total number of adds handled by workqueue'),
      labelNames: q,
    });
    this.#queueRetries = new Counter({
      ...c('workqueue_retries_total', 'Total number of retries handled by workqueue'),
      labelNames: q,
    });
    this.#queueDuration = new Histogram({
      ...c(
        'workqueue_queue_duration_seconds',
        'How long in seconds an item stays in workqueue before being requested',
      ),
      labelNames: q,
      buckets: QUEUE_BUCKETS,
    });
    this.#workDuration = new Histogram({
      ...c('workqueue_work_duration_seconds', 'How long in seconds processing an item from workqueue takes.'),
      labelNames: q,
      buckets: QUEUE_BUCKETS,
    });
    const queues = this.#queues;
    // Registered for their collect() callbacks, which read the queues at scrape time.
    new Gauge({
      ...c(
        'workqueue_unfinished_work_seconds',
        "How many seconds of work has been done that is in progress and hasn't been observed by work_duration.",
      ),
      labelNames: q,
      collect() {
        const now = Date.now();
        for (const [name, queue] of queues) {
          let total = 0;
          for (const since of queue.processingSince()) total += (now - since) / 1000;
          this.set({ name, controller: name }, total);
        }
      },
    });
    new Gauge({
      ...c(
        'workqueue_longest_running_processor_seconds',
        'How many seconds has the longest running processor for workqueue been running.',
      ),
      labelNames: q,
      collect() {
        const now = Date.now();
        for (const [name, queue] of queues) {
          let longest = 0;
          for (const since of queue.processingSince()) longest = Math.max(longest, (now - since) / 1000);
          this.set({ name, controller: name }, longest);
        }
      },
    });
  }

  /** Hooks for a controller's work queue; `register` makes the in-progress gauges see it. */
  workQueue(controller: string): WorkQueueMetrics & { register(queue: WorkQueue): void } {
    const labels = { name: controller, controller };
    return {
      depth: (n) => this.#queueDepth.set(labels, n),
      add: () => this.#queueAdds.inc(labels),
      retry: () => this.#queueRetries.inc(labels),
      queueDuration: (s) => this.#queueDuration.observe(labels, s),
      workDuration: (s) => this.#workDuration.observe(labels, s),
      register: (queue) => this.#queues.set(controller, queue),
    };
  }

  /** Counts one API request (rest_client_requests_total and bosun_api_requests_total). */
  observeRequest(host: string, method: string, code: string, path: string): void {
    this.restRequests.inc({ host, method, code });
    this.apiRequests.inc({ method, resource: resourceOf(path) });
  }
}

/** `leases`, `jobs`, `modelversions/status`, ... from an API path. */
export function resourceOf(path: string): string {
  const parts = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  // /api/v1/... or /apis/<group>/<version>/...
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const [resource, , sub] = rest;
  return resource ? (sub ? `${resource}/${sub}` : resource) : 'other';
}
