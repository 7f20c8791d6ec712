import { describe, expect, it } from 'vitest';
import { Turns } from '../../../images/inference-server/turns.ts';

describe('Turns', () => {
  it('runs work one at a time in arrival order, each on a later event-loop iteration', async () => {
    const turns = new Turns();
    const events: string[] = [];
    const work = (name: string, hops: number) => async () => {
      events.push(`start ${name}`);
      // Something queued for the next iteration while this turn runs must come before the next turn.
      setImmediate(() => events.push(`after ${name}`));
      // Work that spans event-loop iterations (as an awaited decode does).
      for (let i = 0; i < hops; i++) await new Promise((r) => setImmediate(r));
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      turns.run(work('a', 3)),
      turns.run(work('b', 0)), // synchronous, as a whole JPEG decode is
      turns.run(work('c', 2)),
    ]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual([
      'start a',
      'after a',
      'end a',
      'start b',
      'end b',
      'after b', // the loop turned between b and c
      'start c',
      'after c',
      'end c',
    ]);
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
