// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: try every retryPeriod;
// take the lease when it is free or its holder has not renewed it for leaseDuration (measured on our
// own monotonic clock from when we last saw it change, so clock skew between nodes does not matter);
// renew as leader, and give up leadership when no renewal has succeeded for renewDeadline. Every
// write is guarded by the Lease's resourceVersion, so two candidates can never both win. After
// losing the lease the elector stays a candidate (the owner stops its controllers meanwhile), so an
// API server outage longer than the renew deadline costs a pause, not a process restart. The lease
// is released on shutdown so a successor need not wait out the duration.
//
// Time bounds (docs/decisions/0006-lease-deadlines-and-fencing.md): each attempt (its GET and PUT
// together) and the release have a deadline of renewDeadline/2; leadership ends by a timer at
// (start of the last successful renewal) + renewDeadline, whatever a request is doing then; each
// term has an AbortSignal that aborts when it ends, for fencing the writes made on its behalf.
import type { Logger } from 'pino';
import { sleep } from './clock.ts';
import { type ApiClient, isConflict, isNotFound } from './kube-client.ts';

export interface LeaderElectionOptions {
  client: ApiClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  /** Called once when this process becomes the leader, with the term's signal (see leadershipSignal). */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called when leadership is lost (not on stop); the elector keeps trying to get it back. */
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

const LOST = 'leadership lost: the lease was not renewed within the renew deadline';

const micro = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** A controller already aborted: the signal of "no term" (before the first one, between terms). */
function endedTerm(): AbortController {
  const ended = new AbortController();
  ended.abort(new Error('this replica is not the leader'));
  return ended;
}

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #stop = new AbortController();
  /** The deadline of each attempt and of the release. */
  readonly #requestTimeoutMs: number;
  #leading = false;
  #term = endedTerm();
  /** Fires at (start of the last successful renewal) + renewDeadline and ends the term. */
  #lossTimer: NodeJS.Timeout | undefined;
  /** The lease as we last wrote it. */
  #lease: Lease | undefined;
  /** The lease record last seen and when (performance.now()). */
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
    this.#requestTimeoutMs = options.renewDeadlineMs / 2;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * The current leadership term's signal: a fresh one each time leadership is gained, aborted when
   * it is lost or the elector stops (already aborted while this replica does not lead). Hand it to
   * KubeClient.fenced so no write starts on behalf of a term that has ended.
   */
  get leadershipSignal(): AbortSignal {
    return this.#term.signal;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /**
   * Stops trying, ends the term and releases the lease if we hold it. Bounded even when the API
   * server does not answer: the attempt in flight is aborted and the release has its own deadline.
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    clearTimeout(this.#lossTimer);
    const wasLeading = this.#leading;
    this.#leading = false;
    this.#term.abort(new Error('the operator is shutting down'));
    if (wasLeading) this.#o.onLeaderChange?.(false);
    if (this.#lease?.spec.holderIdentity === this.#o.identity) await this.#release(this.#lease);
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`;
  }

  async #run(): Promise<void> {
    const { log, retryPeriodMs } = this.#o;
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const started = performance.now();
      const deadline = AbortSignal.timeout(this.#requestTimeoutMs);
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew(AbortSignal.any([stop, deadline]));
      } catch (error) {
        if (stop.aborted) break;
        log.warn({ err: this.#describe(error, deadline) }, 'lease request failed');
      }
      if (stop.aborted) break;
      if (ok) this.#renewed(started);
      await sleep(retryPeriodMs * (this.#leading ? 1 : 1 + Math.random() * 0.2), stop);
    }
  }

  /** A renewal that started at `at` succeeded: start a term if there is none, move the loss timer. */
  #renewed(at: number): void {
    if (!this.#leading) {
      this.#leading = true;
      this.#term = new AbortController();
      this.#o.log.info({ lease: this.#o.name, identity: this.#o.identity }, 'became leader');
      this.#o.onLeaderChange?.(true);
      this.#o.onStartedLeading(this.#term.signal);
    }
    clearTimeout(this.#lossTimer);
    // From the start of the attempt: others count the lease duration from when they saw this
    // renewal, which is later, so the term always ends before a successor can begin.
    this.#lossTimer = setTimeout(() => this.#lose(), at + this.#o.renewDeadlineMs - performance.now());
  }

  #lose(): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#term.abort(new Error(LOST));
    this.#o.log.error({ lease: this.#o.name }, LOST);
    this.#o.onLeaderChange?.(false);
    this.#o.onStoppedLeading();
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, name, identity, leaseDurationMs } = this.#o;
    const now = new Date();
    const seenAt = performance.now();
    let lease: Lease;
    try {
      lease = await client.request<Lease>('GET', `${this.#path}/${name}`, { signal });
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
          signal,
        });
        return true;
      } catch (createError) {
        if (isConflict(createError)) return false;
        throw createError;
      }
    }
    const record = JSON.stringify(lease.spec);
    if (this.#observed?.record !== record) this.#observed = { record, at: seenAt };
    const holder = lease.spec.holderIdentity;
    const mine = holder === identity;
    const expired =
      !holder ||
      seenAt > (this.#observed?.at ?? 0) + (lease.spec.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    if (!mine && !expired) return false;
    const transitions = (lease.spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquire = mine && lease.spec.acquireTime ? new Date(lease.spec.acquireTime) : now;
    try {
      this.#lease = await client.request<Lease>('PUT', `${this.#path}/${name}`, {
        body: { ...lease, spec: this.#spec(now, acquire, transitions) },
        signal,
      });
      this.#observed = { record: JSON.stringify(this.#lease.spec), at: seenAt };
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  #describe(error: unknown, deadline: AbortSignal): string {
    if (deadline.aborted) return `no answer within ${this.#requestTimeoutMs / 1000} s`;
    return error instanceof Error ? error.message : String(error);
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

  /**
   * Guarded by resourceVersion: a lease someone else has taken since is left alone. A renewal that
   * stop() aborted may still have reached the API server, leaving our copy one version behind; on a
   * conflict the lease is read again and released if it is still ours.
   */
  async #release(lease: Lease): Promise<void> {
    const deadline = AbortSignal.timeout(this.#requestTimeoutMs);
    const path = `${this.#path}/${this.#o.name}`;
    const put = (current: Lease) =>
      // As client-go does: an empty holder and a 1 s duration, so a successor takes it at once.
      this.#o.client.request('PUT', path, {
        body: {
          ...current,
          spec: {
            ...current.spec,
            holderIdentity: undefined,
            leaseDurationSeconds: 1,
            renewTime: micro(new Date()),
          },
        },
        signal: deadline,
      });
    try {
      try {
        await put(lease);
      } catch (error) {
        if (!isConflict(error)) throw error;
        const current = await this.#o.client.request<Lease>('GET', path, { signal: deadline });
        if (current.spec.holderIdentity !== this.#o.identity) return;
        await put(current);
      }
      this.#lease = undefined;
      this.#o.log.info({ lease: this.#o.name }, 'lease released');
    } catch (error) {
      this.#o.log.warn({ err: this.#describe(error, deadline) }, 'could not release the lease');
    }
  }
}
