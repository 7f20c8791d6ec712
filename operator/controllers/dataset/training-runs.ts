// The TrainingRun a Dataset's training template creates for a snapshot, as a pure function of the
// Dataset, the template and the snapshot version: named `<template>-<version>` (so one snapshot
// can never start two runs of one template), the template's spec with the Dataset and the pinned
// version filled in, and labels that lead back to both. Not owned by the Dataset: a run and the
// version it registers are records that outlive a Dataset deleted and created again.

import type { Dataset, TrainingTemplate } from '../../api/dataset.ts';
import { API_VERSION } from '../../api/group.ts';
import { DEFAULT_TRAINING_VARIANT, type TrainingRun } from '../../api/training-run.ts';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.ts';

/** On a TrainingRun a template created: the Dataset, the snapshot version and the template. */
export const TRAINED_DATASET_LABEL = 'bosun.dev/dataset';
export const TRAINED_SNAPSHOT_LABEL = 'bosun.dev/snapshot';
export const TRAINING_TEMPLATE_LABEL = 'bosun.dev/training-template';

export function templateRunName(template: TrainingTemplate, version: string): string {
  return `${template.name}-${version}`;
}

export function renderTemplateRun(
  dataset: Dataset,
  template: TrainingTemplate,
  version: string,
): TrainingRun {
  return {
    apiVersion: API_VERSION,
    kind: 'TrainingRun',
    metadata: {
      name: templateRunName(template, version),
      namespace: dataset.metadata.namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [TRAINED_DATASET_LABEL]: dataset.metadata.name as string,
        [TRAINED_SNAPSHOT_LABEL]: version,
        [TRAINING_TEMPLATE_LABEL]: template.name,
      },
    },
    spec: {
      ...template.spec,
      dataset: {
        name: dataset.metadata.name as string,
        snapshot: version,
        variant: template.variant ?? DEFAULT_TRAINING_VARIANT,
      },
    },
  } as TrainingRun;
}
