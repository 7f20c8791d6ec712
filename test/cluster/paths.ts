// Where the test cluster's pinned binaries live. Versions come from versions.env, the same file the
// build script sources, so the two can never disagree.
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const clusterToolsDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(clusterToolsDir, '..', '..');

export interface PinnedVersions {
  kubernetes: string;
  minio: string;
  helm: string;
}

export function readPinnedVersions(): PinnedVersions {
  const vars = new Map<string, string>();
  for (const line of readFileSync(join(clusterToolsDir, 'versions.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(\S+)/.exec(line);
    if (match?.[1] && match[2]) vars.set(match[1], match[2]);
  }
  const get = (name: string): string => {
    const value = vars.get(name);
    if (!value) throw new Error(`test/cluster/versions.env does not set ${name}`);
    return value;
  };
  return { kubernetes: get('KUBERNETES_VERSION'), minio: get('MINIO_VERSION'), helm: get('HELM_VERSION') };
}

export function cacheDir(): string {
  return process.env.BOSUN_CACHE ?? join(homedir(), '.cache', 'bosun');
}

export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubelet: string;
  kubeProxy: string;
  kubectl: string;
  minio: string;
  helm: string;
}

export function binaryPaths(versions: PinnedVersions = readPinnedVersions()): BinaryPaths {
  const k8s = join(cacheDir(), 'bin', `kubernetes-v${versions.kubernetes}`);
  return {
    etcd: join(k8s, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubelet: join(k8s, 'kubelet'),
    kubeProxy: join(k8s, 'kube-proxy'),
    kubectl: join(k8s, 'kubectl'),
    minio: join(cacheDir(), 'bin', `minio-${versions.minio}`, 'minio'),
    helm: join(cacheDir(), 'bin', `helm-${versions.helm}`, 'helm'),
  };
}

/** Debian's PostgreSQL server binaries (initdb, postgres, pg_ctl); the newest installed major. */
export function postgresBinDir(): string {
  if (process.env.BOSUN_POSTGRES_BIN) return process.env.BOSUN_POSTGRES_BIN;
  const root = '/usr/lib/postgresql';
  let majors: number[] = [];
  try {
    majors = readdirSync(root)
      .map(Number)
      .filter((n) => Number.isInteger(n));
  } catch {
    // Not installed: the caller reports it with the install hint.
  }
  const newest = Math.max(0, ...majors);
  return join(root, String(newest), 'bin');
}
