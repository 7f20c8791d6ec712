import { setImmediate as nextIteration } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Turns } from '../../../images/inference-server/turns.ts';

/** Work that notes when it starts and ends, and queues a callback for the next loop iteration. */
function recorder() {
  const events: string[] = [];
  const work = (name: string, hops: number) => async () => {
    events.push(`start ${name}`);
    setImmediate(() => events.push(`after ${name}`));
    // Work that spans event-loop iterations, as an awaited decode does (0: synchronous).
    for (let i = 0; i < hops; i++) await new Promise((r) => setImmediate(r));
    events.push(`end ${name}`);
    return name;
  };
  return { events, work };
}

describe('Turns', () => {
  it('runs work one at a time in arrival order', async () => {
    const turns = new Turns();
    const { events, work } = recorder();
    const results = await Promise.all([
      turns.run(work('a', 3)),
      turns.run(work('b', 1)),
      turns.run(work('c', 2)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual([
      'start a',
      'after a',
      'end a',
      'start b',
      'after b',
      'end b',
      'start c',
      'after c',
      'end c',
    ]);
  });

  it('lets the event loop turn between turns once the time slice is used up', async () => {
    const { events, work } = recorder();
    // A slice of 0: the loop turns after every turn.
    const tight = new Turns(0);
    await Promise.all([tight.run(work('a', 0)), tight.run(work('b', 0))]);
    await nextIteration();
    expect(events).toEqual(['start a', 'end a', 'after a', 'start b', 'end b', 'after b']);
    // A long slice: synchronous turns run back to back.
    events.length = 0;
    const roomy = new Turns(10_000);
    await Promise.all([roomy.run(work('a', 0)), roomy.run(work('b', 0))]);
    await nextIteration();
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'after a', 'after b']);
  });

  it('keeps going after a turn fails, and gives the failure to its own caller', async () => {
    const turns = new Turns();
    const failed = turns.run(async () => {
      throw new Error('bad image');
    });
    const next = turns.run(async () => 'ok');
    await expect(failed).rejects.toThrow('bad image');
    await expect(next).resolves.toBe('ok');
  });
});
