// Turns a kind's TypeBox schema and definition into its CustomResourceDefinition (a pure function).
// TypeBox and Kubernetes disagree on three shapes, translated here: a union of string literals
// becomes `enum`, a record becomes `additionalProperties`, and a property with a default is not
// `required` in the CRD (the API server fills it in) though it is in the TypeScript type (the
// operator always reads it filled in).
import type { TSchema } from '@sinclair/typebox';
import { CATEGORY, GROUP, VERSION } from './group.ts';
import type { ResourceDefinition } from './resource.ts';

/** A JSON schema node as the CRD holds it. */
export type JsonSchema = { [key: string]: unknown };

/** Every keyword a CRD's OpenAPI v3 schema may use (apiextensions.k8s.io/v1 JSONSchemaProps). */
export const ALLOWED_KEYWORDS = new Set([
  'type',
  'format',
  'description',
  'default',
  'enum',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'properties',
  'additionalProperties',
  'anyOf',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(node: JsonSchema): JsonSchema {
  return Object.fromEntries(
    Object.keys(node)
      .sort()
      .map((k) => [k, node[k]]),
  );
}

/**
 * The CRD form of a TypeBox schema: structural, with keys sorted so the YAML is stable. Unsorted,
 * properties keep the order they are declared in (for the reference documentation).
 */
export function toStructural(schema: TSchema, options: { sort?: boolean } = {}): JsonSchema {
  // JSON round trip: drops TypeBox's symbol-keyed bookkeeping.
  return convert(JSON.parse(JSON.stringify(schema)) as JsonSchema, '', options.sort ?? true);
}

function convert(input: JsonSchema, path: string, sort: boolean): JsonSchema {
  const node: JsonSchema = { ...input };
  const anyOf = node.anyOf as JsonSchema[] | undefined;
  if (anyOf?.every((s) => typeof s.const === 'string')) {
    node.type = 'string';
    node.enum = anyOf.map((s) => s.const);
    delete node.anyOf;
  }
  if ('default' in node && typeof node.description === 'string') {
    // kubectl explain prints descriptions but not defaults.
    const text = describeDefault(node.default);
    if (text) node.description = `${node.description} Default: ${text}.`;
  }
  if (typeof node.const === 'string') {
    // A union of one literal is the literal itself.
    node.enum = [node.const];
    delete node.const;
  }
  const patternProperties = node.patternProperties as Record<string, JsonSchema> | undefined;
  if (patternProperties) {
    const values = Object.values(patternProperties);
    if (values.length !== 1 || !values[0])
      throw new Error(`${path}: only a record with string keys is supported`);
    node.additionalProperties = values[0];
    delete node.patternProperties;
  }
  if (isObject(node.properties)) {
    const properties = node.properties;
    if (Object.keys(properties).length === 0) delete node.properties;
    else {
      node.properties = Object.fromEntries(
        (sort ? Object.keys(properties).sort() : Object.keys(properties)).map((name) => [
          name,
          convert(properties[name] as JsonSchema, `${path}.${name}`, sort),
        ]),
      );
    }
    const required = ((node.required as string[] | undefined) ?? []).filter(
      (name) => !(isObject(properties[name]) && 'default' in properties[name]),
    );
    if (required.length > 0) node.required = required;
    else delete node.required;
  }
  if (isObject(node.additionalProperties))
    node.additionalProperties = convert(node.additionalProperties, `${path}.*`, sort);
  if (isObject(node.items)) node.items = convert(node.items, `${path}[*]`, sort);
  if (Array.isArray(node.anyOf)) node.anyOf = (node.anyOf as JsonSchema[]).map((s) => convert(s, path, sort));
  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYWORDS.has(key))
      throw new Error(`${path || '<root>'}: keyword ${key} is not allowed in a CRD`);
  }
  return sort ? sortKeys(node) : node;
}

function describeDefault(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return undefined; // {}: fields' own defaults
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** The CustomResourceDefinition of one kind. */
export function customResourceDefinition(definition: ResourceDefinition): JsonSchema {
  const { kind, plural, singular, shortNames, printerColumns, selectableFields, scale } = definition;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'bosun' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames, categories: [CATEGORY] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: toStructural(definition.schema) },
          subresources: { status: {}, ...(scale ? { scale } : {}) },
          additionalPrinterColumns: printerColumns,
          ...(selectableFields
            ? { selectableFields: selectableFields.map((jsonPath) => ({ jsonPath })) }
            : {}),
        },
      ],
    },
  };
}

export function crdName(definition: ResourceDefinition): string {
  return `${definition.plural}.${GROUP}`;
}

/** File name of a kind's CRD, as controller-gen names them. */
export function crdFileName(definition: ResourceDefinition): string {
  return `${GROUP}_${definition.plural}.yaml`;
}
