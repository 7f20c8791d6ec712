// Exponential backoff with jitter for reconnecting watches (client-go's reflector: 800 ms, ×2,
// capped at 30 s, jitter 1.0, reset after 2 min without a failure).
import type { Clock } from './clock.ts';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A delay d becomes a random value in [d, d·(1+jitter)). */
  jitter: number;
  /** After this long without a failure, the next delay starts from initialMs again. */
  resetAfterMs: number;
}

export const watchBackoff: BackoffOptions = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
};

export class Backoff {
  readonly #options: BackoffOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  #next: number;
  #lastFailure = Number.NEGATIVE_INFINITY;

  constructor(options: BackoffOptions, clock: Clock, random: () => number = Math.random) {
    this.#options = options;
    this.#clock = clock;
    this.#random = random;
    this.#next = options.initialMs;
  }

  /** The delay before the next attempt, and the one after grows. */
  nextDelay(): number {
    const now = this.#clock.now();
    if (now - this.#lastFailure >= this.#options.resetAfterMs) this.#next = this.#options.initialMs;
    this.#lastFailure = now;
    const base = this.#next;
    this.#next = Math.min(this.#options.maxMs, base * this.#options.factor);
    return Math.min(this.#options.maxMs, base * (1 + this.#options.jitter * this.#random()));
  }

  /** After an attempt that went well: the next delay starts from initialMs again. */
  reset(): void {
    this.#next = this.#options.initialMs;
    this.#lastFailure = Number.NEGATIVE_INFINITY;
  }
}
