// The operator process: the controller manager. It builds on @dot-i/k8s-operator's Operator class
// for its lifecycle only (start() → init(), the kubeConfig it holds); that class's watches, status
// and finalizer helpers are not used, because they exit the process on any watch error, watch
// without resourceVersion, drop failed events, and (on client-node 2.x) build request URLs from a
// field that no longer exists (docs/decisions/0001-controller-runtime.md). In their place: supervised
// informers, a work queue per controller, leader election, probes and metrics, graceful shutdown.
import DotiOperator from '@dot-i/k8s-operator';
import type { KubeConfig, V1Job } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ArtifactStore } from '../lib/store/client.ts';
import { apiVersion } from './api/group.ts';
import type { ModelVersion } from './api/model-version.ts';
import type { OperatorConfig } from './config.ts';
import { ModelVersionController } from './controllers/model-version/controller.ts';
import { jobSelector } from './controllers/model-version/verification-job.ts';
import { realClock } from './runtime/clock.ts';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { parseBindAddress, serveMetrics, serveProbes } from './runtime/http-endpoints.ts';
import { Informer } from './runtime/informer.ts';
import { KubeClient } from './runtime/kube-client.ts';
import { type KubeObject, objectKey } from './runtime/kube-object.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { OperatorMetrics } from './runtime/metrics.ts';
import { defaultControllerRateLimiter } from './runtime/rate-limiter.ts';
import { WorkQueue } from './runtime/work-queue.ts';

// @dot-i/k8s-operator is CommonJS with `exports.default`; loaded from ESM the class sits on .default.
const OperatorBase = DotiOperator.default;

/** A watch silent for longer than this makes /healthz fail (the watchdog should have resumed it). */
const unhealthyAfterMs = 10 * 60_000;

/** Only metadata that matters for reconciling: a status-only change (usually our own write) is skipped. */
function onlyStatusChanged(
  obj: KubeObject & { status?: unknown },
  old: (KubeObject & { status?: unknown }) | undefined,
): boolean {
  if (!old) return false;
  const a = obj.metadata ?? {};
  const b = old.metadata ?? {};
  return (
    a.generation === b.generation &&
    String(a.deletionTimestamp) === String(b.deletionTimestamp) &&
    JSON.stringify(a.finalizers ?? []) === JSON.stringify(b.finalizers ?? []) &&
    JSON.stringify(a.labels ?? {}) === JSON.stringify(b.labels ?? {}) &&
    JSON.stringify(a.annotations ?? {}) === JSON.stringify(b.annotations ?? {})
  );
}

export class OperatorManager extends OperatorBase {
  readonly config: OperatorConfig;
  readonly metrics = new OperatorMetrics();
  readonly client: KubeClient;
  readonly log: Logger;
  #informers: Informer<KubeObject>[] = [];
  #makeController: (() => Controller) | undefined;
  #controller: Controller | undefined;
  /** Leadership changes are applied one after another (start after a stop has finished). */
  #transition: Promise<void> = Promise.resolve();
  #elector: LeaderElector | undefined;
  #events: EventRecorder | undefined;
  #servers: import('node:http').Server[] = [];
  #resync: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  #leading = false;

  constructor(config: OperatorConfig, kubeConfig: KubeConfig, log: Logger) {
    // The base class loads the default kubeconfig itself; ours replaces it.
    super({
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    });
    this.kubeConfig = kubeConfig;
    this.config = config;
    this.log = log;
    const host = new URL(kubeConfig.getCurrentCluster()?.server ?? 'http://unknown').host;
    this.client = new KubeClient(kubeConfig, (method, code, _seconds, path) =>
      this.metrics.observeRequest(host, method, code, path),
    );
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  protected override async init(): Promise<void> {
    const { config, log } = this;
    const ns = config.watchNamespace;
    const modelVersions = new Informer<ModelVersion>({
      client: this.client,
      path: ns ? `/apis/${apiVersion}/namespaces/${ns}/modelversions` : `/apis/${apiVersion}/modelversions`,
      apiVersion,
      kind: 'ModelVersion',
      log: log.child({ informer: 'modelversions' }),
    });
    const jobs = new Informer<V1Job>({
      client: this.client,
      path: `/apis/batch/v1/namespaces/${config.operatorNamespace}/jobs`,
      apiVersion: 'batch/v1',
      kind: 'Job',
      labelSelector: jobSelector,
      log: log.child({ informer: 'jobs' }),
    });
    this.#informers = [modelVersions, jobs] as Informer<KubeObject>[];
    this.#events = new EventRecorder(this.client, {
      controller: 'bosun.dev/operator',
      instance: config.identity,
      log: log.child({ component: 'events' }),
    });
    const mvController = new ModelVersionController({
      client: this.client,
      modelVersions,
      jobs,
      events: this.#events,
      store: new ArtifactStore({
        endpoint: config.store.endpoint,
        bucket: config.store.bucket,
        region: config.store.region,
        accessKey: config.store.accessKey,
        secretKey: config.store.secretKey,
      }),
      job: {
        namespace: config.operatorNamespace,
        image: config.image,
        imagePullPolicy: config.imagePullPolicy,
        store: { ...config.store },
        ttlSecondsAfterFinished: config.jobTtlSeconds,
      },
      verificationRetryMs: config.verificationRetryMs,
      log: log.child({ controller: 'modelversion' }),
    });
    // A queue and workers exist only while this replica leads; events meanwhile are dropped, as
    // everything is enqueued when leadership starts.
    this.#makeController = () => {
      const queueMetrics = this.metrics.workQueue('modelversion');
      const queue = new WorkQueue(realClock, defaultControllerRateLimiter(realClock), queueMetrics);
      queueMetrics.register(queue);
      return new Controller({
        name: 'modelversion',
        queue,
        reconcile: mvController.reconcile,
        concurrency: config.concurrency,
        log: log.child({ controller: 'modelversion' }),
        metrics: this.metrics,
      });
    };
    modelVersions.onEvent((type, obj, old) => {
      if (type === 'MODIFIED' && onlyStatusChanged(obj, old)) return;
      if (type !== 'DELETED') this.#controller?.queue.add(objectKey(obj));
    });
    jobs.onEvent((_type, job) => {
      for (const key of mvController.keysForJob(job)) this.#controller?.queue.add(key);
    });

    await this.#serve();
    // Caches fill on every replica, so a new leader starts with warm caches.
    for (const informer of this.#informers) informer.start();
    if (config.leaderElection.enabled) {
      const le = config.leaderElection;
      this.#elector = new LeaderElector({
        client: this.client,
        namespace: config.operatorNamespace,
        name: le.leaseName,
        identity: config.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        log: log.child({ component: 'leader-election' }),
        onLeaderChange: (leader) => this.metrics.leaderStatus.set({ name: le.leaseName }, leader ? 1 : 0),
        onStartedLeading: () => {
          this.#transition = this.#transition.then(() => this.#startControllers());
        },
        onStoppedLeading: () => {
          this.#transition = this.#transition.then(() => this.#stopControllers());
        },
      });
      this.metrics.leaderStatus.set({ name: le.leaseName }, 0);
      this.#elector.start();
    } else {
      await this.#startControllers();
    }
  }

  async #startControllers(): Promise<void> {
    if (this.#stopping || !this.#makeController) return;
    await Promise.all(this.#informers.map((i) => i.waitForSync()));
    if (this.#stopping) return;
    this.#leading = true;
    const [modelVersions] = this.#informers as [Informer<KubeObject>];
    const controller = this.#makeController();
    this.#controller = controller;
    controller.start();
    // Everything in the cache is reconciled once on becoming leader, then every resync period.
    const enqueueAll = () => {
      for (const key of modelVersions.cache.keys()) controller.queue.add(key);
    };
    enqueueAll();
    this.#resync = setInterval(enqueueAll, this.config.resyncPeriodMs);
    this.log.info({ objects: modelVersions.cache.size }, 'controllers started');
  }

  /** Stops the workers (after the reconciles in flight); the caches keep running. */
  async #stopControllers(): Promise<void> {
    this.#leading = false;
    clearInterval(this.#resync);
    const controller = this.#controller;
    this.#controller = undefined;
    await controller?.stop();
    this.log.warn('controllers stopped until this replica leads again');
  }

  async #serve(): Promise<void> {
    const probes = parseBindAddress(this.config.healthProbeBindAddress);
    const metrics = parseBindAddress(this.config.metricsBindAddress);
    const informers = () => this.#informers;
    if (probes) {
      const { server, address } = await serveProbes(probes, {
        healthz: {
          ping: () => undefined,
          watches: () => {
            const stale = informers().filter(
              (i) => i.failing && Date.now() - i.lastActivity > unhealthyAfterMs,
            );
            return stale.length
              ? `no successful list/watch for ${stale.map((i) => i.path).join(', ')}`
              : undefined;
          },
        },
        readyz: {
          caches: () => {
            const pending = informers().filter((i) => !i.synced);
            return pending.length ? `caches not synced: ${pending.map((i) => i.path).join(', ')}` : undefined;
          },
        },
      });
      this.#servers.push(server);
      this.log.info({ address: `${address.address}:${address.port}` }, 'serving /healthz and /readyz');
    }
    if (metrics) {
      const { server, address } = await serveMetrics(metrics, this.metrics.registry);
      this.#servers.push(server);
      this.log.info({ address: `${address.address}:${address.port}` }, 'serving /metrics');
    }
  }

  /**
   * Graceful shutdown: stop taking work, wait (up to the shutdown timeout) for reconciles in flight
   * and Events being sent, stop the watches, release the Lease, close the endpoints.
   */
  override stop(): void {
    void this.shutdown();
  }

  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#resync);
      const drained = this.#transition.then(() => this.#controller?.stop()).then(() => this.#events?.flush());
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolve) =>
          setTimeout(() => resolve(true), this.config.shutdownTimeoutMs).unref(),
        ),
      ]);
      if (timedOut) this.log.warn('shutdown timeout: reconciles still running are abandoned');
      await Promise.all(this.#informers.map((i) => i.stop()));
      await this.#elector?.stop();
      this.#leading = false;
      for (const server of this.#servers) {
        server.closeAllConnections();
        server.close();
      }
      this.client.close();
      super.stop();
    })();
    return this.#stopping;
  }
}
