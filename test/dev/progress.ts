// Progress lines for the demo: a numbered line per step, indented lines under it, and, while it
// waits for the cluster, one line each time the state it waits on changes (never a line per poll).

export interface Progress {
  /** Starts the next numbered step. */
  step(title: string): void;
  /** A line under the current step. */
  info(line: string): void;
}

export function consoleProgress(total: number, write: (line: string) => void = console.log): Progress {
  let current = 0;
  const started = Date.now();
  const clock = () => {
    const s = Math.floor((Date.now() - started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  };
  return {
    step: (title) => write(`[${clock()}] ${++current}/${total} ${title}`),
    info: (line) => write(`[${clock()}]     ${line}`),
  };
}

/** Progress that prints nothing. */
export const quietProgress: Progress = { step: () => undefined, info: () => undefined };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Wait<T> {
  /** What is waited for, e.g. "digits-v1 Ready". */
  what: string;
  read: () => Promise<T>;
  /** The state in a few words; a line is printed whenever it changes. */
  describe: (value: T) => string;
  done: (value: T) => boolean;
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls until `done`, printing `what: <state>` at the first read and on every change. A read that
 * fails counts as a state ("not there yet: …"), so a missing object is waited for like the rest.
 * Rejects past the timeout with the last state.
 */
export async function waitFor<T>(progress: Progress, wait: Wait<T>): Promise<T> {
  const deadline = Date.now() + wait.timeoutMs;
  let last: string | undefined;
  for (;;) {
    let state: string;
    try {
      const value = await wait.read();
      state = wait.describe(value);
      if (wait.done(value)) {
        if (state !== last) progress.info(`${wait.what}: ${state}`);
        return value;
      }
    } catch (error) {
      state = `not yet: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (state !== last) progress.info(`${wait.what}: ${state}`);
    last = state;
    if (Date.now() > deadline)
      throw new Error(
        `${wait.what}: gave up after ${Math.round(wait.timeoutMs / 1000)} s; last state: ${state}`,
      );
    await sleep(wait.intervalMs ?? 1000);
  }
}
