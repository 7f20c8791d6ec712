// The translation from TypeBox to a CRD's structural schema.
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { toStructural } from '../../../operator/api/crd.ts';
import { IntOrString, StringEnum, StringMap } from '../../../operator/api/schema.ts';

describe('toStructural', () => {
  it('turns a union of string literals into an enum, keeping its default and saying it for kubectl explain', () => {
    const schema = StringEnum(['a', 'b'], { description: 'A letter.', default: 'a' });
    expect(toStructural(schema)).toEqual({
      default: 'a',
      description: 'A letter. Default: a.',
      enum: ['a', 'b'],
      type: 'string',
    });
  });

  it('turns a one-value enum (which TypeBox writes as a literal) into an enum', () => {
    expect(toStructural(StringEnum(['onnx'], { description: 'Format.' }))).toEqual({
      description: 'Format.',
      enum: ['onnx'],
      type: 'string',
    });
  });

  it('turns a record into additionalProperties', () => {
    const schema = StringMap(Type.Number({ description: 'A value.' }), {
      description: 'Values.',
      maxProperties: 3,
    });
    expect(toStructural(schema)).toEqual({
      additionalProperties: { description: 'A value.', type: 'number' },
      description: 'Values.',
      maxProperties: 3,
      type: 'object',
    });
  });

  it('does not require a property that has a default: the API server fills it in', () => {
    const schema = Type.Object({
      name: Type.String({ description: 'n' }),
      replicas: Type.Integer({ description: 'r', default: 1 }),
      note: Type.Optional(Type.String({ description: 'o' })),
    });
    const result = toStructural(schema);
    expect(result.required).toEqual(['name']);
    const onlyDefaults = toStructural(Type.Object({ replicas: Type.Integer({ default: 1 }) }));
    expect(onlyDefaults).not.toHaveProperty('required');
  });

  it('keeps the int-or-string form Kubernetes expects', () => {
    expect(toStructural(IntOrString({ description: 'q' }))).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      description: 'q',
      'x-kubernetes-int-or-string': true,
    });
  });

  it('sorts keys and properties so the YAML is stable, unless asked not to', () => {
    const schema = Type.Object({ b: Type.String(), a: Type.String() });
    expect(Object.keys(toStructural(schema).properties as object)).toEqual(['a', 'b']);
    expect(Object.keys(toStructural(schema, { sort: false }).properties as object)).toEqual(['b', 'a']);
  });

  it('refuses what a CRD cannot hold', () => {
    expect(() => toStructural(Type.Object({ n: Type.Literal(3) }))).toThrow(/keyword const is not allowed/);
    expect(() => toStructural(Type.Object({ t: Type.Tuple([Type.String()]) }))).toThrow(
      /is not allowed in a CRD/,
    );
  });
});
