// The batcher's scheduling, against a model whose runs the test settles by hand: a request that
// finds the model idle runs at once, and only requests that arrive while a run is in flight are
// stacked, up to the batch size and the window, each getting exactly its own rows back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatchObserver, type RunnableModel } from '../../../images/inference-server/batcher.ts';
import type { HostTensor } from '../../../images/inference-server/datatypes.ts';

type Feeds = Record<string, HostTensor>;

/** A model that doubles its input `x` into `y`, one run at a time as the test settles them. */
function heldModel() {
  const runs: { feeds: Feeds; settle: () => void; fail: (e: Error) => void }[] = [];
  const model: RunnableModel = {
    batchable: true,
    run: (feeds: Feeds) =>
      new Promise((resolve, reject) => {
        const x = feeds.x as HostTensor;
        const y = { datatype: x.datatype, shape: x.shape, data: (x.data as Float32Array).map((v) => v * 2) };
        runs.push({ feeds, settle: () => resolve({ y }), fail: reject });
      }),
  };
  const rowsOf = (i: number) => (runs[i]?.feeds.x as HostTensor | undefined)?.shape[0];
  return { model, runs, rowsOf };
}

/** A request of `rows` rows of two values each, starting at `from`. */
const request = (rows: number, from: number, inner = 2): Feeds => ({
  x: {
    datatype: 'FP32',
    shape: [rows, inner],
    data: Float32Array.from({ length: rows * inner }, (_, i) => from + i),
  },
});

const FAR = () => performance.now() + 60_000;
const settled = () => new Promise((r) => setImmediate(r));
const values = (r: Record<string, HostTensor>) => Array.from(r.y?.data as Float32Array);

afterEach(() => {
  vi.useRealTimers();
});

describe('Batcher', () => {
  it('runs a request that finds the model idle at once, whatever the window', async () => {
    const { model, runs } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 60_000 });
    const feeds = request(1, 1);
    const answer = batcher.run(feeds, FAR());
    // Started within the call itself: no timer, no later turn of the event loop.
    expect(runs).toHaveLength(1);
    expect(runs[0]?.feeds).toBe(feeds);
    runs[0]?.settle();
    expect(values(await answer)).toEqual([2, 4]);
    // Idle again: the next request starts at once too.
    const next = batcher.run(request(1, 5), FAR());
    expect(runs).toHaveLength(2);
    runs[1]?.settle();
    expect(values(await next)).toEqual([10, 12]);
  });

  it('stacks the requests that arrive while a run is in flight and answers each with its own rows', async () => {
    const { model, runs, rowsOf } = heldModel();
    const observed: number[] = [];
    const observer: BatchObserver = { batch: (n) => observed.push(n), queueDepth: () => undefined };
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 60_000 }, observer);
    const first = batcher.run(request(1, 0), FAR());
    const waiting = [batcher.run(request(2, 10), FAR()), batcher.run(request(1, 20), FAR())];
    expect(runs).toHaveLength(1);
    runs[0]?.settle();
    await first;
    // The queue starts as one run as soon as the first settles, without waiting out the window.
    expect(runs).toHaveLength(2);
    expect(rowsOf(1)).toBe(3);
    runs[1]?.settle();
    const [a, b] = await Promise.all(waiting);
    expect(values(a as Record<string, HostTensor>)).toEqual([20, 22, 24, 26]);
    expect((a as Record<string, HostTensor>).y?.shape).toEqual([2, 2]);
    expect(values(b as Record<string, HostTensor>)).toEqual([40, 42]);
    expect(observed).toEqual([1, 3]);
  });

  it('starts a full batch without waiting for the run in flight', () => {
    const { model, runs, rowsOf } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 4, windowMs: 60_000 });
    for (let i = 0; i < 11; i++) void batcher.run(request(1, i), FAR());
    // One alone (idle), then two full batches of 4; the last 2 wait for a run to settle.
    expect(runs.map((_, i) => rowsOf(i))).toEqual([1, 4, 4]);
    runs[0]?.settle();
    return settled().then(() => expect(runs.map((_, i) => rowsOf(i))).toEqual([1, 4, 4, 2]));
  });

  it('closes a batch when the window is over even while the run in flight has not settled', () => {
    vi.useFakeTimers();
    const { model, runs, rowsOf } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 20 });
    void batcher.run(request(1, 0), FAR());
    void batcher.run(request(1, 1), FAR());
    void batcher.run(request(1, 2), FAR());
    vi.advanceTimersByTime(19);
    expect(runs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(runs).toHaveLength(2);
    expect(rowsOf(1)).toBe(2);
  });

  it('drops a queued request whose deadline has passed instead of running it', async () => {
    const { model, runs, rowsOf } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 60_000 });
    void batcher.run(request(1, 0), FAR());
    void batcher.run(request(1, 1), performance.now() - 1);
    const kept = batcher.run(request(1, 2), FAR());
    runs[0]?.settle();
    await settled();
    expect(runs).toHaveLength(2);
    expect(rowsOf(1)).toBe(1);
    runs[1]?.settle();
    expect(values(await kept)).toEqual([4, 6]);
  });

  it('never stacks requests whose inner dimensions differ', async () => {
    const { model, runs, rowsOf } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 60_000 });
    void batcher.run(request(1, 0), FAR());
    const narrow = batcher.run(request(1, 0, 2), FAR());
    const wide = batcher.run(request(1, 0, 3), FAR());
    runs[0]?.settle();
    await settled();
    // The first kind runs; the other waits for that run, then runs on its own.
    expect(runs).toHaveLength(2);
    runs[1]?.settle();
    expect(values(await narrow)).toEqual([0, 2]);
    await settled();
    expect(runs).toHaveLength(3);
    expect(rowsOf(2)).toBe(1);
    runs[2]?.settle();
    expect(values(await wide)).toEqual([0, 2, 4]);
  });

  it('gives a failed run’s error to its own requests only and keeps going', async () => {
    const { model, runs } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 8, windowMs: 60_000 });
    const failing = batcher.run(request(1, 0), FAR());
    const queued = batcher.run(request(1, 1), FAR());
    runs[0]?.fail(new Error('model failed'));
    await expect(failing).rejects.toThrow('model failed');
    expect(runs).toHaveLength(2);
    runs[1]?.settle();
    expect(values(await queued)).toEqual([2, 4]);
  });

  it('runs every request alone when batching is off', () => {
    const { model, runs } = heldModel();
    const batcher = new Batcher(model, { maxBatchSize: 1, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) void batcher.run(request(1, i), FAR());
    expect(runs).toHaveLength(3);
  });
});
