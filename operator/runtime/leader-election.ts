// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: try every retryPeriod;
// take the lease when it is free or its holder has not renewed it for leaseDuration (measured on our
// own clock from when we last saw it change, so clock skew between nodes does not matter); renew as
// leader, and give up leadership when renewals fail for renewDeadline. Every write is guarded by
// the Lease's resourceVersion, so two candidates can never both win. After losing the lease the
// elector stays a candidate (the owner stops its controllers meanwhile), so an API server outage
// longer than the renew deadline costs a pause, not a process restart. The lease is released on
// shutdown so a successor need not wait out the duration.
import type { Logger } from 'pino';
import { sleep } from './clock.ts';
import { isConflict, isNotFound, type KubeClient } from './kube-client.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Called once when this process becomes the leader. */
  onStartedLeading: () => void;
  /** Called when leadership is lost (not on release); the elector keeps trying to get it back. */
  onStoppedLeading: () => void;
  onLeaderChange?: (isLeader: boolean) => void;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const micro = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #abort = new AbortController();
  #leading = false;
  #lease: Lease | undefined;
  /** The lease record last seen and when (our clock). */
  #observed: { record: string; at: number } | undefined;
  #running: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    if (
      !(
        options.leaseDurationMs > options.renewDeadlineMs &&
        options.renewDeadlineMs > 1.2 * options.retryPeriodMs
      )
    )
      throw new Error('leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod');
    this.#o = options;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Stops trying, and releases the lease if we hold it. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
    if (this.#leading) await this.#release();
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`;
  }

  async #run(): Promise<void> {
    const { log, retryPeriodMs, renewDeadlineMs } = this.#o;
    const signal = this.#abort.signal;
    let lastRenew = Date.now();
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew();
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'lease request failed');
      }
      if (signal.aborted) break;
      if (ok) {
        lastRenew = Date.now();
        if (!this.#leading) {
          this.#leading = true;
          log.info({ lease: this.#o.name, identity: this.#o.identity }, 'became leader');
          this.#o.onLeaderChange?.(true);
          this.#o.onStartedLeading();
        }
      } else if (this.#leading && Date.now() - lastRenew > renewDeadlineMs) {
        this.#leading = false;
        log.error(
          { lease: this.#o.name },
          'leadership lost: the lease was not renewed within the renew deadline',
        );
        this.#o.onLeaderChange?.(false);
        this.#o.onStoppedLeading();
      }
      await sleep(retryPeriodMs * (this.#leading ? 1 : 1 + Math.random() * 0.2), signal);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, name, identity, leaseDurationMs } = this.#o;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await client.request<Lease>('GET', `${this.#path}/${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        this.#lease = await client.request<Lease>('POST', this.#path, {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace: this.#o.namespace },
            spec: this.#spec(now, now, 0),
          },
        });
        return true;
      } catch (createError) {
        if (isConflict(createError)) return false;
        throw createError;
      }
    }
    const record = JSON.stringify(lease.spec);
    if (this.#observed?.record !== record) this.#observed = { record, at: now.getTime() };
    const holder = lease.spec.holderIdentity;
    const mine = holder === identity;
    const expired =
      !holder ||
      now.getTime() >
        (this.#observed?.at ?? 0) + (lease.spec.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    if (!mine && !expired) return false;
    const transitions = (lease.spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquire = mine && lease.spec.acquireTime ? new Date(lease.spec.acquireTime) : now;
    try {
      this.#lease = await client.request<Lease>('PUT', `${this.#path}/${name}`, {
        body: { ...lease, spec: this.#spec(now, acquire, transitions) },
      });
      this.#observed = { record: JSON.stringify(this.#lease.spec), at: now.getTime() };
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  #spec(now: Date, acquired: Date, transitions: number): Lease['spec'] {
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.round(this.#o.leaseDurationMs / 1000),
      acquireTime: micro(acquired),
      renewTime: micro(now),
      leaseTransitions: transitions,
    };
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    this.#leading = false;
    this.#o.onLeaderChange?.(false);
    if (!lease) return;
    try {
      // As client-go does: an empty holder and a 1 s duration, so a successor takes it at once.
      await this.#o.client.request('PUT', `${this.#path}/${this.#o.name}`, {
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: undefined,
            leaseDurationSeconds: 1,
            renewTime: micro(new Date()),
          },
        },
      });
      this.#o.log.info({ lease: this.#o.name }, 'lease released');
    } catch (error) {
      this.#o.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'could not release the lease',
      );
    }
  }
}
