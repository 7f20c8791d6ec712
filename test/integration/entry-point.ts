// An image's entry point run as its Job runs it: a host process with the BOSUN_* environment (and
// nothing of this process' environment but PATH and HOME), its termination message in a file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EntryPointRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the container's termination message would be ('' when none was written). */
  message: string;
}

export function runEntryPoint(
  main: string,
  args: string[],
  env: Record<string, string>,
  options: { nodeFlags?: string[]; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<EntryPointRun> {
  const dir = mkdtempSync(join(tmpdir(), 'entry-point-'));
  const terminationLog = join(dir, 'termination-log');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), main, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        BOSUN_TERMINATION_LOG: terminationLog,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let message = '';
      try {
        message = readFileSync(terminationLog, 'utf8');
      } catch {
        // The process wrote no termination message.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, message });
    });
  });
}
