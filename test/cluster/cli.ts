// `make cluster-up` / `make cluster-down`: the test environment, started by hand and left running.
//
//   node test/cluster/cli.ts up       start (or show the running one) and print how to reach it;
//                                     with a node when the machine allows (--no-node: without)
//   node test/cluster/cli.ts down     stop it; no process and no port is left behind
//   node test/cluster/cli.ts status   print the running one, if any
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type EnvironmentState, readEnvironment, startEnvironment, stopEnvironment } from './environment.ts';
import { canRunNode } from './host.ts';
import { cacheDir } from './paths.ts';
import { isAlive } from './process.ts';

const pointer = join(cacheDir(), 'cluster-up');

function running(): EnvironmentState | undefined {
  if (!existsSync(pointer)) return undefined;
  const dir = readFileSync(pointer, 'utf8').trim();
  if (!existsSync(join(dir, 'environment.json'))) return undefined;
  return readEnvironment(dir);
}

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
    `Node:       ${state.node ? `${state.node.name} at ${state.node.address} (containerd: ${state.node.containerdSocket})` : 'none'}`,
    `Running:    ${up.join(', ') || 'nothing'}${down.length ? `; stopped: ${down.join(', ')}` : ''}`,
    `Try:        ${state.kubectl} --kubeconfig ${state.controlPlane.kubeconfig} get nodes,ns`,
  ].join('\n');
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const existing = running();
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
      mkdirSync(dirname(pointer), { recursive: true });
      writeFileSync(pointer, state.dir);
      console.log(
        `Test environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s.\n${describe(state)}`,
      );
      return 0;
    }
    case 'down': {
      const state = running();
      if (!state) {
        console.log('No test environment is running.');
        rmSync(pointer, { force: true });
        return 0;
      }
      await stopEnvironment(state);
      rmSync(pointer, { force: true });
      console.log(`Stopped ${state.processes.map((p) => p.name).join(', ')}; removed ${state.dir}.`);
      return 0;
    }
    case 'status': {
      const state = running();
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
