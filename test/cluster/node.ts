// A real node for the test control plane: containerd + runc, the CNI bridge, kubelet and kube-proxy,
// as plain processes (as Kubernetes' own hack/local-up-cluster.sh does). One node per machine at a
// time (environment.ts holds the lock): it owns machine-wide things (iptables rules, the bridge,
// the pod cgroups).
import { execFile } from 'node:child_process';
import { type Dirent, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { nodeAddress } from './host.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { binaryPaths, cacheDir } from './paths.ts';
import { CertificateAuthority } from './pki.ts';
import { freePorts, type ProcessGroup, waitUntil } from './process.ts';

const run = promisify(execFile);

export const nodeName = 'bosun-node';
export const podCidr = '10.88.0.0/16';
/** Built locally (see local-images.ts) and imported: nothing is ever pulled. */
export const sandboxImage = 'registry.k8s.io/pause:3.10.1';

export interface NodeInfo {
  name: string;
  address: string;
  /** containerd's socket, for `ctr --address` (images live in the `k8s.io` namespace). */
  containerdSocket: string;
  /** Seconds from the start of containerd to the node reporting Ready. */
  readySeconds: number;
}

/** Images survive between runs here, so a warm start imports nothing. */
export function containerdRoot(): string {
  return join(cacheDir(), 'node', 'containerd');
}

export async function ctr(socket: string, args: string[]): Promise<string> {
  const { stdout } = await run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

function containerdConfig(dir: string, socket: string, cniConfDir: string): string {
  // containerd 1.6 (Debian) reads config version 2.
  return `version = 2
root = ${JSON.stringify(containerdRoot())}
state = ${JSON.stringify(join(dir, 'containerd-state'))}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${JSON.stringify(socket)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(sandboxImage)}
  # Network namespaces under the run directory, so teardown finds and unmounts them.
  netns_mounts_under_state_dir = true
  # Root here may lack CAP_SYS_RESOURCE (as in some VMs and sandboxes): never ask runc to lower a
  # container's OOM score below containerd's own, which would fail every pod sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${JSON.stringify(cniConfDir)}
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      # Must match kubelet's cgroupDriver; there is no systemd here.
      SystemdCgroup = false
`;
}

/** The pods' bridge, made by the CNI bridge plugin with the first pod; removed by cleanupNodeNetwork. */
export const NODE_BRIDGE = 'bosun-cni0';

function cniConfig(ipamDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'bosun',
    plugins: [
      {
        type: 'bridge',
        bridge: NODE_BRIDGE,
        isGateway: true,
        // No masquerading: pods only talk to each other and to the node, and per-pod NAT chains
        // would outlive pods that a teardown kills.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: ipamDir,
          ranges: [[{ subnet: podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
}

function kubeletConfig(options: {
  caCert: string;
  serving: { cert: string; key: string };
  port: number;
  socket: string;
}) {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    containerRuntimeEndpoint: `unix://${options.socket}`,
    port: options.port,
    readOnlyPort: 0,
    healthzPort: 0,
    tlsCertFile: options.serving.cert,
    tlsPrivateKeyFile: options.serving.key,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: options.caCert },
    },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    // Without CAP_SYS_RESOURCE kubelet cannot lower its own OOM score; keep it where it is.
    oomScoreAdj: 0,
    // This machine has a cgroup v1 hierarchy; 1.34 only warns, later releases need this set.
    failCgroupV1: false,
    failSwapOn: false,
    rotateCertificates: false,
    serverTLSBootstrap: false,
    clusterDomain: 'cluster.local',
    resolvConf: '/etc/resolv.conf',
    // Imported images can never be pulled again: no image garbage collection, and eviction
    // thresholds in absolute sizes so a mostly-full disk does not evict everything.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1Gi',
      'imagefs.available': '1Gi',
      'nodefs.inodesFree': '1%',
    },
    serializeImagePulls: false,
    // Pods start quickly in tests; the defaults are tuned for large fleets.
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
    fileCheckFrequency: '5s',
  };
}

function kubeProxyConfig(kubeconfig: string, healthzPort: number, metricsPort: number) {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clusterCIDR: podCidr,
    hostnameOverride: nodeName,
    bindAddress: nodeAddress,
    healthzBindAddress: `127.0.0.1:${healthzPort}`,
    metricsBindAddress: `127.0.0.1:${metricsPort}`,
    clientConnection: { kubeconfig },
    // Leave the host's conntrack sysctls alone (as local-up-cluster does).
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { localhostNodePorts: false },
  };
}

export async function startNode(
  dir: string,
  group: ProcessGroup,
  options: {
    server: string;
    pkiDir: string;
    adminKubeconfig: string;
  },
): Promise<NodeInfo> {
  const started = Date.now();
  const nodeDir = join(dir, 'node');
  const cniConfDir = join(nodeDir, 'cni');
  for (const d of [nodeDir, cniConfDir, join(nodeDir, 'kubelet'), containerdRoot()])
    mkdirSync(d, { recursive: true });

  const socket = join(nodeDir, 'containerd.sock');
  const containerdConfigFile = join(nodeDir, 'containerd.toml');
  writeFileSync(containerdConfigFile, containerdConfig(nodeDir, socket, cniConfDir));
  writeFileSync(join(cniConfDir, '10-bosun.conflist'), cniConfig(join(nodeDir, 'cni-ipam')));
  const containerd = group.start('containerd', 'containerd', ['--config', containerdConfigFile]);
  await waitUntil('containerd', async () => (await ctr(socket, ['version'])).includes('Server'), {
    timeoutMs: 30_000,
    process: containerd,
  });
  // The image store is kept between runs; containers of an earlier run are not.
  const stale = (await ctr(socket, ['containers', 'list', '--quiet'])).split('\n').filter(Boolean);
  if (stale.length > 0) await ctr(socket, ['containers', 'delete', ...stale]);

  const ca = CertificateAuthority.load(options.pkiDir);
  const [kubeletClient, kubeletServing, proxyClient] = await Promise.all([
    ca.issue('kubelet', { user: `system:node:${nodeName}`, groups: ['system:nodes'] }),
    ca.issue(
      'kubelet-serving',
      { user: `system:node:${nodeName}` },
      { hosts: [nodeAddress, nodeName], client: false },
    ),
    ca.issue('kube-proxy', { user: 'system:kube-proxy' }),
  ]);
  const kubeletKubeconfig = join(nodeDir, 'kubelet.kubeconfig');
  const proxyKubeconfig = join(nodeDir, 'kube-proxy.kubeconfig');
  writeKubeconfig(kubeletKubeconfig, {
    server: options.server,
    caCert: ca.pair.cert,
    client: kubeletClient,
    user: 'kubelet',
  });
  writeKubeconfig(proxyKubeconfig, {
    server: options.server,
    caCert: ca.pair.cert,
    client: proxyClient,
    user: 'kube-proxy',
  });

  const [kubeletPort] = (await freePorts(1, nodeAddress)) as [number];
  const [proxyHealthz, proxyMetrics] = (await freePorts(2)) as [number, number];
  const kubeletConfigFile = join(nodeDir, 'kubelet.yaml');
  writeFileSync(
    kubeletConfigFile,
    stringify(kubeletConfig({ caCert: ca.pair.cert, serving: kubeletServing, port: kubeletPort, socket })),
  );
  const proxyConfigFile = join(nodeDir, 'kube-proxy.yaml');
  writeFileSync(proxyConfigFile, stringify(kubeProxyConfig(proxyKubeconfig, proxyHealthz, proxyMetrics)));

  const bin = binaryPaths();
  const kubelet = group.start('kubelet', bin.kubelet, [
    `--config=${kubeletConfigFile}`,
    `--kubeconfig=${kubeletKubeconfig}`,
    `--root-dir=${join(nodeDir, 'kubelet')}`,
    `--cert-dir=${join(nodeDir, 'kubelet', 'pki')}`,
    `--hostname-override=${nodeName}`,
    `--node-ip=${nodeAddress}`,
  ]);
  group.start('kube-proxy', bin.kubeProxy, [`--config=${proxyConfigFile}`]);

  const kc = new KubeConfig();
  kc.loadFromFile(options.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await waitUntil(
    `node ${nodeName} Ready`,
    async () => {
      const node = await core.readNode({ name: nodeName });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True')
        throw new Error(`Ready=${ready?.status}: ${ready?.message ?? 'not reported yet'}`);
      return true;
    },
    { timeoutMs: 90_000, process: kubelet },
  );
  const readySeconds = Math.round((Date.now() - started) / 100) / 10;
  return { name: nodeName, address: nodeAddress, containerdSocket: socket, readySeconds };
}

/** Sends SIGKILL to every process in the cgroup tree below `dir` (cgroup v1 or v2 layout). */
function killCgroupTree(dir: string): number {
  let killed = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) if (entry.isDirectory()) killed += killCgroupTree(join(dir, entry.name));
  for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // Exited meanwhile.
    }
  }
  return killed;
}

/**
 * Stops what containerd leaves running when it stops or crashes: the containers (everything in
 * kubelet's pod cgroups, which on this one-node-per-machine setup are all ours) and their shims.
 */
export function killNodeWorkloads(containerdSocket: string): void {
  for (const root of ['/sys/fs/cgroup/pids/kubepods', '/sys/fs/cgroup/kubepods']) killCgroupTree(root);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.startsWith('/usr/bin/containerd-shim') && cmdline.includes(containerdSocket)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
}

/** The chains a node leaves in the machine's tables: kube-proxy's, the kubelet's, the CNI plugins'. */
export const NODE_CHAIN = /^(KUBE-|CNI-)/;
export const NODE_CHAIN_TABLES = ['filter', 'nat', 'mangle'] as const;

/** Removes the node's rules; run after the node has stopped. */
export async function cleanupNodeNetwork(): Promise<void> {
  await run(binaryPaths().kubeProxy, ['--cleanup']).catch(() => undefined);
  // kube-proxy --cleanup leaves the kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY).
  for (const tool of ['iptables', 'ip6tables'])
    for (const table of NODE_CHAIN_TABLES) await removeNodeChains(tool, table).catch(() => undefined);
  // Absent when no pod ever ran.
  await run('ip', ['link', 'delete', NODE_BRIDGE]).catch(() => undefined);
}

/** Deletes every jump to a node chain of `table`, then flushes and deletes those chains. */
async function removeNodeChains(tool: string, table: string): Promise<void> {
  const { stdout } = await run(`${tool}-save`, ['-t', table]);
  const chains = stdout
    .split('\n')
    .flatMap((line) => (line.startsWith(':') ? [line.slice(1).split(' ')[0] as string] : []));
  const ours = new Set(chains.filter((c) => NODE_CHAIN.test(c)));
  if (ours.size === 0) return;
  for (const chain of chains.filter((c) => !ours.has(c))) {
    const { stdout: listed } = await run(tool, ['-t', table, '-n', '--line-numbers', '-L', chain]);
    // Rule numbers of jumps to our chains, highest first so that deleting keeps the others' numbers.
    const numbers = listed
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([num, target]) => /^\d+$/.test(num ?? '') && ours.has(target ?? ''))
      .map(([num]) => Number(num))
      .sort((a, b) => b - a);
    for (const n of numbers) await run(tool, ['-t', table, '-D', chain, String(n)]);
  }
  for (const chain of ours) await run(tool, ['-t', table, '-F', chain]);
  for (const chain of ours) await run(tool, ['-t', table, '-X', chain]);
}
