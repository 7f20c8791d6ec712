// Where the integration and end-to-end tests, and the benchmarks, put their files: what they write
// to the temporary directory (the operator ServiceAccount's kubeconfig with its token, kubectl's
// caches, helm's home, chart copies, the inference server's work dirs) goes under one directory of
// the run, removed at its end; the operators' logs stay for reading after the run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The operators' logs; the global setup fixes it before TMPDIR moves (the benchmarks use the default). */
export function operatorLogsDir(): string {
  return process.env.BOSUN_OPERATOR_LOGS_DIR ?? join(tmpdir(), 'bosun-operator-logs');
}

/**
 * Points TMPDIR at a new directory of this run (the test workers inherit it, and os.tmpdir() reads
 * it) and returns what removes it. Call it after the shared environment started, so that its
 * servers keep their own directories.
 */
export function useRunTempDir(): () => void {
  process.env.BOSUN_OPERATOR_LOGS_DIR = operatorLogsDir();
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'bosun-tests-'));
  // Traversable, not listable, as the environment's own directory: an environment a test starts
  // lives under it, and its PostgreSQL runs as another user.
  chmodSync(dir, 0o711);
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
