// The built-in trainers' hyperparameters: one schema per algorithm with defaults, and unknown or
// out-of-range values rejected with a message that names them.
import { type Static, type TObject, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { UserError } from '../../lib/contract/errors.ts';

const common = {
  seed: Type.Integer({ minimum: 0, default: 42 }),
  validationFraction: Type.Number({ minimum: 0.05, maximum: 0.5, default: 0.2 }),
};

const tabular = {
  ...common,
  target: Type.String({ minLength: 1, default: 'label' }),
  /** Overrides the inferred kind of a column, or leaves it out. */
  columns: Type.Record(
    Type.String(),
    Type.Union([Type.Literal('numeric'), Type.Literal('categorical'), Type.Literal('ignore')]),
    { default: {} },
  ),
  maxCategories: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
};

export const LogisticParams = Type.Object(
  {
    ...tabular,
    C: Type.Number({ exclusiveMinimum: 0, default: 1 }),
    maxIterations: Type.Integer({ minimum: 1, maximum: 100000, default: 100 }),
    tolerance: Type.Number({ exclusiveMinimum: 0, default: 1e-4 }),
  },
  { additionalProperties: false },
);

export const LinearParams = Type.Object(
  { ...tabular, alpha: Type.Number({ minimum: 0, default: 1 }) },
  { additionalProperties: false },
);

export const GbdtParams = Type.Object(
  {
    ...tabular,
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.1 }),
    maxIterations: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
    maxLeafNodes: Type.Integer({ minimum: 2, maximum: 4096, default: 31 }),
    /** 0 = no limit besides maxLeafNodes. */
    maxDepth: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
    minSamplesLeaf: Type.Integer({ minimum: 1, default: 20 }),
    l2Regularization: Type.Number({ minimum: 0, default: 0 }),
    maxBins: Type.Integer({ minimum: 2, maximum: 255, default: 255 }),
    /** 'auto' stops early when the training set has more than 10,000 rows (as scikit-learn). */
    earlyStopping: Type.Union([Type.Literal('auto'), Type.Boolean()], { default: 'auto' }),
    nIterNoChange: Type.Integer({ minimum: 1, default: 10 }),
    earlyStoppingFraction: Type.Number({ minimum: 0.01, maximum: 0.5, default: 0.1 }),
  },
  { additionalProperties: false },
);

export const CnnParams = Type.Object(
  {
    ...common,
    imageSize: Type.Integer({ minimum: 8, maximum: 256, default: 32 }),
    /** How an image is brought to imageSize × imageSize (sharp's fit). */
    fit: Type.Union([Type.Literal('cover'), Type.Literal('contain'), Type.Literal('fill')], {
      default: 'cover',
    }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, default: 32 }),
    learningRate: Type.Number({ exclusiveMinimum: 0, default: 0.002 }),
    /** Filters of the first convolution; the second has twice as many. */
    filters: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
    weightDecay: Type.Number({ minimum: 0, default: 0.0001 }),
  },
  { additionalProperties: false },
);

export type LogisticParams = Static<typeof LogisticParams>;
export type LinearParams = Static<typeof LinearParams>;
export type GbdtParams = Static<typeof GbdtParams>;
export type CnnParams = Static<typeof CnnParams>;

/** Applies defaults and checks `value` against `schema`; every problem is listed in one message. */
export function parseParams<T extends TObject>(schema: T, value: Record<string, unknown>): Static<T> {
  const withDefaults = Value.Default(schema, structuredClone(value));
  const errors = [...Value.Errors(schema, withDefaults)].map(
    (e) => `${e.path.slice(1).replaceAll('/', '.') || '(root)'}: ${e.message}`,
  );
  if (errors.length > 0)
    throw new UserError(
      'HyperparametersInvalid',
      `invalid hyperparameters: ${[...new Set(errors)].join('; ')}`,
    );
  return withDefaults as Static<T>;
}
