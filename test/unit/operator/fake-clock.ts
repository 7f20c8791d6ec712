// A manual clock for the work queue and rate limiter: time moves only when a test says so.
import type { Clock } from '../../../operator/runtime/clock.ts';

export class FakeClock implements Clock {
  #now = 1_000_000;
  #timers: { at: number; callback: () => void; id: number }[] = [];
  #next = 0;

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.push({ at: this.#now + ms, callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const due = this.#timers[0];
      if (!due || due.at > until) break;
      this.#timers.shift();
      this.#now = due.at;
      due.callback();
    }
    this.#now = until;
  }
}
