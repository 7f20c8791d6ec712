// The test environment a benchmark with Pods runs in: the one BOSUN_TEST_ENV names, else the one
// `make cluster-up` started, else a new one with a node (root only, and only when no other
// environment runs this machine's node). `owned` says whether the benchmark must stop it.
import {
  clusterUpEnvironment,
  type EnvironmentState,
  nodeOwner,
  readEnvironment,
  startEnvironment,
} from '../cluster/environment.ts';
import { canRunNode } from '../cluster/host.ts';

export async function nodeEnvironment(purpose: string): Promise<{ env: EnvironmentState; owned: boolean }> {
  const reuse = process.env.BOSUN_TEST_ENV;
  const existing = reuse ? readEnvironment(reuse) : clusterUpEnvironment();
  if (existing) {
    if (!existing.node) throw new Error(`the environment ${existing.dir} has no node: ${purpose}`);
    return { env: existing, owned: false };
  }
  const owner = nodeOwner();
  const reason =
    canRunNode() ??
    (owner
      ? `another environment runs this machine's node: reuse it with BOSUN_TEST_ENV=${owner}`
      : undefined);
  if (reason) throw new Error(`${purpose}: ${reason}`);
  return { env: await startEnvironment({ node: true }), owned: true };
}
