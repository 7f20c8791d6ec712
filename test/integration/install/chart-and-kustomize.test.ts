// The chart with its default values and `kubectl apply -k config/default` install the same
// operator: the same objects (kind, namespace, name), the same RBAC rules and bindings, the same
// CRDs, Service and Pod — the operator's settings compared as the configuration it ends up with,
// so a flag left at its default on one side equals the same value passed on the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdName } from '../../../operator/api/crd.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { flags } from '../../../operator/config.ts';
import { repoRoot } from '../../cluster/paths.ts';
import { findObject, type KubeObject, objectKey, renderChart, renderKustomization } from './helm.ts';

let chart: KubeObject[];
let kustomize: KubeObject[];

beforeAll(async () => {
  chart = await renderChart();
  // Helm installs into a namespace that exists (or `--create-namespace`): the chart owns none.
  kustomize = (await renderKustomization('config/default')).filter((o) => o.kind !== 'Namespace');
});

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [field: string]: unknown;
}

/**
 * What the operator reads from a container: every flag's value from its argument, else its
 * environment variable, else its default (as operator/config.ts reads them), and the environment
 * that is not a flag.
 */
function effectiveConfiguration(container: Container) {
  const args = new Map<string, string>();
  for (const arg of container.args ?? []) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!match?.[1]) throw new Error(`argument ${arg} is not --name=value`);
    args.set(match[1], match[2] ?? '');
  }
  const env = new Map<string, unknown>((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
  const settings: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(flags)) {
    settings[`--${name}`] = args.get(name) ?? env.get(flag.env) ?? flag.default;
    env.delete(flag.env);
    args.delete(name);
  }
  expect([...args.keys()], 'arguments that are no flag of the operator').toEqual([]);
  return { settings, otherEnv: Object.fromEntries(env) };
}

function podSpec(deployment: KubeObject) {
  const spec = structuredClone(
    (deployment.spec as { template: { spec: { containers: Container[] } } }).template.spec,
  );
  const containers = spec.containers.map((c) => {
    const { args: _args, env: _env, ...rest } = c;
    return { ...rest, ...effectiveConfiguration(c) };
  });
  return { ...spec, containers };
}

describe('the chart with default values and config/default', () => {
  it('render the same objects', () => {
    expect(chart.map(objectKey).sort()).toEqual(kustomize.map(objectKey).sort());
    expect(
      chart
        .filter((o) => o.kind !== 'CustomResourceDefinition')
        .map(objectKey)
        .sort(),
    ).toEqual([
      'ClusterRole//bosun-admin',
      'ClusterRole//bosun-edit',
      'ClusterRole//bosun-operator',
      'ClusterRole//bosun-view',
      'ClusterRoleBinding//bosun-operator',
      'Deployment/bosun-system/bosun-operator',
      'Role/bosun-system/bosun-operator',
      'RoleBinding/bosun-system/bosun-operator',
      'Service/bosun-system/bosun-operator',
      'ServiceAccount/bosun-system/bosun-operator',
    ]);
    expect(
      chart
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(resourceDefinitions.map((d) => crdName(d)).sort());
  });

  it('grant the same rules through the same bindings', () => {
    const rbac = (objects: KubeObject[]) =>
      objects
        .filter((o) => o.apiVersion === 'rbac.authorization.k8s.io/v1')
        .map((o) => ({
          key: objectKey(o),
          rules: o.rules,
          roleRef: o.roleRef,
          subjects: o.subjects,
          aggregateTo: Object.keys(o.metadata.labels ?? {}).filter((l) => l.includes('/aggregate-to-')),
        }))
        .sort((a, b) => a.key.localeCompare(b.key));
    expect(rbac(chart)).toEqual(rbac(kustomize));
    // The operator's rules are those of config/rbac, the ones the tests run the operator with.
    const role = parse(readFileSync(join(repoRoot, 'config/rbac/role.yaml'), 'utf8')) as { rules: unknown };
    expect(findObject(chart, 'ClusterRole', 'bosun-operator').rules).toEqual(role.rules);
  });

  it('run the same operator Pod', () => {
    const a = findObject(chart, 'Deployment', 'bosun-operator');
    const b = findObject(kustomize, 'Deployment', 'bosun-operator');
    const spec = (d: KubeObject) => d.spec as { replicas: number; selector: unknown };
    expect(spec(a).replicas).toBe(spec(b).replicas);
    expect(spec(a).selector).toEqual(spec(b).selector);
    expect(podSpec(a)).toEqual(podSpec(b));
    // And the Pod's labels select it.
    const labels = (d: KubeObject) =>
      (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    for (const d of [a, b])
      expect(labels(d)).toMatchObject(
        (spec(d).selector as { matchLabels: Record<string, string> }).matchLabels,
      );
  });

  it('expose the same Service and install the same CRDs', () => {
    for (const o of chart.filter((o) => o.kind === 'Service' || o.kind === 'CustomResourceDefinition'))
      expect(o.spec, objectKey(o)).toEqual(findObject(kustomize, o.kind, o.metadata.name).spec);
  });
});
