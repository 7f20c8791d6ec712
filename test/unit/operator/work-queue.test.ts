import { describe, expect, it } from 'vitest';
import {
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  TokenBucketRateLimiter,
} from '../../../operator/runtime/rate-limiter.ts';
import { WorkQueue } from '../../../operator/runtime/work-queue.ts';
import { FakeClock } from './fake-clock.ts';

function queue(clock = new FakeClock()) {
  return { clock, q: new WorkQueue(clock, new ItemExponentialRateLimiter(5, 1_000_000)) };
}

describe('WorkQueue', () => {
  it('holds a key once however often it is added before a worker takes it', async () => {
    const { q } = queue();
    for (let i = 0; i < 5; i++) q.add('ns/a');
    q.add('ns/b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.length).toBe(0);
  });

  it('never hands out a key being processed; an add meanwhile queues it again after done()', async () => {
    const { q } = queue();
    q.add('k');
    expect(await q.get()).toBe('k');
    q.add('k');
    q.add('k');
    expect(q.length).toBe(0);
    q.done('k');
    expect(await q.get()).toBe('k');
    q.done('k');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const { q } = queue();
    const waiting = q.get();
    q.add('late');
    expect(await waiting).toBe('late');
  });

  it('keeps the earliest deadline of repeated delayed adds', async () => {
    const { q, clock } = queue();
    q.addAfter('k', 10_000);
    q.addAfter('k', 1_000);
    q.addAfter('k', 5_000);
    clock.advance(999);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    clock.advance(20_000);
    expect(q.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('backs off a failing key exponentially and forget() resets it', async () => {
    const { q, clock } = queue();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      while (q.length === 0) clock.advance(1);
      delays.push(clock.now() - before);
      await q.get();
      q.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('k')).toBe(4);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });

  it('shutDown() stops handing out keys, wakes waiting workers and waits for work in flight', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('a');
    const idle = queue().q.get();
    let drained = false;
    const shut = q.shutDown().then(() => {
      drained = true;
    });
    expect(await q.get()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    q.done('a');
    await shut;
    expect(drained).toBe(true);
    // Nothing is accepted after shutdown ('b' was queued before it).
    q.add('c');
    expect(q.length).toBe(1);
    void idle;
  });
});

describe('rate limiters', () => {
  it('caps the per-key delay at 1000 s', () => {
    const limiter = new ItemExponentialRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 40; i++) last = limiter.when('k');
    expect(last).toBe(1_000_000);
  });

  it('lets a burst of 100 through, then 10 per second', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucketRateLimiter(10, 100, clock);
    const delays = Array.from({ length: 103 }, () => bucket.when());
    expect(delays.slice(0, 100).every((d) => d === 0)).toBe(true);
    expect(delays.slice(100).map((d) => Math.round(d))).toEqual([100, 200, 300]);
    clock.advance(10_000);
    expect(bucket.when()).toBe(0);
  });

  it('the default limiter takes the larger of both', () => {
    const clock = new FakeClock();
    const limiter = defaultControllerRateLimiter(clock);
    expect(limiter.when('a')).toBe(5);
    for (let i = 0; i < 150; i++) limiter.when(`other-${i}`);
    // The bucket is empty now: a first failure of a new key waits for a token, not 5 ms.
    expect(limiter.when('b')).toBeGreaterThan(1000);
  });
});
