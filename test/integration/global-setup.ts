// Starts one real test environment for the whole run — control plane, MinIO, PostgreSQL and, for
// the end-to-end tests, a node with the project's images imported — and hands its coordinates to
// every test file. BOSUN_TEST_ENV=<dir> reuses an environment started by `make cluster-up`.
import type { TestProject } from 'vitest/node';
import {
  type EnvironmentState,
  nodeOwner,
  readEnvironment,
  startEnvironment,
  stopEnvironment,
} from '../cluster/environment.ts';
import { canRunNode } from '../cluster/host.ts';
import { buildLocalImages, importImages } from '../cluster/local-images.ts';
import { useRunTempDir } from './run-dirs.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    environment: EnvironmentState;
    /** Why there is no node, when there is none (end-to-end tests fail with this reason). */
    noNodeReason: string | undefined;
  }
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.BOSUN_TEST_ENV;
  const owner = nodeOwner();
  const noNodeReason = process.env.BOSUN_NO_NODE
    ? 'BOSUN_NO_NODE is set'
    : (canRunNode() ?? (owner ? `another environment runs this machine's node (${owner})` : undefined));
  const started = Date.now();
  // Images build while the servers start; both are cached, so a warm run pays seconds.
  const images = noNodeReason ? Promise.resolve([]) : buildLocalImages();
  images.catch(() => undefined);
  const state = reuse ? readEnvironment(reuse) : await startEnvironment({ node: !noNodeReason });
  try {
    if (state.node) {
      const imported = await importImages(state.node.containerdSocket, await images);
      if (imported.length > 0) console.log(`imported ${imported.join(', ')}`);
    }
  } catch (error) {
    if (!reuse) await stopEnvironment(state);
    throw error;
  }
  console.log(
    `test environment ready in ${seconds(started)} s (${state.dir}${state.node ? `, node Ready after ${state.node.readySeconds} s` : ''})`,
  );
  project.provide('environment', state);
  project.provide('noNodeReason', state.node ? undefined : (noNodeReason ?? 'the environment has no node'));
  const removeRunTempDir = useRunTempDir();
  return async () => {
    if (!reuse) await stopEnvironment(state);
    removeRunTempDir();
  };
}
