// `make cluster-up` / `make cluster-down`: the test environment, started by hand and left running.
//
//   node test/cluster/cli.ts up       start (or show the running one) and print how to reach it;
//                                     with a node when the machine allows (--no-node: without)
//   node test/cluster/cli.ts down     stop it; no process and no port is left behind
//   node test/cluster/cli.ts status   print the running one, if any
import { join } from 'node:path';
import {
  clusterUpEnvironment,
  type EnvironmentState,
  recordClusterUp,
  startEnvironment,
  stopEnvironment,
} from './environment.ts';
import { canRunNode } from './host.ts';
import { buildLocalImages, importImages } from './local-images.ts';
import { isAlive } from './process.ts';

function describe(state: EnvironmentState): string {
  const up = state.processes.filter((p) => isAlive(p.pid)).map((p) => p.name);
  const down = state.processes.filter((p) => !isAlive(p.pid)).map((p) => p.name);
  return [
    `export KUBECONFIG=${state.controlPlane.kubeconfig}`,
    `kubectl:    ${state.kubectl}`,
    `API server: ${state.controlPlane.server}`,
    `MinIO:      ${state.minio.endpoint}  (access key ${state.minio.accessKey}, secret key in ${join(state.dir, 'environment.json')})`,
    `PostgreSQL: postgres://${state.postgres.user}@${state.postgres.host}:${state.postgres.port}/${state.postgres.database}  (password in the same file)`,
    `Logs:       ${state.logsDir}`,
    `Node:       ${state.node ? `${state.node.name} at ${state.node.address}, Ready after ${state.node.readySeconds} s (containerd: ${state.node.containerdSocket})` : 'none'}`,
    `Running:    ${up.join(', ') || 'nothing'}${down.length ? `; stopped: ${down.join(', ')}` : ''}`,
    `Try:        ${state.kubectl} --kubeconfig ${state.controlPlane.kubeconfig} get nodes,ns`,
  ].join('\n');
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const existing = clusterUpEnvironment();
      if (existing) {
        console.log(`Already running.\n${describe(existing)}`);
        return 0;
      }
      const started = Date.now();
      // A node (real pods) whenever this machine can run one; --no-node for the control plane only.
      const noNode = process.argv.includes('--no-node');
      const nodeProblem = canRunNode();
      if (!noNode && nodeProblem) console.log(`Starting without a node: ${nodeProblem}.`);
      const state = await startEnvironment({ persistent: true, node: !noNode && !nodeProblem });
      recordClusterUp(state.dir);
      if (state.node) {
        const imported = await importImages(state.node.containerdSocket, await buildLocalImages());
        if (imported.length > 0) console.log(`Imported ${imported.join(', ')} into the node.`);
      }
      console.log(
        `Test environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s.\n${describe(state)}`,
      );
      return 0;
    }
    case 'down': {
      const state = clusterUpEnvironment();
      if (!state) {
        console.log('No test environment is running.');
        recordClusterUp(undefined);
        return 0;
      }
      await stopEnvironment(state);
      recordClusterUp(undefined);
      console.log(`Stopped ${state.processes.map((p) => p.name).join(', ')}; removed ${state.dir}.`);
      return 0;
    }
    case 'status': {
      const state = clusterUpEnvironment();
      console.log(state ? describe(state) : 'No test environment is running.');
      return 0;
    }
    default:
      console.error('usage: node test/cluster/cli.ts up|down|status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
