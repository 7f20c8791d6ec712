// KubeClient against a local HTTP server standing in for the API server: what its fence lets
// through, refuses and cuts off.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FencedError, KubeApiError, KubeClient } from '../../../operator/runtime/kube-client.ts';
import { localKubeConfig } from './local-kubeconfig.ts';

interface Seen {
  method: string;
  url: string;
  closedEarly: boolean;
}

let server: http.Server | undefined;

const unexpected = (): never => {
  throw new Error('expected the request to fail');
};

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server that answers each request with `answer`, or never when it returns undefined. */
async function serve(answer: (req: http.IncomingMessage) => { status: number; body: unknown } | undefined) {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', closedEarly: false };
    seen.push(entry);
    res.on('close', () => {
      if (!res.writableEnded) entry.closedEarly = true;
    });
    req.resume();
    req.on('end', () => {
      const a = answer(req);
      if (!a) return;
      res.writeHead(a.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const kc = localKubeConfig(server);
  const observed: string[] = [];
  const client = new KubeClient(kc, (method, code, _seconds, path) =>
    observed.push(`${method} ${path} ${code}`),
  );
  return { client, seen, observed };
}

describe('KubeClient.fenced', () => {
  it('passes requests through while the fence is open, API errors included', async () => {
    const { client, seen } = await serve((req) =>
      req.method === 'GET'
        ? { status: 200, body: { kind: 'ConfigMap' } }
        : {
            status: 409,
            body: { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' },
          },
    );
    const fenced = client.fenced(new AbortController().signal);
    expect(await fenced.request('GET', '/api/v1/namespaces/a/configmaps/b')).toEqual({ kind: 'ConfigMap' });
    const error = await fenced
      .request('PUT', '/api/v1/namespaces/a/configmaps/b', { body: {} })
      .then(unexpected, (e: Error) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(seen.map((s) => s.method)).toEqual(['GET', 'PUT']);
  });

  it('refuses to start a request once its signal has aborted: nothing reaches the server', async () => {
    const { client, seen, observed } = await serve(() => ({ status: 200, body: {} }));
    const term = new AbortController();
    const fenced = client.fenced(term.signal);
    term.abort(new Error('leadership lost'));
    const error = await fenced
      .request('PATCH', '/api/v1/namespaces/a/configmaps/b', { body: {} })
      .then(unexpected, (e: Error) => e);
    expect(error).toBeInstanceOf(FencedError);
    expect(error.message).toBe('PATCH /api/v1/namespaces/a/configmaps/b not sent: leadership lost');
    // The unfenced client is unaffected.
    await client.request('GET', '/api/v1/namespaces/a/configmaps/b');
    expect(seen.map((s) => s.method)).toEqual(['GET']);
    expect(observed).toEqual(['GET /api/v1/namespaces/a/configmaps/b 200']);
  });

  it('cuts off a request in flight when the signal aborts', async () => {
    const { client, seen } = await serve(() => undefined);
    const term = new AbortController();
    const pending = client
      .fenced(term.signal)
      .request('PUT', '/api/v1/namespaces/a/configmaps/b', { body: { data: { a: '1' } } })
      .then(unexpected, (e: Error) => e);
    await expect.poll(() => seen.length).toBe(1);
    const abortedAt = performance.now();
    term.abort(new Error('leadership lost'));
    const error = await pending;
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(error).toBeInstanceOf(FencedError);
    expect(error.message).toBe(
      'PUT /api/v1/namespaces/a/configmaps/b cut off in flight (it may have reached the API server): leadership lost',
    );
    await expect.poll(() => seen[0]?.closedEarly).toBe(true);
  });

  it('combines the fence with the caller’s own signal', async () => {
    const { client } = await serve(() => undefined);
    const term = new AbortController();
    const error = await client
      .fenced(term.signal)
      .request('GET', '/api/v1/namespaces/a/configmaps/b', { signal: AbortSignal.timeout(100) })
      .then(unexpected, (e: Error) => e);
    // The caller's deadline, not the fence, ended it.
    expect(error).not.toBeInstanceOf(FencedError);
    expect(error.name).toBe('AbortError');
    expect(term.signal.aborted).toBe(false);
  });
});
