// The whole test environment: control plane, MinIO and PostgreSQL, and optionally a node that runs
// real pods. Each environment has its own temp directory and free ports, so two runs on one
// machine never collide (the node is the exception: one per machine). State is written to
// environment.json so another process (`make cluster-down`, the next run's reaper) can stop it.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ControlPlaneInfo, startControlPlane } from './control-plane.ts';
import { canRunNode, nodeAddress, prepareHostForNode, unmountUnder } from './host.ts';
import { type MinioInfo, startMinio } from './minio.ts';
import { cleanupNodeNetwork, killNodeWorkloads, type NodeInfo, startNode } from './node.ts';
import { binaryPaths, cacheDir } from './paths.ts';
import { type PostgresInfo, startPostgres } from './postgres.ts';
import {
  isAlive,
  ProcessGroup,
  type RunningProcess,
  startProcess,
  stopProcessGroup,
  tail,
} from './process.ts';

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
  /** Present when the environment has a node that runs pods. */
  node?: NodeInfo;
  processes: Pick<RunningProcess, 'name' | 'pid' | 'logFile' | 'start'>[];
}

export interface EnvironmentOptions {
  persistent?: boolean;
  /** Start a node (kubelet, containerd, kube-proxy); needs root. */
  node?: boolean;
}

export async function startEnvironment(options: EnvironmentOptions = {}): Promise<EnvironmentState> {
  if (options.node) {
    const reason = canRunNode();
    if (reason) throw new Error(`cannot start a node: ${reason}`);
  }
  await reapStaleEnvironments();
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  // Until environment.json exists, this names the process that is starting the environment.
  writeFileSync(join(dir, 'starting.pid'), String(process.pid));
  if (options.node) {
    try {
      takeNodeLock(dir);
      // Before any server binds the node's address: a fresh machine does not have it yet.
      await prepareHostForNode();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }
  // Pods cannot reach loopback addresses on the host, so with a node every server listens on the
  // node's address instead.
  const address = options.node ? nodeAddress : '127.0.0.1';
  // Traversable (not listable) so that postgres, running as its own user, reaches its directory;
  // the key material lives in the 0700 pki/ subdirectory.
  chmodSync(dir, 0o711);
  const persistent = options.persistent ?? false;
  const logsDir = join(dir, 'logs');
  mkdirSync(logsDir);
  const group = new ProcessGroup(logsDir, persistent);
  const startNodeAfter = async (controlPlane: ControlPlaneInfo) =>
    options.node
      ? await startNode(dir, group, {
          server: controlPlane.server,
          pkiDir: controlPlane.pkiDir,
          adminKubeconfig: controlPlane.kubeconfig,
        })
      : undefined;
  // allSettled, not all: when one part fails, the others finish starting before everything is
  // stopped, so nothing is left running behind the error.
  const [cluster, minio, postgres] = await Promise.allSettled([
    startControlPlane(dir, group, address).then(async (cp) => ({
      controlPlane: cp,
      node: await startNodeAfter(cp),
    })),
    startMinio(dir, group, address),
    startPostgres(dir, group, address),
  ]);
  if (cluster.status === 'rejected' || minio.status === 'rejected' || postgres.status === 'rejected') {
    await stopEnvironment({
      dir,
      processes: group.processes,
      node: options.node ? ({} as NodeInfo) : undefined,
    });
    const failures = [cluster, minio, postgres].filter((r) => r.status === 'rejected');
    throw new Error(
      failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n'),
    );
  }
  const { controlPlane, node } = cluster.value;
  chmodSync(controlPlane.pkiDir, 0o700);
  const state: EnvironmentState = {
    dir,
    logsDir,
    ownerPid: process.pid,
    persistent,
    kubectl: binaryPaths().kubectl,
    controlPlane,
    minio: minio.value,
    postgres: postgres.value,
    node,
    processes: group.processes.map(({ name, pid, logFile, start }) => ({ name, pid, logFile, start })),
  };
  writeFileSync(join(dir, 'environment.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

/** Shutdown order: the node first, then the controllers, the API server, and the stores. */
const stopStages = [
  ['kubelet', 'kube-proxy'],
  ['containerd'],
  ['kube-scheduler', 'kube-controller-manager'],
  ['kube-apiserver'],
];

/** Stops every process of the environment and removes its directory. */
export async function stopEnvironment(
  state: Pick<EnvironmentState, 'dir' | 'node'> & { processes: { name: string; pid: number }[] },
): Promise<void> {
  const staged = new Set(stopStages.flat());
  for (const names of stopStages) {
    await Promise.all(
      state.processes.filter((p) => names.includes(p.name)).map((p) => stopProcessGroup(p.pid)),
    );
  }
  await Promise.all(state.processes.filter((p) => !staged.has(p.name)).map((p) => stopProcessGroup(p.pid)));
  if (state.node) {
    // Pod cgroups and iptables rules are machine-wide: clean them only when no other environment
    // runs the node now (a stale environment reaped by a newer run must not touch its node).
    const owner = nodeOwner();
    const machineWide = owner === undefined || owner === state.dir;
    if (machineWide) killNodeWorkloads(join(state.dir, 'node', 'containerd.sock'));
    await unmountUnder(state.dir);
    if (machineWide) await cleanupNodeNetwork();
    releaseNodeLock(state.dir);
  }
  rmSync(state.dir, { recursive: true, force: true });
}

/** `make cluster-up` records its environment here, for cluster-down and for tools that use it. */
const clusterUpPointer = () => join(cacheDir(), 'cluster-up');

export function clusterUpEnvironment(): EnvironmentState | undefined {
  if (!existsSync(clusterUpPointer())) return undefined;
  const dir = readFileSync(clusterUpPointer(), 'utf8').trim();
  return existsSync(join(dir, 'environment.json')) ? readEnvironment(dir) : undefined;
}

export function recordClusterUp(dir: string | undefined): void {
  if (dir === undefined) {
    rmSync(clusterUpPointer(), { force: true });
    return;
  }
  mkdirSync(dirname(clusterUpPointer()), { recursive: true });
  writeFileSync(clusterUpPointer(), dir);
}

/**
 * Stops one component and starts it again with the same command line (for fault tests: an API
 * server restart, say). Updates environment.json; the caller waits for whatever readiness it needs.
 */
export async function restartComponent(state: EnvironmentState, name: string): Promise<void> {
  const entry = state.processes.find((p) => p.name === name);
  if (!entry) throw new Error(`no component named ${name} in ${state.dir}`);
  await stopProcessGroup(entry.pid);
  entry.pid = startProcess(entry.start).pid;
  writeFileSync(join(state.dir, 'environment.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function readEnvironment(dir: string): EnvironmentState {
  return JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8')) as EnvironmentState;
}

/** The last lines of every component's log, for a failing test's report. */
export function logTails(state: EnvironmentState, lines = 20): string {
  return state.processes.map((p) => `--- ${p.name} (${p.logFile})\n${tail(p.logFile, lines)}`).join('\n');
}

/** One node per machine (whatever the cache directory): the lock names the owning environment. */
const nodeLock = join(tmpdir(), 'bosun-node-owner');

/** The environment that runs this machine's node, if one is running. */
export function nodeOwner(): string | undefined {
  let owner: string;
  try {
    owner = readFileSync(nodeLock, 'utf8').trim();
  } catch {
    return undefined;
  }
  return isStaleEnvironment(owner) ? undefined : owner;
}

function takeNodeLock(dir: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(nodeLock, dir, { flag: 'wx' });
      return;
    } catch {
      const owner = nodeOwner();
      if (owner)
        throw new Error(`another environment runs this machine's node (${owner}); one node per machine`);
      rmSync(nodeLock, { force: true });
    }
  }
  throw new Error('could not take the node lock');
}

function releaseNodeLock(dir: string): void {
  try {
    if (readFileSync(nodeLock, 'utf8').trim() === dir) rmSync(nodeLock);
  } catch {
    // Not ours or already gone.
  }
}

/** Left behind: its owner died before teardown, or (for cluster-up) all its processes are gone. */
function isStaleEnvironment(dir: string): boolean {
  if (existsSync(join(dir, 'environment.json'))) {
    const state = readEnvironment(dir);
    return state.persistent ? !state.processes.some((p) => isAlive(p.pid)) : !isAlive(state.ownerPid);
  }
  try {
    return !isAlive(Number(readFileSync(join(dir, 'starting.pid'), 'utf8')));
  } catch {
    return true;
  }
}

/** Environments left behind by a run that was killed before its teardown (or during start-up). */
async function reapStaleEnvironments(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(dirPrefix)) continue;
    const dir = join(tmpdir(), entry);
    if (!isStaleEnvironment(dir)) continue;
    // Its processes are gone already (parent-death signal, or all exited): only the node's
    // containers, mounts and the directory remain. Old pids are never signalled; they may be reused.
    await stopEnvironment({
      dir,
      processes: [],
      node: existsSync(join(dir, 'node')) ? ({} as NodeInfo) : undefined,
    });
  }
}
