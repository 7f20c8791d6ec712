import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../../operator/runtime/bounded-map.ts';
import {
  backoff,
  Controller,
  type ReconcileContext,
  type ReconcileOutcome,
  requeueAfter,
  sooner,
  TerminalError,
  waitForChange,
} from '../../../operator/runtime/controller.ts';
import { KubeApiError } from '../../../operator/runtime/kube-client.ts';
import { OperatorMetrics } from '../../../operator/runtime/metrics.ts';
import { defaultControllerRateLimiter } from '../../../operator/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../operator/runtime/work-queue.ts';
import { FakeClock } from './fake-clock.ts';
import { RecordingClient } from './recording-client.ts';

describe('reconcile outcomes', () => {
  it('pick the soonest next visit', () => {
    expect(sooner(waitForChange(), requeueAfter(5))).toEqual(requeueAfter(5));
    expect(sooner(requeueAfter(9), requeueAfter(5))).toEqual(requeueAfter(5));
    expect(sooner(requeueAfter(9), backoff())).toEqual(backoff());
    expect(sooner(waitForChange(), waitForChange())).toEqual(waitForChange());
    expect(requeueAfter(0)).toEqual(backoff());
  });
});

/** Runs one reconcile of `key` through a Controller and reports what the queue was told. */
async function runOnce(
  reconcile: (key: string, ctx: ReconcileContext) => Promise<ReconcileOutcome>,
  options: { aborted?: boolean; errorPolicy?: (e: unknown) => 'retry' | 'terminal' } = {},
) {
  const logged: { level: number; msg: string }[] = [];
  const clock = new FakeClock();
  const metrics = new OperatorMetrics();
  const queue = new WorkQueue(clock, defaultControllerRateLimiter(clock));
  const calls: string[] = [];
  const original = {
    forget: queue.forget.bind(queue),
    addAfter: queue.addAfter.bind(queue),
    addRateLimited: queue.addRateLimited.bind(queue),
  };
  // Only the controller's own calls: addRateLimited goes through addAfter inside the queue.
  let inside = false;
  queue.forget = (k) => {
    calls.push('forget');
    original.forget(k);
  };
  queue.addAfter = (k, ms) => {
    if (!inside) calls.push(`addAfter ${ms}`);
    original.addAfter(k, ms);
  };
  queue.addRateLimited = (k) => {
    calls.push('addRateLimited');
    inside = true;
    original.addRateLimited(k);
    inside = false;
  };
  const controller = new Controller({
    name: 'test',
    queue,
    reconcile,
    context: {
      signal: options.aborted ? AbortSignal.abort() : new AbortController().signal,
      client: new RecordingClient(),
    },
    ...(options.errorPolicy ? { errorPolicy: options.errorPolicy } : {}),
    concurrency: 1,
    log: pino({ level: 'debug' }, { write: (line: string) => logged.push(JSON.parse(line)) }),
    metrics,
  });
  queue.add('ns/a');
  controller.start();
  await new Promise((r) => setTimeout(r, 20));
  await queue.shutDown();
  await controller.stop();
  return { calls, logged, metrics: await metrics.registry.getMetricsAsJSON() };
}

describe('the controller', () => {
  it('turns each outcome into the queue step controller-runtime takes', async () => {
    expect((await runOnce(async () => waitForChange())).calls).toEqual(['forget']);
    expect((await runOnce(async () => requeueAfter(250))).calls).toEqual(['forget', 'addAfter 250']);
    expect((await runOnce(async () => backoff())).calls).toEqual(['addRateLimited']);
    expect(
      (
        await runOnce(async () => {
          throw new Error('API server down');
        })
      ).calls,
    ).toEqual(['addRateLimited']);
  });

  it('retries a write refused for a stale resourceVersion without calling it a failure', async () => {
    const conflict = await runOnce(async () => {
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    });
    expect(conflict.calls).toEqual(['addRateLimited']);
    expect(conflict.logged.map((l) => [l.level, l.msg])).toEqual([
      [20, 'object changed while reconciling; reconciling again'],
    ]);
    const failure = await runOnce(async () => {
      throw new Error('API server down');
    });
    expect(failure.logged.map((l) => [l.level, l.msg])).toEqual([[40, 'reconcile failed, retrying']]);
  });

  it('gives up on a key its error policy calls terminal', async () => {
    const terminal = await runOnce(async () => {
      throw new TerminalError('cannot work');
    });
    expect(terminal.calls).toEqual(['forget']);
    const custom = await runOnce(
      async () => {
        throw new RangeError('bad input');
      },
      { errorPolicy: (e) => (e instanceof RangeError ? 'terminal' : 'retry') },
    );
    expect(custom.calls).toEqual(['forget']);
  });

  it('drops a failed key once the fence has closed: nothing more may be written', async () => {
    const fenced = await runOnce(
      async () => {
        throw new Error('fenced');
      },
      { aborted: true },
    );
    expect(fenced.calls).toEqual(['forget']);
  });
});

describe('BoundedMap', () => {
  it('drops the least recently used entry beyond its limit', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBe(1);
    expect(m.get('c')).toBe(3);
    expect(m.size).toBe(2);
  });
});
