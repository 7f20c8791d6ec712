// Properties every CRD schema must have, checked over every node: what makes it structural, what
// makes `kubectl explain` useful, and the bounds that keep the CEL rules within the API server's
// cost budget.
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { customResourceDefinition, type JsonSchema } from '../../../operator/api/crd.ts';
import { CATEGORY } from '../../../operator/api/group.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';

FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));

interface Visited {
  path: string;
  node: JsonSchema;
}

/** Every schema node with its path, e.g. `.spec.sources[].name`; `*` for map values. */
function walk(node: JsonSchema, path = ''): Visited[] {
  const out: Visited[] = [{ path, node }];
  for (const [name, child] of Object.entries((node.properties as Record<string, JsonSchema>) ?? {}))
    out.push(...walk(child, `${path}.${name}`));
  if (node.items) out.push(...walk(node.items as JsonSchema, `${path}[]`));
  if (typeof node.additionalProperties === 'object')
    out.push(...walk(node.additionalProperties as JsonSchema, `${path}.*`));
  return out;
}

/** Where a value really may be any JSON: a hyperparameter, of a TrainingRun or a Dataset's training template. */
const freeFormPaths = [
  '.spec.trainer.builtin.hyperparameters.*',
  '.spec.training[].spec.trainer.builtin.hyperparameters.*',
];

describe.each(resourceDefinitions.map((d) => [d.kind, d] as const))('%s CRD', (_kind, definition) => {
  const crd = customResourceDefinition(definition) as { spec: { names: JsonSchema; versions: JsonSchema[] } };
  const version = crd.spec.versions[0] as {
    schema: { openAPIV3Schema: JsonSchema };
    subresources: JsonSchema;
    additionalPrinterColumns: { jsonPath: string }[];
  };
  const root = version.schema.openAPIV3Schema;
  const nodes = walk(root);
  const userNodes = nodes.filter((n) => !n.path.startsWith('.metadata') && n.path !== '');

  it('gives every node a type (structural), except int-or-string and free-form values', () => {
    const untyped = nodes.filter(
      ({ node }) =>
        !node.type && !node['x-kubernetes-int-or-string'] && !node['x-kubernetes-preserve-unknown-fields'],
    );
    expect(untyped.map((n) => n.path)).toEqual([]);
  });

  it('describes every field, so kubectl explain teaches the API', () => {
    const undocumented = userNodes.filter(
      ({ node }) => typeof node.description !== 'string' || node.description.length < 3,
    );
    expect(undocumented.map((n) => n.path)).toEqual([]);
  });

  it('preserves unknown fields only where a value is truly free-form', () => {
    const preserved = nodes
      .filter(({ node }) => node['x-kubernetes-preserve-unknown-fields'])
      .map((n) => n.path);
    expect(preserved.every((p) => freeFormPaths.includes(p))).toBe(true);
  });

  it('bounds every string, list and map of the spec', () => {
    const unbounded = nodes
      .filter(({ path }) => path.startsWith('.spec'))
      .filter(({ node }) => {
        if (node.type === 'string') return node.maxLength === undefined && node.enum === undefined;
        if (node.type === 'array') return node.maxItems === undefined;
        if (node.type === 'object' && node.additionalProperties) return node.maxProperties === undefined;
        return false;
      });
    expect(unbounded.map((n) => n.path)).toEqual([]);
  });

  it('has no default inside a list item: client-side apply replaces whole lists, so it would show as drift', () => {
    const inItems = userNodes.filter(({ path, node }) => path.includes('[]') && 'default' in node);
    expect(inItems.map((n) => n.path)).toEqual([]);
  });

  it('never requires a field that has a default', () => {
    for (const { path, node } of nodes) {
      const properties = (node.properties as Record<string, JsonSchema>) ?? {};
      for (const name of (node.required as string[]) ?? [])
        expect(properties[name], `${path}.${name}`).not.toHaveProperty('default');
    }
  });

  it('has defaults that are valid values of their own schema', () => {
    const check = (schema: TSchema, path: string) => {
      // The API server applies the defaults inside a defaulted object too, and so does Value.Default.
      if ('default' in schema)
        expect(Value.Check(schema, Value.Default(schema, structuredClone(schema.default))), path).toBe(true);
      for (const [name, child] of Object.entries((schema.properties as Record<string, TSchema>) ?? {}))
        check(child, `${path}.${name}`);
      if (schema.items && !Array.isArray(schema.items)) check(schema.items as TSchema, `${path}[]`);
    };
    check(definition.schema, '');
  });

  it('has a status with observedGeneration and conditions keyed by type', () => {
    const status = (root.properties as Record<string, JsonSchema>).status as JsonSchema;
    const properties = status.properties as Record<string, JsonSchema>;
    expect(properties.observedGeneration?.type).toBe('integer');
    expect(properties.conditions?.['x-kubernetes-list-type']).toBe('map');
    expect(properties.conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect((properties.conditions?.items as JsonSchema | undefined)?.required).toEqual([
      'type',
      'status',
      'lastTransitionTime',
      'reason',
      'message',
    ]);
  });

  it('has the status subresource, the bosun category and short names', () => {
    expect(version.subresources.status).toEqual({});
    expect(crd.spec.names.categories).toEqual([CATEGORY]);
    expect(definition.shortNames.length).toBeGreaterThan(0);
  });

  it('has printer columns that point at fields of the schema', () => {
    const paths = new Set(nodes.map((n) => n.path));
    for (const { jsonPath } of version.additionalPrinterColumns) {
      if (jsonPath === '.metadata.creationTimestamp') continue;
      const path = jsonPath.replaceAll(/\[\?\(@\.[a-z]+=="[A-Za-z]+"\)\]/g, '[]');
      expect(paths, jsonPath).toContain(path);
    }
  });

  it('has selectable fields that are scalar fields of the schema', () => {
    const byPath = new Map(nodes.map((n) => [n.path, n.node]));
    for (const field of definition.selectableFields ?? [])
      expect(['string', 'integer', 'boolean'], field).toContain(byPath.get(field)?.type);
  });
});

describe('the InferenceService CRD', () => {
  it('exposes the scale subresource on spec.replicas, status.replicas and status.selector', () => {
    const definition = resourceDefinitions.find((d) => d.kind === 'InferenceService');
    const crd = customResourceDefinition(definition as NonNullable<typeof definition>) as {
      spec: { versions: { subresources: JsonSchema }[] };
    };
    expect(crd.spec.versions[0]?.subresources.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
  });
});
