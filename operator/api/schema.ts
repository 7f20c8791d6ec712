// TypeBox builders for Kubernetes structural schemas. The schemas written with them give both the
// TypeScript types (Static<>) and, through crd.ts, the CRDs' OpenAPI; so the few shapes TypeBox
// writes differently from Kubernetes (enums, maps) are built here and translated in one place.
import {
  type SchemaOptions,
  type TLiteral,
  type TRecord,
  type TSchema,
  type TString,
  type TUnion,
  Type,
} from '@sinclair/typebox';

/** A CEL rule in `x-kubernetes-validations`. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSON path, relative to the schema the rule is on, of the field an error is reported at. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Options every field is built with: a description is mandatory so `kubectl explain` teaches. */
export type Described = SchemaOptions & { description: string };

export function rules(...list: ValidationRule[]): { 'x-kubernetes-validations': ValidationRule[] } {
  return { 'x-kubernetes-validations': list };
}

/** A CEL raw-string literal, so a regular expression needs no second level of escaping. */
export function celString(text: string): string {
  if (text.includes("'")) throw new Error(`cannot quote ${text} as a CEL raw string`);
  return `r'${text}'`;
}

/** A rule that the string matches a regular expression (RE2), with a message a person understands. */
export function matches(regex: string, message: string): ValidationRule {
  return { rule: `self.matches(${celString(regex)})`, message };
}

/** The field cannot change once set. */
export function immutable(message: string): ValidationRule {
  return { rule: 'self == oldSelf', message };
}

type Mutable<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] };
type Literals<T extends readonly string[]> = Mutable<{ [K in keyof T]: TLiteral<T[K]> }>;

/** A string enum; written as a union of literals for TypeBox, emitted as `enum` in the CRD. */
export function StringEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  options: Described,
): TUnion<Literals<T>> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TUnion<Literals<T>>;
}

/** A map with string keys; emitted as `additionalProperties` in the CRD. */
export function StringMap<V extends TSchema>(value: V, options: Described): TRecord<TString, V> {
  return Type.Record(Type.String(), value, options);
}

/** A value of any JSON shape, kept as written: only for what is truly free-form. */
export function FreeForm(options: Described) {
  return Type.Unknown({ ...options, 'x-kubernetes-preserve-unknown-fields': true });
}

/** Kubernetes' int-or-string, e.g. a resource quantity (`2`, `500m`, `4Gi`). */
export function IntOrString(options: Described) {
  return Type.Union([Type.Integer(), Type.String()], { ...options, 'x-kubernetes-int-or-string': true });
}

/** A list whose items are merged by key (server-side apply) and whose keys must be unique. */
export function listMap(keys: string[]): SchemaOptions {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys };
}

/** A list of unique scalars. */
export const listSet: SchemaOptions = { 'x-kubernetes-list-type': 'set' };

/**
 * The same field, optional and without its default, for a list item (where a default would show
 * as drift on every client-side apply): whoever reads it takes the default when it is omitted, as
 * its description then says.
 */
export function withoutDefault<T extends TSchema>(schema: T) {
  const { default: value, ...rest } = schema;
  if (value === undefined || typeof value === 'object')
    throw new Error(`withoutDefault: ${schema.description} has no scalar default`);
  return Type.Optional({ ...rest, description: `${schema.description} Omitted: ${value}.` } as unknown as T);
}
