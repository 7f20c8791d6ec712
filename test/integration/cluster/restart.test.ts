// The test tooling can restart the API server in place (fault tests rely on it), and clients
// recover once it is back. A private control plane, so other test files never see the outage.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type EnvironmentState,
  readEnvironment,
  restartComponent,
  startEnvironment,
  stopEnvironment,
} from '../../cluster/environment.ts';
import { uniqueName } from '../clients.ts';

let state: EnvironmentState;
beforeAll(async () => {
  state = await startEnvironment();
});
afterAll(async () => {
  await stopEnvironment(state);
});

describe('restartComponent', () => {
  it('restarts kube-apiserver with the same flags and keeps the stored objects', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(state.controlPlane.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const name = uniqueName('restart');
    await core.createNamespace({ body: { metadata: { name } } });
    const before = state.processes.find((p) => p.name === 'kube-apiserver')?.pid;
    await restartComponent(state, 'kube-apiserver');
    const after = readEnvironment(state.dir).processes.find((p) => p.name === 'kube-apiserver')?.pid;
    expect(after).not.toBe(before);
    const namespace = await vi.waitFor(() => core.readNamespace({ name }), {
      timeout: 60_000,
      interval: 250,
    });
    expect(namespace.metadata?.name).toBe(name);
  });
});
