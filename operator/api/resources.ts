// The four kinds of the bosun.dev API, in the order they are documented.
import { datasetDefinition } from './dataset.ts';
import { inferenceServiceDefinition } from './inference-service.ts';
import { modelVersionDefinition } from './model-version.ts';
import type { ResourceDefinition } from './resource.ts';
import { trainingRunDefinition } from './training-run.ts';

export const resourceDefinitions: readonly ResourceDefinition[] = [
  datasetDefinition,
  trainingRunDefinition,
  modelVersionDefinition,
  inferenceServiceDefinition,
];
