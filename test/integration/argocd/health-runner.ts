// test/argocd-health, built once (cached by its sources) and run: Bosun's health scripts evaluated
// by Argo CD's own code (settings manager, gitops-engine, Lua VM) from the argocd-cm users apply.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildGoProgram } from '../../cluster/go-program.ts';
import { repoRoot } from '../../cluster/paths.ts';

export const HEALTH_DIR = join(repoRoot, 'argocd');
export const ARGOCD_CM = join(HEALTH_DIR, 'argocd-cm.yaml');
/** A cold build compiles Argo CD's packages (about 1500) on two cores. */
export const HEALTH_RUNNER_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface HealthStatus {
  status: string;
  message?: string;
}

export interface RunnerOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export function buildHealthRunner(): Promise<string> {
  return buildGoProgram(join(repoRoot, 'test', 'argocd-health'), 'argocd-health');
}

export async function runHealthRunner(args: string[]): Promise<RunnerOutput> {
  const binary = await buildHealthRunner();
  return promisify(execFile)(binary, ['-config', ARGOCD_CM, '-dir', HEALTH_DIR, ...args], {
    maxBuffer: 16 << 20,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(e),
    }),
  );
}

/** The health Argo CD shows for a live object (as read from the API server). */
export async function argocdHealth(object: unknown): Promise<HealthStatus> {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-health-'));
  try {
    const file = join(dir, 'object.json');
    writeFileSync(file, JSON.stringify(object));
    const out = await runHealthRunner(['-object', file]);
    if (out.code !== 0) throw new Error(`argocd-health -object failed (${out.code}): ${out.stderr}`);
    return JSON.parse(out.stdout) as HealthStatus;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Argo CD's order, healthiest first: an Application has the health of its least healthy resource. */
const HEALTH_ORDER = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function applicationHealth(statuses: string[]): string {
  return statuses.reduce(
    (worst, s) => (HEALTH_ORDER.indexOf(s) > HEALTH_ORDER.indexOf(worst) ? s : worst),
    'Healthy',
  );
}
