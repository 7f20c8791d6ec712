// The CPU-heavy step of a request (decoding an image) takes its turn in arrival order, one per
// event-loop iteration. Run inline, a burst of decodes holds the loop while other requests'
// bodies wait to be read, and under load a few requests waited seconds behind later arrivals.
import { setImmediate as nextIteration } from 'node:timers/promises';

export class Turns {
  #last: Promise<unknown> = Promise.resolve();

  /** Runs `work` once every earlier one has finished, on a later event-loop iteration. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#last.then(() => nextIteration()).then(work);
    this.#last = turn.catch(() => undefined);
    return turn;
  }
}
