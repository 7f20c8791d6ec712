// Leader election on the real API server when the leader's connection to it hangs: a TCP proxy
// between the elector's client and the API server is frozen once the elector leads (bytes are
// accepted, nothing is forwarded). The leader must give up on time, its term's fenced client must
// write nothing after that, stop() must not hang, and a second candidate must take over after the
// lease duration. Short durations (3 s / 2 s / 0.5 s) keep it to seconds.
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, FencedError, KubeClient } from '../../../operator/runtime/kube-client.ts';
import { LeaderElector } from '../../../operator/runtime/leader-election.ts';
import { kubeConfig, uniqueName } from '../clients.ts';
import { startTcpProxy } from '../tcp-proxy.ts';

const LEASE_DURATION_MS = 3000;
const RENEW_DEADLINE_MS = 2000;
const RETRY_PERIOD_MS = 500;
const LEASE = 'bosun-operator';

/** A TCP proxy to the API server that can be frozen: then it keeps accepting bytes and forwards none. */
async function freezableProxy(target: URL) {
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  return { url: `https://127.0.0.1:${proxy.port}`, freeze: proxy.freeze, close: proxy.close };
}

/** The test cluster's kubeconfig, pointed at `server`. */
function kubeConfigVia(server: string): KubeConfig {
  const direct = kubeConfig();
  const via = new KubeConfig();
  via.loadFromOptions({
    clusters: direct.clusters.map((c) => ({ ...c, server })),
    users: direct.users,
    contexts: direct.contexts,
    currentContext: direct.currentContext,
  });
  return via;
}

interface Lease {
  metadata: { resourceVersion: string };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number };
}

/**
 * `client`, recording when each attempt on the lease began (its GET) and when one succeeded (its
 * PUT answered): the elector ends a term at the start of its last successful attempt plus the renew
 * deadline, and that start is what the loss is measured from (not the freeze, which a loaded machine
 * may reach well after the last renewal began).
 */
function recordingLeaseAttempts(client: ApiClient) {
  const attempts = { lastStart: 0, lastSucceededStart: 0 };
  const recording: ApiClient = {
    async request<T>(
      method: string,
      path: string,
      options?: Parameters<ApiClient['request']>[2],
    ): Promise<T> {
      const at = performance.now();
      if (method === 'GET' && path.includes('/leases/')) attempts.lastStart = at;
      const started = attempts.lastStart;
      const answer = await client.request<T>(method, path, options);
      if ((method === 'PUT' || method === 'POST') && path.includes('/leases'))
        attempts.lastSucceededStart = started;
      return answer;
    },
  };
  return { recording, attempts };
}

/** An elector and a record of what it reported, with times (performance.now()). */
function candidate(client: ApiClient, namespace: string, identity: string) {
  const record = { started: [] as number[], stopped: [] as number[] };
  let term: AbortSignal | undefined;
  const elector = new LeaderElector({
    client,
    namespace,
    name: LEASE,
    identity,
    leaseDurationMs: LEASE_DURATION_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_PERIOD_MS,
    log: pino({ level: 'silent' }),
    onStartedLeading: (signal) => {
      term = signal;
      record.started.push(performance.now());
    },
    onStoppedLeading: () => record.stopped.push(performance.now()),
  });
  return { elector, record, term: () => term };
}

const admin = new KubeClient(kubeConfig());
const namespace = uniqueName('leader-election');
let proxy: Awaited<ReturnType<typeof freezableProxy>>;

beforeAll(async () => {
  await admin.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  proxy = await freezableProxy(admin.server);
});

afterAll(async () => {
  await proxy?.close();
  await admin.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
  admin.close();
});

describe('a leader whose API server connection hangs', () => {
  it('loses leadership on time, writes nothing after, stops promptly, and is succeeded', async () => {
    const proxied = new KubeClient(kubeConfigVia(proxy.url));
    const direct = new KubeClient(kubeConfig());
    const aLease = recordingLeaseAttempts(proxied);
    const a = candidate(aLease.recording, namespace, 'replica-a');
    const b = candidate(direct, namespace, 'replica-b');
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${LEASE}`;
    const configMaps = `/api/v1/namespaces/${namespace}/configmaps`;

    a.elector.start();
    await expect.poll(() => a.elector.isLeader, { timeout: 10_000 }).toBe(true);
    const term = a.term() as AbortSignal;
    expect(term.aborted).toBe(false);
    expect(a.elector.leadershipSignal).toBe(term);
    // Writes made on behalf of A's term: one on a connection that keeps working, one through the
    // proxy that is about to freeze.
    const fencedDirect = direct.fenced(term);
    const fencedProxied = proxied.fenced(term);
    await fencedDirect.request('POST', configMaps, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'work' }, data: { by: 'replica-a' } },
    });
    b.elector.start();
    // B sees A's lease and waits.
    await new Promise((r) => setTimeout(r, 2 * RETRY_PERIOD_MS));
    expect(b.elector.isLeader).toBe(false);

    proxy.freeze();
    const frozenAt = performance.now();
    const hungWrite = fencedProxied
      .request('PUT', `${configMaps}/work`, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'work' }, data: { by: 'hung' } },
      })
      .then(
        () => ({ error: undefined, at: performance.now() }),
        (error: unknown) => ({ error, at: performance.now() }),
      );

    // Leadership ends the renew deadline after the start of the last successful renewal (not
    // earlier), and within the lease duration of the freeze.
    await expect.poll(() => a.record.stopped.length, { timeout: LEASE_DURATION_MS + 1000 }).toBe(1);
    const lostAt = a.record.stopped[0] as number;
    expect(lostAt - frozenAt).toBeLessThan(LEASE_DURATION_MS);
    const sinceRenewal = lostAt - aLease.attempts.lastSucceededStart;
    expect(sinceRenewal).toBeGreaterThanOrEqual(RENEW_DEADLINE_MS - 50);
    expect(sinceRenewal).toBeLessThan(RENEW_DEADLINE_MS + 500);
    expect(a.elector.isLeader).toBe(false);
    expect(term.aborted).toBe(true);
    expect(a.elector.leadershipSignal.aborted).toBe(true);

    // The write in flight through the frozen connection was cut off when the term ended.
    const hung = await hungWrite;
    expect(hung.error).toBeInstanceOf(FencedError);
    expect(hung.at - (a.record.stopped[0] as number)).toBeLessThan(200);
    // A write of the ended term over a working connection is refused before it is sent.
    const late = await fencedDirect
      .request('PUT', `${configMaps}/work`, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'work' }, data: { by: 'late' } },
      })
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(FencedError);
    expect((late as Error).message).toContain('leadership lost');
    const work = await admin.request<{ data: Record<string, string> }>('GET', `${configMaps}/work`);
    expect(work.data).toEqual({ by: 'replica-a' });

    // B takes the lease once A's record has stood unrenewed for the lease duration.
    await expect.poll(() => b.elector.isLeader, { timeout: LEASE_DURATION_MS + 3000 }).toBe(true);
    const tookAfter = (b.record.started[0] as number) - frozenAt;
    expect(tookAfter).toBeGreaterThan(LEASE_DURATION_MS - RETRY_PERIOD_MS - 500);
    expect(b.record.started[0]).toBeGreaterThan(a.record.stopped[0] as number);
    expect((await admin.request<Lease>('GET', leasePath)).spec.holderIdentity).toBe('replica-b');

    // A's stop() is bounded although its API server never answers: the release has its own deadline
    // (renewDeadline / 2), and cannot take the lease back from B.
    const stopping = performance.now();
    await a.elector.stop();
    expect(performance.now() - stopping).toBeLessThan(RENEW_DEADLINE_MS / 2 + 500);
    expect((await admin.request<Lease>('GET', leasePath)).spec.holderIdentity).toBe('replica-b');

    // B releases on stop, so a successor need not wait.
    const bTerm = b.elector.leadershipSignal;
    await b.elector.stop();
    expect(bTerm.aborted).toBe(true);
    const released = await admin.request<Lease>('GET', leasePath);
    expect(released.spec.holderIdentity).toBeUndefined();
    expect(released.spec.leaseDurationSeconds).toBe(1);
    expect(b.record.stopped).toEqual([]);
    proxied.close();
    direct.close();
  });
});
