// Runs the pinned kubectl against the test cluster, the way a user would, and returns what it printed.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

// A discovery cache per test file: a shared one could predate the CRDs and hide them.
const cacheDir = mkdtempSync(join(tmpdir(), 'bosun-kubectl-cache-'));

export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  const { kubectl: binary, controlPlane } = inject('environment');
  return new Promise((resolve) => {
    const child = execFile(
      binary,
      ['--kubeconfig', controlPlane.kubeconfig, '--cache-dir', cacheDir, ...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** kubectl that must succeed; its stdout. */
export async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}
