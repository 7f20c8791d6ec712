// withoutDefault: a field for a list item, optional and without its default, so that client-side
// apply sees no drift; the description says what an omitted value means.
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { toStructural } from '../../../operator/api/crd.ts';
import { StringEnum, withoutDefault } from '../../../operator/api/schema.ts';

describe('withoutDefault', () => {
  const retries = Type.Integer({ description: 'Retries.', default: 1, minimum: 0, maximum: 10 });

  it('keeps the bounds, drops the default and says it in the description', () => {
    expect(toStructural(withoutDefault(retries))).toEqual({
      description: 'Retries. Omitted: 1.',
      maximum: 10,
      minimum: 0,
      type: 'integer',
    });
  });

  it('makes the field optional, so an object without it is valid and gets nothing filled in', () => {
    const item = Type.Object({ retries: withoutDefault(retries) });
    expect(toStructural(item).required).toBeUndefined();
    expect(Value.Check(item, {})).toBe(true);
    expect(Value.Default(item, {})).toEqual({});
    expect(Value.Check(item, { retries: 11 })).toBe(false);
  });

  it('keeps an enum an enum', () => {
    const direction = StringEnum(['maximize', 'minimize'], {
      description: 'Which way.',
      default: 'maximize',
    });
    expect(toStructural(withoutDefault(direction))).toEqual({
      description: 'Which way. Omitted: maximize.',
      enum: ['maximize', 'minimize'],
      type: 'string',
    });
  });

  it('leaves the field it was made from as it was', () => {
    withoutDefault(retries);
    expect(retries.default).toBe(1);
    expect(retries.description).toBe('Retries.');
  });

  it('refuses a field without a default, or with one it cannot say in a sentence', () => {
    expect(() => withoutDefault(Type.Integer({ description: 'Count.' }))).toThrow('no scalar default');
    expect(() => withoutDefault(Type.Object({}, { description: 'Settings.', default: {} }))).toThrow(
      'no scalar default',
    );
  });
});
