// The operator process: the controller manager. It builds on @dot-i/k8s-operator's Operator class
// for its lifecycle only (start() → init(), the kubeConfig it holds); that class's watches, status
// and finalizer helpers are not used, because they exit the process on any watch error, watch
// without resourceVersion, drop failed events, and (on client-node 2.x) build request URLs from a
// field that no longer exists (docs/decisions/0001-controller-runtime.md). In their place: supervised
// informers, a work queue per controller, leader election, probes and metrics, graceful shutdown.
//
// The manager knows no kind: it turns each controller's declaration (operator/controllers/index.ts)
// into shared informers, a queue, workers and a resync timer.
import DotiOperator from '@dot-i/k8s-operator';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { controllers as allControllers } from './controllers/index.ts';
import { realClock } from './runtime/clock.ts';
import { Controller, type Reconciler } from './runtime/controller.ts';
import {
  type ControllerSetup,
  collectionPath,
  type KindRef,
  type SetupContext,
  specOrMetadataChanged,
} from './runtime/controller-setup.ts';
import { EventRecorder } from './runtime/events.ts';
import { parseBindAddress, serveMetrics, serveProbes } from './runtime/http-endpoints.ts';
import { Informer } from './runtime/informer.ts';
import { KubeClient } from './runtime/kube-client.ts';
import { type KubeObject, objectKey } from './runtime/kube-object.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { OperatorMetrics } from './runtime/metrics.ts';
import type { ObjectCache } from './runtime/object-cache.ts';
import { defaultControllerRateLimiter } from './runtime/rate-limiter.ts';
import { WorkQueue } from './runtime/work-queue.ts';

// @dot-i/k8s-operator is CommonJS with `exports.default`: Node's ESM loader puts the class on
// .default, a bundler's interop (vitest) hands over the class itself.
const OperatorBase =
  (DotiOperator as unknown as { default?: typeof DotiOperator.default }).default ??
  (DotiOperator as unknown as typeof DotiOperator.default);

/** A watch silent for longer than this makes /healthz fail (the watchdog should have resumed it). */
const UNHEALTHY_AFTER_MS = 10 * 60_000;

/** A declared controller with its reconcile function, and its workers while this replica leads. */
interface Registered {
  setup: ControllerSetup;
  reconcile: Reconciler;
  primary: Informer<KubeObject>;
  running?: Controller;
  resync?: NodeJS.Timeout;
}

export class OperatorManager extends OperatorBase {
  readonly config: OperatorConfig;
  readonly metrics = new OperatorMetrics();
  readonly client: KubeClient;
  readonly log: Logger;
  readonly #setups: readonly ControllerSetup[];
  /** One informer per kind (path + selector), shared by every controller that declares it. */
  readonly #informers = new Map<string, Informer<KubeObject>>();
  #registered: Registered[] = [];
  /** Aborted when shutdown stops waiting: closes the fence of whatever term is current. */
  readonly #shutdownFence = new AbortController();
  /** Leadership changes are applied one after another (start after a stop has finished). */
  #transition: Promise<void> = Promise.resolve();
  #elector: LeaderElector | undefined;
  #events: EventRecorder | undefined;
  #servers: import('node:http').Server[] = [];
  #stopping: Promise<void> | undefined;
  #leading = false;

  constructor(
    config: OperatorConfig,
    kubeConfig: KubeConfig,
    log: Logger,
    setups: readonly ControllerSetup[] = allControllers,
  ) {
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
    this.#setups = setups;
    const host = new URL(kubeConfig.getCurrentCluster()?.server ?? 'http://unknown').host;
    this.client = new KubeClient(kubeConfig, (method, code, _seconds, path) =>
      this.metrics.observeRequest(host, method, code, path),
    );
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  #informer(kind: KindRef): Informer<KubeObject> {
    const namespace = kind.scope === 'operator' ? this.config.operatorNamespace : this.config.watchNamespace;
    const path = collectionPath(kind, namespace || undefined);
    const id = `${path}?${kind.labelSelector ?? ''}`;
    let informer = this.#informers.get(id);
    if (!informer) {
      informer = new Informer<KubeObject>({
        client: this.client,
        path,
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        ...(kind.labelSelector ? { labelSelector: kind.labelSelector } : {}),
        log: this.log.child({ informer: kind.plural }),
      });
      this.#informers.set(id, informer);
    }
    return informer;
  }

  /** Informers, caches and event routing for one declared controller. */
  #register(setup: ControllerSetup, events: EventRecorder): Registered {
    const log = this.log.child({ controller: setup.name });
    const context: SetupContext = {
      config: this.config,
      // Informers hold objects of the kind they were declared with; the cast names that kind.
      cache: <T extends KubeObject>(kind: KindRef) => this.#informer(kind).cache as unknown as ObjectCache<T>,
      events,
      log,
    };
    const primary = this.#informer(setup.for);
    const registered: Registered = { setup, reconcile: setup.build(context), primary };
    const enqueue = (key: string) => registered.running?.queue.add(key);
    const predicate = setup.predicate ?? specOrMetadataChanged;
    // Deletions need no reconcile: cleanup runs on the finalizer, which a delete event would miss.
    primary.onEvent((type, obj, old) => {
      if (type !== 'DELETED' && predicate(obj, old)) enqueue(objectKey(obj));
    });
    for (const declared of [...(setup.owns ?? []), ...(setup.watches ?? [])])
      this.#informer(declared.kind).onEvent((_type, obj) => {
        for (const key of declared.map(obj, context)) enqueue(key);
      });
    return registered;
  }

  protected override async init(): Promise<void> {
    const { config, log } = this;
    this.#events = new EventRecorder(this.client, {
      controller: 'bosun.dev/operator',
      instance: config.identity,
      log: log.child({ component: 'events' }),
    });
    const events = this.#events;
    this.#registered = this.#setups.map((setup) => this.#register(setup, events));

    await this.#serve();
    // Caches fill on every replica, so a new leader starts with warm caches.
    for (const informer of this.#informers.values()) informer.start();
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
        // The term's signal closes the fence the moment leadership ends, before the workers have
        // drained: a lost lease means another replica may already be writing.
        onStartedLeading: (term) => {
          this.#transition = this.#transition.then(() => this.#startControllers(term));
        },
        onStoppedLeading: () => {
          this.#transition = this.#transition.then(() => this.#stopControllers());
        },
      });
      this.metrics.leaderStatus.set({ name: le.leaseName }, 0);
      this.#elector.start();
    } else {
      await this.#startControllers(new AbortController().signal);
    }
  }

  async #startControllers(term: AbortSignal): Promise<void> {
    if (this.#stopping || this.#registered.length === 0) return;
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync()));
    if (this.#stopping) return;
    this.#leading = true;
    const signal = AbortSignal.any([term, this.#shutdownFence.signal]);
    const context = { signal, client: this.client.fenced(signal) };
    for (const r of this.#registered) {
      const { name } = r.setup;
      const queueMetrics = this.metrics.workQueue(name);
      const queue = new WorkQueue(realClock, defaultControllerRateLimiter(realClock), queueMetrics);
      queueMetrics.register(queue);
      const controller = new Controller({
        name,
        queue,
        reconcile: r.reconcile,
        context,
        ...(r.setup.errorPolicy ? { errorPolicy: r.setup.errorPolicy } : {}),
        concurrency: this.config.concurrency,
        log: this.log.child({ controller: name }),
        metrics: this.metrics,
      });
      r.running = controller;
      controller.start();
      // Everything in the cache is reconciled once on becoming leader, then every resync period.
      const enqueueAll = () => {
        for (const key of r.primary.cache.keys()) controller.queue.add(key);
      };
      enqueueAll();
      r.resync = setInterval(enqueueAll, r.setup.resyncMs ?? this.config.resyncPeriodMs);
    }
    this.log.info(
      { controllers: this.#registered.map((r) => `${r.setup.name} (${r.primary.cache.size})`) },
      'controllers started',
    );
  }

  /** Stops the workers (after the reconciles in flight); the caches keep running. */
  async #stopControllers(): Promise<void> {
    this.#leading = false;
    await this.#drain();
    this.log.warn('controllers stopped until this replica leads again');
  }

  async #drain(): Promise<void> {
    const running = this.#registered.map((r) => {
      clearInterval(r.resync);
      const controller = r.running;
      r.running = undefined;
      return controller?.stop();
    });
    await Promise.all(running);
  }

  async #serve(): Promise<void> {
    const probes = parseBindAddress(this.config.healthProbeBindAddress);
    const metrics = parseBindAddress(this.config.metricsBindAddress);
    const informers = () => [...this.#informers.values()];
    if (probes) {
      const { server, address } = await serveProbes(probes, {
        healthz: {
          ping: () => undefined,
          watches: () => {
            const stale = informers().filter(
              (i) => i.failing && Date.now() - i.lastActivity > UNHEALTHY_AFTER_MS,
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
   * and Events being sent, then close the fence so nothing abandoned writes, stop the watches,
   * release the Lease, close the endpoints.
   */
  override stop(): void {
    void this.shutdown();
  }

  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const r of this.#registered) clearInterval(r.resync);
      const drained = this.#transition.then(() => this.#drain()).then(() => this.#events?.flush());
      const timedOut = await Promise.race([
        drained.then(() => false),
        new Promise<boolean>((resolve) =>
          setTimeout(() => resolve(true), this.config.shutdownTimeoutMs).unref(),
        ),
      ]);
      this.#shutdownFence.abort();
      if (timedOut) this.log.warn('shutdown timeout: reconciles still running are abandoned and fenced');
      await Promise.all([...this.#informers.values()].map((i) => i.stop()));
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
