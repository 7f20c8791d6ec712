// Starting, waiting for and stopping the server processes of the test environment.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (for servers that refuse root, such as postgres). */
  user?: string;
  /**
   * Keep running after this Node process exits (`make cluster-up`). Otherwise the kernel kills the
   * server when its parent dies, so a crashed test run leaves nothing behind.
   */
  persistent?: boolean;
}

export interface RunningProcess {
  name: string;
  pid: number;
  logFile: string;
  /** How it was started, so that it can be restarted the same way. */
  start: StartOptions;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<string>;
}

export function startProcess(options: StartOptions): RunningProcess {
  const log = openSync(options.logFile, 'a');
  // setpriv (util-linux) sets the parent-death signal and drops privileges without a shell.
  const wrapper: string[] = [];
  if (!options.persistent) wrapper.push('--pdeathsig', 'SIGKILL');
  if (options.user) wrapper.push('--reuid', options.user, '--regid', options.user, '--init-groups');
  const [command, args] =
    wrapper.length > 0
      ? ['setpriv', [...wrapper, '--', options.command, ...options.args]]
      : [options.command, options.args];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  if (options.persistent) child.unref();
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
    child.once('error', (error) => resolve(error.message));
  });
  return { name: options.name, pid: child.pid, logFile: options.logFile, start: options, exited };
}

/**
 * The processes of one environment, started with shared settings and collected as they start, so
 * a failure anywhere during start-up can stop everything that is already running.
 */
export class ProcessGroup {
  readonly processes: RunningProcess[] = [];
  readonly logsDir: string;
  readonly persistent: boolean;

  constructor(logsDir: string, persistent: boolean) {
    this.logsDir = logsDir;
    this.persistent = persistent;
  }

  start(
    name: string,
    command: string,
    args: string[],
    extra: Pick<StartOptions, 'env' | 'user' | 'cwd'> = {},
  ): RunningProcess {
    const p = startProcess({
      name,
      command,
      args,
      ...extra,
      logFile: join(this.logsDir, `${name}.log`),
      persistent: this.persistent,
    });
    this.processes.push(p);
    return p;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, then SIGKILL after the grace period. */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(20);
}

export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it returns true; fails with the process log tail if the process dies first. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; process?: RunningProcess },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let died: string | undefined;
  options.process?.exited.then((how) => {
    died = how;
  });
  let lastError = 'check returned false';
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (died !== undefined && options.process) {
      throw new Error(`${what}: process exited (${died}). Log tail:\n${tail(options.process.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const log = options.process ? `\nLog tail:\n${tail(options.process.logFile, 15)}` : '';
      throw new Error(
        `${what}: not ready after ${options.timeoutMs / 1000} s (last check: ${lastError})${log}`,
      );
    }
    await sleep(delay);
  }
}

/**
 * Free loopback ports. All are held open until every one is chosen, so one call never returns the
 * same port twice; the kernel hands out ports in sequence, so concurrent runs rarely collide.
 */
export async function freePorts(count: number, address = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, address, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected server address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
