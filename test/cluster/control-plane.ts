// A real Kubernetes control plane on loopback: etcd, kube-apiserver (TLS, RBAC, service-account
// keys), kube-controller-manager and kube-scheduler, each a process of the pinned build.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { httpsGetStatus } from './https-probe.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { binaryPaths } from './paths.ts';
import { CertificateAuthority, serviceAccountKeys } from './pki.ts';
import { freePorts, type ProcessGroup, waitUntil } from './process.ts';

export const serviceClusterIpRange = '10.96.0.0/24';

export interface ControlPlaneInfo {
  /** https://<address>:<port> */
  server: string;
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  etcdEndpoint: string;
  pkiDir: string;
}

export async function startControlPlane(
  dir: string,
  group: ProcessGroup,
  /** The address the API server serves on and advertises; pods reach it there. */
  address: string,
): Promise<ControlPlaneInfo> {
  const bin = binaryPaths();
  const pkiDir = join(dir, 'pki');
  for (const d of [pkiDir, join(dir, 'etcd')]) mkdirSync(d, { recursive: true });
  const [etcdClient, etcdPeer, kcmPort, schedulerPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const [apiserverPort] = (await freePorts(1, address)) as [number];
  const server = `https://${address}:${apiserverPort}`;

  const ca = await CertificateAuthority.create(pkiDir);
  const [serving, admin, kcm, scheduler, kubeletClient, frontProxy, sa] = await Promise.all([
    ca.issue(
      'apiserver',
      { user: 'kube-apiserver' },
      {
        hosts: [
          ...new Set([address, '127.0.0.1']),
          'localhost',
          '10.96.0.1',
          'kubernetes',
          'kubernetes.default',
          'kubernetes.default.svc',
        ],
        client: false,
      },
    ),
    ca.issue('admin', { user: 'bosun-admin', groups: ['system:masters'] }),
    ca.issue('controller-manager', { user: 'system:kube-controller-manager' }),
    ca.issue('scheduler', { user: 'system:kube-scheduler' }),
    ca.issue('apiserver-kubelet-client', {
      user: 'kube-apiserver-kubelet-client',
      groups: ['system:masters'],
    }),
    ca.issue('front-proxy-client', { user: 'front-proxy-client' }),
    serviceAccountKeys(pkiDir),
  ]);
  const kubeconfig = join(dir, 'admin.kubeconfig');
  const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  const schedulerKubeconfig = join(dir, 'scheduler.kubeconfig');
  writeKubeconfig(kubeconfig, { server, caCert: ca.pair.cert, client: admin, user: 'bosun-admin' });
  writeKubeconfig(kcmKubeconfig, { server, caCert: ca.pair.cert, client: kcm, user: 'controller-manager' });
  writeKubeconfig(schedulerKubeconfig, {
    server,
    caCert: ca.pair.cert,
    client: scheduler,
    user: 'scheduler',
  });

  const etcdEndpoint = `http://127.0.0.1:${etcdClient}`;
  const etcd = group.start('etcd', bin.etcd, [
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdEndpoint}`,
    `--advertise-client-urls=${etcdEndpoint}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
    // A throwaway store: durability across power loss buys nothing and costs seconds.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  await waitUntil('etcd', async () => (await fetch(`${etcdEndpoint}/health`)).ok, {
    timeoutMs: 30_000,
    process: etcd,
  });

  const apiserver = group.start('kube-apiserver', bin.kubeApiserver, [
    `--etcd-servers=${etcdEndpoint}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${apiserverPort}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${ca.pair.cert}`,
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    // The aggregation layer's front proxy; controllers read this CA to authenticate requests.
    `--requestheader-client-ca-file=${ca.pair.cert}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${frontProxy.cert}`,
    `--proxy-client-key-file=${frontProxy.key}`,
    // Node names do not resolve here; reach kubelets by the address they report.
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${sa.publicKey}`,
    `--service-account-signing-key-file=${sa.privateKey}`,
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${pkiDir}`,
  ]);
  await waitUntil(
    'kube-apiserver',
    async () =>
      (await httpsGetStatus(`${server}/readyz`, { ca: ca.pair.cert, cert: admin.cert, key: admin.key })) ===
      200,
    { timeoutMs: 60_000, process: apiserver },
  );

  const controllerManager = group.start('kube-controller-manager', bin.kubeControllerManager, [
    `--kubeconfig=${kcmKubeconfig}`,
    `--authentication-kubeconfig=${kcmKubeconfig}`,
    `--authorization-kubeconfig=${kcmKubeconfig}`,
    `--service-account-private-key-file=${sa.privateKey}`,
    `--root-ca-file=${ca.pair.cert}`,
    '--use-service-account-credentials',
    `--cluster-signing-cert-file=${ca.pair.cert}`,
    `--cluster-signing-key-file=${ca.pair.key}`,
    `--service-cluster-ip-range=${serviceClusterIpRange}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${kcmPort}`,
    `--cert-dir=${join(pkiDir, 'controller-manager')}`,
    '--profiling=false',
  ]);
  const kubeScheduler = group.start('kube-scheduler', bin.kubeScheduler, [
    `--kubeconfig=${schedulerKubeconfig}`,
    `--authentication-kubeconfig=${schedulerKubeconfig}`,
    `--authorization-kubeconfig=${schedulerKubeconfig}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${schedulerPort}`,
    `--cert-dir=${join(pkiDir, 'scheduler')}`,
    '--profiling=false',
  ]);
  await Promise.all([
    waitUntil(
      'kube-controller-manager',
      async () => (await httpsGetStatus(`https://127.0.0.1:${kcmPort}/healthz`)) === 200,
      { timeoutMs: 60_000, process: controllerManager },
    ),
    waitUntil(
      'kube-scheduler',
      async () => (await httpsGetStatus(`https://127.0.0.1:${schedulerPort}/healthz`)) === 200,
      { timeoutMs: 60_000, process: kubeScheduler },
    ),
  ]);

  // Pods can only be created once the controller-manager has made the namespace's default
  // ServiceAccount: waiting for it proves the controllers are working, not just listening.
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await waitUntil(
    'default ServiceAccount',
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    { timeoutMs: 60_000, process: controllerManager },
  );

  return { server, kubeconfig, etcdEndpoint, pkiDir };
}
