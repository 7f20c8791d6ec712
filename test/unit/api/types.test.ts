// The TypeScript types describe objects as the operator reads them from the API server: a field
// with a schema default is always present, a field without one may be absent.
import { describe, expectTypeOf, it } from 'vitest';
import type { DatasetSpec, TrainingTemplate } from '../../../operator/api/dataset.ts';
import type { InferenceServiceSpec } from '../../../operator/api/inference-service.ts';
import type { ModelVersionSpec } from '../../../operator/api/model-version.ts';
import type { TrainingRunSpec } from '../../../operator/api/training-run.ts';

describe('API types', () => {
  it('make defaulted fields required and the others optional', () => {
    expectTypeOf<TrainingRunSpec['backoffLimit']>().toEqualTypeOf<number>();
    expectTypeOf<TrainingRunSpec['dataset']['snapshot']>().toEqualTypeOf<string>();
    expectTypeOf<TrainingRunSpec['activeDeadlineSeconds']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<DatasetSpec['retention']['snapshots']>().toEqualTypeOf<number>();
    expectTypeOf<InferenceServiceSpec['server']['batching']['maxBatchSize']>().toEqualTypeOf<number>();
    expectTypeOf<InferenceServiceSpec['server']['timeoutSeconds']>().toEqualTypeOf<number>();
    expectTypeOf<InferenceServiceSpec['replicas']>().toEqualTypeOf<number | undefined>();
  });

  it('leave the defaults of a training template to the TrainingRun it creates: a list item has none', () => {
    expectTypeOf<TrainingTemplate['variant']>().toEqualTypeOf<'verified' | 'full' | undefined>();
    expectTypeOf<TrainingTemplate['spec']['backoffLimit']>().toEqualTypeOf<number | undefined>();
    type Promotion = NonNullable<TrainingTemplate['spec']['promotion']>;
    expectTypeOf<Promotion['minDelta']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Promotion['direction']>().toEqualTypeOf<'maximize' | 'minimize' | undefined>();
    expectTypeOf<Promotion['stage']>().toEqualTypeOf<'dev' | 'staging' | 'production'>();
    expectTypeOf<TrainingTemplate['spec']>().not.toHaveProperty('dataset');
  });

  it('type enums as unions of their values', () => {
    expectTypeOf<ModelVersionSpec['stage']>().toEqualTypeOf<
      'none' | 'dev' | 'staging' | 'production' | 'archived'
    >();
    expectTypeOf<DatasetSpec['format']>().toEqualTypeOf<'imagefolder' | 'tabular'>();
    expectTypeOf<NonNullable<InferenceServiceSpec['model']['stage']>>().toEqualTypeOf<
      'dev' | 'staging' | 'production'
    >();
  });

  it('type metrics as numbers by name', () => {
    type Metrics = NonNullable<import('../../../operator/api/training-run.ts').TrainingRunStatus['metrics']>;
    expectTypeOf<Metrics>().toEqualTypeOf<Record<string, number>>();
  });
});
