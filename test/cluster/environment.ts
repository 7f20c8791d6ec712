// The whole test environment: control plane, MinIO and PostgreSQL, each in its own temp directory
// with free loopback ports, so two runs on one machine never collide. State is written to
// environment.json so another process (`make cluster-down`, the next run's reaper) can stop it.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlaneInfo, startControlPlane } from './control-plane.ts';
import { type MinioInfo, startMinio } from './minio.ts';
import { binaryPaths } from './paths.ts';
import { type PostgresInfo, startPostgres } from './postgres.ts';
import { isAlive, type RunningProcess, stopProcessGroup, tail } from './process.ts';

const dirPrefix = 'bosun-env-';

export interface EnvironmentState {
  dir: string;
  logsDir: string;
  /** The process that owns a non-persistent environment; when it is gone the environment is stale. */
  ownerPid: number;
  persistent: boolean;
  kubectl: string;
  controlPlane: ControlPlaneInfo;
  minio: MinioInfo;
  postgres: PostgresInfo;
  processes: { name: string; pid: number; logFile: string }[];
}

export async function startEnvironment(options: { persistent?: boolean } = {}): Promise<EnvironmentState> {
  await reapStaleEnvironments();
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  // Traversable (not listable) so that postgres, running as its own user, reaches its directory;
  // the key material lives in the 0700 pki/ subdirectory.
  chmodSync(dir, 0o711);
  const persistent = options.persistent ?? false;
  const started: RunningProcess[] = [];
  const collect = <T extends { processes: RunningProcess[] }>(result: T): T => {
    started.push(...result.processes);
    return result;
  };
  try {
    const [controlPlane, minio, postgres] = await Promise.all([
      startControlPlane(dir, { persistent }).then(collect),
      startMinio(dir, { persistent }).then(collect),
      startPostgres(dir, { persistent }).then(collect),
    ]);
    chmodSync(controlPlane.info.pkiDir, 0o700);
    const state: EnvironmentState = {
      dir,
      logsDir: join(dir, 'logs'),
      ownerPid: process.pid,
      persistent,
      kubectl: binaryPaths().kubectl,
      controlPlane: controlPlane.info,
      minio: minio.info,
      postgres: postgres.info,
      processes: started.map(({ name, pid, logFile }) => ({ name, pid, logFile })),
    };
    writeFileSync(join(dir, 'environment.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
    return state;
  } catch (error) {
    // Promise.all rejects on the first failure; let the others settle so nothing is left running.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all(started.map((p) => stopProcessGroup(p.pid, 2000)));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Stops every process of the environment and removes its directory. */
export async function stopEnvironment(state: Pick<EnvironmentState, 'dir' | 'processes'>): Promise<void> {
  // The API server first, so the controllers see a clean shutdown rather than a vanished etcd.
  const order = ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver'];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  const sorted = [...state.processes].sort((a, b) => rank(a.name) - rank(b.name));
  await Promise.all(sorted.filter((p) => rank(p.name) < order.length).map((p) => stopProcessGroup(p.pid)));
  await Promise.all(sorted.filter((p) => rank(p.name) === order.length).map((p) => stopProcessGroup(p.pid)));
  rmSync(state.dir, { recursive: true, force: true });
}

export function readEnvironment(dir: string): EnvironmentState {
  return JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8')) as EnvironmentState;
}

/** The last lines of every component's log, for a failing test's report. */
export function logTails(state: EnvironmentState, lines = 20): string {
  return state.processes.map((p) => `--- ${p.name} (${p.logFile})\n${tail(p.logFile, lines)}`).join('\n');
}

/** Environments left behind by a run that was killed before its teardown. */
async function reapStaleEnvironments(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(dirPrefix)) continue;
    const dir = join(tmpdir(), entry);
    const file = join(dir, 'environment.json');
    if (!existsSync(file)) continue;
    const state = readEnvironment(dir);
    if (state.persistent || isAlive(state.ownerPid)) continue;
    await stopEnvironment(state);
  }
}
