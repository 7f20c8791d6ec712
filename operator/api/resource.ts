// What the CRD generator needs to know about a kind beyond its schema (names, printer columns,
// subresources), and the root object schema every kind shares.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { type TObject, type TSchema, Type } from '@sinclair/typebox';
import type { ValidationRule } from './schema.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 (default) shows in `kubectl get`; 1 only with `-o wide`. */
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath: string;
}

export interface ResourceDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TObject;
  printerColumns: PrinterColumn[];
  /** Fields usable in `--field-selector` (and by the operator to list, e.g., a model's versions). */
  selectableFields?: string[];
  scale?: ScaleSubresource;
}

/** An object of a kind, as read from the API server: defaults are filled in, status may be absent. */
export interface Resource<Kind extends string, Spec, Status> {
  apiVersion: string;
  kind: Kind;
  metadata: V1ObjectMeta;
  spec: Spec;
  status?: Status;
}

/** The whole object: apiVersion, kind, metadata, spec and status, with rules over all of them. */
export function objectSchema<Spec extends TSchema, Status extends TSchema>(options: {
  description: string;
  /** Bounds and rules for metadata.name, beyond the DNS subdomain the API server requires. */
  name: { maxLength: number; rules: ValidationRule[] };
  spec: Spec;
  status: Status;
  rules?: ValidationRule[];
}) {
  return Type.Object(
    {
      apiVersion: Type.String({
        description:
          'The versioned schema of this object, here bosun.dev/v1alpha1. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      }),
      kind: Type.String({
        description:
          'The kind of this object, in CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      }),
      // The API server describes metadata itself; a schema may only restrict name and generateName.
      metadata: Type.Object({
        name: Type.Optional(
          Type.String({
            maxLength: options.name.maxLength,
            ...(options.name.rules.length ? { 'x-kubernetes-validations': options.name.rules } : {}),
          }),
        ),
      }),
      spec: options.spec,
      status: Type.Optional(options.status),
    },
    {
      description: options.description,
      ...(options.rules?.length ? { 'x-kubernetes-validations': options.rules } : {}),
    },
  );
}

/** A printer column for a condition's status, e.g. READY. */
export function conditionColumn(name: string, type: string, description: string): PrinterColumn {
  return { name, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status`, description };
}

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};
