// The informer against a local HTTP server that misbehaves the ways a real API server can: a 410
// right after every relist, or a watch closed as soon as it opens. Neither may turn into a loop
// without delay; a watch that lived normally is resumed at once.
import http from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../../../operator/runtime/informer.ts';
import { KubeClient } from '../../../operator/runtime/kube-client.ts';
import type { KubeObject } from '../../../operator/runtime/kube-object.ts';
import { localKubeConfig } from './local-kubeconfig.ts';

const PATH = '/apis/example.dev/v1/namespaces/n/things';
const GONE = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Expired',
  code: 410,
  message: 'too old',
};

interface Request {
  watch: boolean;
  at: number;
}

type WatchAnswer = (res: http.ServerResponse, n: number) => void;

let server: http.Server | undefined;
let informer: Informer<KubeObject> | undefined;

afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** Lists answer with no items; the n-th watch (from 0) is answered by `watch`. */
async function start(watch: WatchAnswer): Promise<Request[]> {
  const requests: Request[] = [];
  let watches = 0;
  server = http.createServer((req, res) => {
    const isWatch = new URL(req.url ?? '', 'http://x').searchParams.get('watch') === 'true';
    requests.push({ watch: isWatch, at: performance.now() });
    if (isWatch) return watch(res, watches++);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ThingList', metadata: { resourceVersion: '10' }, items: [] }));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const kc = localKubeConfig(server);
  informer = new Informer<KubeObject>({
    client: new KubeClient(kc),
    path: PATH,
    apiVersion: 'example.dev/v1',
    kind: 'Thing',
    log: pino({ level: 'silent' }),
  });
  informer.start();
  return requests;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const gone: WatchAnswer = (res) => {
  res.writeHead(410, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(GONE));
};
const goneInStream: WatchAnswer = (res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify({ type: 'ERROR', object: GONE })}\n`);
};
const closeAtOnce: WatchAnswer = (res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
};

describe('Informer backoff', () => {
  // Delays of at least 0.8 s and 1.6 s: no more than three list+watch rounds fit in 2.5 s (a loop
  // without delay makes thousands).
  it.each([
    ['an HTTP 410 on every watch after a relist', gone],
    ['an in-stream 410 on every watch after a relist', goneInStream],
  ])('bounds the relists after %s', async (_name, answer) => {
    const requests = await start(answer);
    await sleep(2500);
    const lists = requests.filter((r) => !r.watch).length;
    expect(lists).toBeGreaterThanOrEqual(2);
    expect(lists).toBeLessThanOrEqual(3);
    expect(requests.length).toBeLessThanOrEqual(6);
  });

  it('bounds the watches a server closes at once, resuming without a relist', async () => {
    const requests = await start(closeAtOnce);
    await sleep(2500);
    expect(requests.filter((r) => !r.watch)).toHaveLength(1);
    const watches = requests.filter((r) => r.watch).length;
    expect(watches).toBeGreaterThanOrEqual(2);
    expect(watches).toBeLessThanOrEqual(3);
  });

  it('resumes at once after a watch that lived normally, and starts the backoff over', async () => {
    // Watch 0 closes at once, watch 1 lives 1.2 s, watch 2 closes at once, watch 3 stays open.
    const requests = await start((res, n) => {
      if (n === 0 || n === 2) return closeAtOnce(res, n);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('\n');
      if (n === 1) setTimeout(() => res.end(), 1200);
    });
    await expect.poll(() => requests.filter((r) => r.watch).length, { timeout: 8000 }).toBe(4);
    const [w0, w1, w2, w3] = requests.filter((r) => r.watch).map((r) => r.at) as [
      number,
      number,
      number,
      number,
    ];
    // First delay of the backoff: [0.8, 1.6) s.
    expect(w1 - w0).toBeGreaterThanOrEqual(790);
    expect(w1 - w0).toBeLessThan(1600);
    // No delay after the normal watch ended (1.2 s after it started); a backoff would be ≥ 0.8 s.
    expect(w2 - w1 - 1200).toBeLessThan(700);
    // The short watch after it waits the first delay again, not the second ([1.6, 3.2) s).
    expect(w3 - w2).toBeGreaterThanOrEqual(790);
    expect(w3 - w2).toBeLessThan(1600);
  }, 10_000);
});
