// Host preparation for a node, and the cleanup of what a node leaves in the host's mount table.
// These change machine-wide settings, so they run only as root and only for a node.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The node's stable address. Some machines have no dummy-interface support and may have no default
 * route, so the address lives on `lo`; it is not a loopback address (127/8), which kubelet refuses.
 * Pods reach it through the bridge gateway, and every server the tests start listens on it.
 */
export const nodeAddress = '10.250.0.1';

export function canRunNode(): string | undefined {
  if (process.getuid?.() !== 0) return 'a node needs root (kubelet, containerd, iptables)';
  for (const tool of ['/usr/bin/containerd', '/usr/sbin/runc', '/usr/lib/cni/bridge', '/usr/sbin/iptables']) {
    if (!existsSync(tool)) return `${tool} is missing: run 'make system-packages'`;
  }
  return undefined;
}

function writeSysctl(name: string, value: string): void {
  const path = `/proc/sys/${name.replaceAll('.', '/')}`;
  if (!existsSync(path)) throw new Error(`sysctl ${name} is not available on this kernel (${path} missing)`);
  if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, value);
}

export async function prepareHostForNode(): Promise<void> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo']);
  if (!stdout.includes(` ${nodeAddress}/`))
    await run('ip', ['addr', 'add', `${nodeAddress}/32`, 'dev', 'lo']);
  // Pods route through the host, and Service traffic between pods on one bridge must pass iptables.
  writeSysctl('net.ipv4.ip_forward', '1');
  writeSysctl('net.bridge.bridge-nf-call-iptables', '1');
}

/** Mount points at or below `dir`, deepest first (from the kernel's mount table). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(prefix)))
    .map((point) => point.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/**
 * Detaches everything a node mounted under `dir` (container root filesystems, network namespaces,
 * pod volumes), so the directory can be removed even after a crash.
 */
export async function unmountUnder(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) {
    await run('umount', ['--lazy', point]).catch(() => undefined);
  }
}
