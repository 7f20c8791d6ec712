// Renders the API reference (the generated part of docs/api.md) from the same schemas the CRDs
// come from, so the documentation cannot drift from what the API server enforces.
import { type JsonSchema, toStructural } from './crd.ts';
import { API_VERSION, CATEGORY } from './group.ts';
import type { ResourceDefinition } from './resource.ts';
import type { ValidationRule } from './schema.ts';

interface Row {
  path: string;
  node: JsonSchema;
  required: boolean;
}

/** Text for a Markdown table cell: `<label>` would otherwise be taken for an HTML tag. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('\n', ' ');
}

function count(n: unknown, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function code(value: unknown): string {
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function typeName(node: JsonSchema): string {
  if (node['x-kubernetes-int-or-string']) return 'int or string';
  if (node['x-kubernetes-preserve-unknown-fields'] && !node.type) return 'any';
  if (node.type === 'array') return `[]${typeName(node.items as JsonSchema)}`;
  if (node.type === 'object' && node.additionalProperties)
    return `map[string]${typeName(node.additionalProperties as JsonSchema)}`;
  return String(node.type);
}

function constraints(node: JsonSchema, required: boolean): string[] {
  const out: string[] = [];
  if (required) out.push('**required**');
  if (node.enum) out.push(`one of ${(node.enum as unknown[]).map(code).join(', ')}`);
  if (node.format) out.push(`format ${node.format}`);
  if (node.minimum !== undefined && node.maximum !== undefined) out.push(`${node.minimum}–${node.maximum}`);
  else if (node.minimum !== undefined) out.push(`≥ ${node.minimum}`);
  else if (node.maximum !== undefined) out.push(`≤ ${node.maximum}`);
  if (node.maxLength !== undefined) out.push(`at most ${count(node.maxLength, 'character')}`);
  if (node.minItems !== undefined) out.push(`at least ${count(node.minItems, 'item')}`);
  if (node.maxItems !== undefined) out.push(`at most ${count(node.maxItems, 'item')}`);
  if (node.maxProperties !== undefined) out.push(`at most ${count(node.maxProperties, 'entry', 'entries')}`);
  if (node['x-kubernetes-list-type'] === 'map')
    out.push(`keyed by ${(node['x-kubernetes-list-map-keys'] as string[]).map(code).join(', ')}`);
  if (node['x-kubernetes-list-type'] === 'set') out.push('unique items');
  return out;
}

function ruleText(rule: ValidationRule): string {
  return rule.message ?? `\`${rule.rule}\``;
}

/** A rule written on an object but about one of its fields, prefixed by that field. */
function fieldRuleText(rule: ValidationRule): string {
  return rule.fieldPath ? `\`${rule.fieldPath.slice(1)}\`: ${ruleText(rule)}` : ruleText(rule);
}

function rows(node: JsonSchema, path: string, out: Row[]): void {
  const properties = node.properties as Record<string, JsonSchema> | undefined;
  const required = new Set((node.required as string[] | undefined) ?? []);
  for (const [name, child] of Object.entries(properties ?? {})) {
    const childPath = `${path}.${name}`;
    out.push({ path: childPath, node: child, required: required.has(name) });
    descend(child, childPath, out);
  }
}

function descend(node: JsonSchema, path: string, out: Row[]): void {
  if (node.properties) rows(node, path, out);
  const items = node.items as JsonSchema | undefined;
  if (items?.properties) rows(items, `${path}[]`, out);
  const values = node.additionalProperties as JsonSchema | undefined;
  if (values?.properties) rows(values, `${path}.*`, out);
}

function fieldTable(node: JsonSchema, path: string): string {
  const out: Row[] = [];
  rows(node, path, out);
  const lines = ['| Field | Type | Description |', '| --- | --- | --- |'];
  for (const row of out) {
    const details = constraints(row.node, row.required);
    const rules = [
      ...((row.node['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? []),
      ...(((row.node.items as JsonSchema | undefined)?.['x-kubernetes-validations'] as
        | ValidationRule[]
        | undefined) ?? []),
    ].map(ruleText);
    const description = [
      String(row.node.description ?? ''),
      details.length ? `(${details.join('; ')})` : '',
      rules.length ? `Rules: ${rules.join('; ')}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(`| ${code(row.path)} | ${cell(typeName(row.node))} | ${cell(description)} |`);
  }
  return lines.join('\n');
}

function kindSection(definition: ResourceDefinition): string {
  const root = toStructural(definition.schema, { sort: false });
  const properties = root.properties as Record<string, JsonSchema>;
  const rootRules = (root['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];
  const spec = properties.spec as JsonSchema;
  const name = ((properties.metadata as JsonSchema).properties as Record<string, JsonSchema>)
    .name as JsonSchema;
  const nameRules = [
    `at most ${name.maxLength} characters`,
    ...((name['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? []).map(ruleText),
  ];
  const status = properties.status as JsonSchema;
  const subresources = definition.scale
    ? `status, scale (${code(definition.scale.specReplicasPath)})`
    : 'status';
  const parts = [
    `### ${definition.kind}`,
    cell(String(root.description)),
    [
      '| | |',
      '| --- | --- |',
      `| API version | ${code(API_VERSION)} |`,
      `| Resource | ${code(definition.plural)} (short name ${definition.shortNames.map(code).join(', ')}, category ${code(CATEGORY)}) |`,
      `| Subresources | ${subresources} |`,
      `| Name | ${cell(nameRules.join('; '))} |`,
      ...(definition.selectableFields
        ? [`| Field selectors | ${definition.selectableFields.map((f) => code(f.slice(1))).join(', ')} |`]
        : []),
    ].join('\n'),
    `Columns of \`kubectl get ${definition.plural}\`: ${definition.printerColumns
      .map((c) => `${c.name}${c.priority ? ' (wide)' : ''}`)
      .join(', ')}.`,
  ];
  if (rootRules.length)
    parts.push(cell(`Rules on the whole object: ${rootRules.map(fieldRuleText).join('; ')}.`));
  const specRules = (spec['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];
  parts.push(
    `#### ${definition.kind} spec`,
    ...(specRules.length ? [cell(`Rules on \`spec\`: ${specRules.map(fieldRuleText).join('; ')}.`)] : []),
    fieldTable(spec, 'spec'),
    `#### ${definition.kind} status`,
    fieldTable(status, 'status'),
  );
  return parts.join('\n\n');
}

/** The generated reference: one section per kind with every field, its bounds and its rules. */
export function apiReference(definitions: readonly ResourceDefinition[]): string {
  return definitions.map(kindSection).join('\n\n');
}
