// A kubeconfig for a plain-HTTP API stand-in on 127.0.0.1 (tests of the client, the informer and
// leader election against a local node:http server). skipTLSVerify is needed even over http://:
// without it client-node's options make every request fail without a visible error.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export function localKubeConfig(server: Server): KubeConfig {
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'nobody' }],
    currentContext: 'local',
  });
  return kc;
}
