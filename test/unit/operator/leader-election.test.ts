// The elector's time bounds against a local HTTP server that creates the Lease once and then never
// answers again: leadership must end on its timer although every request hangs, and stop() must
// return within the release's deadline. (test/integration/operator/leader-election.test.ts runs
// the same failure against the real API server.)
import http from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { LeaderElector } from '../../../operator/runtime/leader-election.ts';
import { localKubeConfig } from './local-kubeconfig.ts';

const RENEW_DEADLINE_MS = 1000;

let server: http.Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** GET: 404; the first POST: 201; anything after that: no answer. */
async function hangAfterCreate(): Promise<{ client: KubeClient; requests: string[] }> {
  const requests: string[] = [];
  server = http.createServer((req, res) => {
    requests.push(req.method ?? '');
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const created = requests.filter((m) => m === 'POST').length === 1 && req.method === 'POST';
      if (req.method === 'GET' && !requests.includes('POST')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' }));
      } else if (created) {
        const lease = JSON.parse(body) as { metadata: Record<string, unknown> };
        lease.metadata.resourceVersion = '1';
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(lease));
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const kc = localKubeConfig(server);
  return { client: new KubeClient(kc), requests };
}

describe('LeaderElector', () => {
  it('ends the term by the renew deadline while a renewal hangs, and stops within the release deadline', async () => {
    const { client, requests } = await hangAfterCreate();
    const events: { what: string; at: number }[] = [];
    let term: AbortSignal | undefined;
    const elector = new LeaderElector({
      client,
      namespace: 'n',
      name: 'lease',
      identity: 'me',
      leaseDurationMs: 1500,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: 200,
      log: pino({ level: 'silent' }),
      onStartedLeading: (signal) => {
        term = signal;
        events.push({ what: 'started', at: performance.now() });
      },
      onStoppedLeading: () => events.push({ what: 'stopped', at: performance.now() }),
    });
    expect(elector.leadershipSignal.aborted).toBe(true);
    const started = performance.now();
    elector.start();
    await expect.poll(() => events.length).toBe(1);
    expect(term?.aborted).toBe(false);
    await expect.poll(() => events.length, { timeout: 3000 }).toBe(2);
    const [lead, lost] = events.map((e) => e.at) as [number, number];
    // The timer runs from the start of the attempt that created the lease.
    expect(lost - started).toBeGreaterThanOrEqual(RENEW_DEADLINE_MS - 5);
    expect(lost - lead).toBeLessThan(RENEW_DEADLINE_MS + 200);
    expect(term?.aborted).toBe(true);
    expect(term?.reason).toMatchObject({ message: expect.stringContaining('leadership lost') });
    expect(elector.isLeader).toBe(false);
    // Renewals were attempted and hung meanwhile.
    expect(requests.filter((m) => m === 'GET').length).toBeGreaterThan(1);

    // The lease still names us, so stop() tries to release it; the server never answers.
    const stopping = performance.now();
    await elector.stop();
    expect(performance.now() - stopping).toBeLessThan(RENEW_DEADLINE_MS / 2 + 300);
    expect(requests.at(-1)).toBe('PUT');
    client.close();
  });
});
