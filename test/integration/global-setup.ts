// Starts one real test environment (control plane, MinIO, PostgreSQL) for the whole integration
// run and hands its coordinates to every test file. BOSUN_TEST_ENV=<dir> reuses an environment
// started by `make cluster-up` instead, for fast iterations.
import type { TestProject } from 'vitest/node';
import {
  type EnvironmentState,
  readEnvironment,
  startEnvironment,
  stopEnvironment,
} from '../cluster/environment.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    environment: EnvironmentState;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.BOSUN_TEST_ENV;
  const started = Date.now();
  const state = reuse ? readEnvironment(reuse) : await startEnvironment();
  if (!reuse)
    console.log(`test environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${state.dir})`);
  project.provide('environment', state);
  return async () => {
    if (!reuse) await stopEnvironment(state);
  };
}
