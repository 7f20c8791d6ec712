// The CPU-heavy step of a request (decoding an image) takes its turn in arrival order. Turns run
// back to back for at most a time slice, then the event loop reads sockets again. Run inline, a
// burst of decodes held the loop while other requests' bodies waited to be read, and under load a
// few requests waited seconds behind later arrivals; yielding after every decode instead cost a
// tenth of a millisecond per request (an event-loop iteration each).

export class Turns {
  readonly #waiting: (() => Promise<void>)[] = [];
  readonly #sliceMs: number;
  #busy = false;
  #sliceEnd = 0;

  constructor(sliceMs = 5) {
    this.#sliceMs = sliceMs;
  }

  /** Runs `work` once every earlier one has finished. */
  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => work().then(resolve, reject));
      if (!this.#busy) {
        this.#busy = true;
        this.#nextSlice();
      }
    });
  }

  /** The next slice starts after the sockets that are ready have been read. */
  #nextSlice(): void {
    setImmediate(() => {
      this.#sliceEnd = performance.now() + this.#sliceMs;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      await next();
      if (this.#waiting.length > 0 && performance.now() >= this.#sliceEnd) return this.#nextSlice();
    }
    this.#busy = false;
  }
}
