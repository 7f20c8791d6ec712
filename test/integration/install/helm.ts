// The pinned helm (test/cluster/build-binaries.sh helm) and the pinned kubectl's kustomize, run as
// a user runs them, with the chart of this repository; and the objects they render.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { binaryPaths, repoRoot } from '../../cluster/paths.ts';

export const CHART_DIR = join(repoRoot, 'charts', 'bosun');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

// helm's own cache, config and data directories, so no run reads another's repositories or plugins.
const helmHome = mkdtempSync(join(tmpdir(), 'bosun-helm-home-'));

function run(binary: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: helmHome,
          HELM_CACHE_HOME: join(helmHome, 'cache'),
          HELM_CONFIG_HOME: join(helmHome, 'config'),
          HELM_DATA_HOME: join(helmHome, 'data'),
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

export function helmBinary(): string {
  const { helm } = binaryPaths();
  if (!existsSync(helm))
    throw new Error(`helm is not built at ${helm}: run test/cluster/build-binaries.sh helm (make binaries)`);
  return helm;
}

/** helm with `args`; with a kubeconfig it talks to that cluster. */
export function helm(args: string[], options: { kubeconfig?: string; timeoutMs?: number } = {}) {
  const kube = options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : [];
  return run(helmBinary(), [...kube, ...args], options.timeoutMs ?? 300_000);
}

/** helm that must succeed; its stdout. */
export async function helmOk(args: string[], options: { kubeconfig?: string; timeoutMs?: number } = {}) {
  const result = await helm(args, options);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

/** Every object of a multi-document YAML stream, empty documents left out. */
export function parseObjects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/** `helm template` of the chart with `--set` values (the test hook left out unless asked). */
export async function renderChart(
  values: string[] = [],
  options: { release?: string; namespace?: string; withTests?: boolean } = {},
): Promise<KubeObject[]> {
  const args = ['template', options.release ?? 'bosun', CHART_DIR];
  args.push('--namespace', options.namespace ?? 'bosun-system');
  if (!options.withTests) args.push('--skip-tests');
  for (const value of values) args.push('--set', value);
  return parseObjects(await helmOk(args));
}

/** `kubectl kustomize` of a folder of config/, with the kubectl the test cluster is built with. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const result = await run(binaryPaths().kubectl, ['kustomize', join(repoRoot, dir)], 60_000);
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseObjects(result.stdout);
}

/** kind/namespace/name, the identity of an object. */
export const objectKey = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function findObject(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map(objectKey).join(', ')}`);
  return found;
}
