import { describe, expect, it } from 'vitest';
import { consoleProgress, waitFor } from '../../dev/progress.ts';

describe('waitFor', () => {
  it('prints a line when the state changes, not on every poll', async () => {
    const lines: string[] = [];
    const progress = consoleProgress(3, (l) => lines.push(l));
    const states = ['Pending', 'Pending', 'Running', 'Running', 'Succeeded'];
    let i = 0;
    const result = await waitFor(progress, {
      what: 'run',
      read: async () => states[Math.min(i++, states.length - 1)] as string,
      describe: (s) => s,
      done: (s) => s === 'Succeeded',
      timeoutMs: 5000,
      intervalMs: 1,
    });
    expect(result).toBe('Succeeded');
    expect(lines.map((l) => l.replace(/^\[\d\d:\d\d\]\s+/, ''))).toEqual([
      'run: Pending',
      'run: Running',
      'run: Succeeded',
    ]);
  });

  it('counts a failing read as a state, and gives up past the timeout with the last one', async () => {
    const lines: string[] = [];
    await expect(
      waitFor(
        consoleProgress(1, (l) => lines.push(l)),
        {
          what: 'thing',
          read: async () => {
            throw new Error('not found');
          },
          describe: () => '',
          done: () => true,
          timeoutMs: 20,
          intervalMs: 5,
        },
      ),
    ).rejects.toThrow('thing: gave up after 0 s; last state: not yet: not found');
    expect(lines).toHaveLength(1);
  });

  it('numbers the steps', () => {
    const lines: string[] = [];
    const progress = consoleProgress(2, (l) => lines.push(l));
    progress.step('one');
    progress.step('two');
    expect(lines.map((l) => l.replace(/^\[\d\d:\d\d\] /, ''))).toEqual(['1/2 one', '2/2 two']);
  });
});
