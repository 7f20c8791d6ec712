// Every controller the operator runs, in one place. The manager starts each of them; it knows no
// kind itself.
import type { ControllerSetup } from '../runtime/controller-setup.ts';
import { datasetSetup } from './dataset/setup.ts';
import { inferenceServiceSetup } from './inference-service/setup.ts';
import { modelVersionSetup } from './model-version/setup.ts';
import { trainingRunSetup } from './training-run/setup.ts';

export const controllers: readonly ControllerSetup[] = [
  modelVersionSetup,
  inferenceServiceSetup,
  datasetSetup,
  trainingRunSetup,
];
