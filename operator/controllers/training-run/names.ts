// The names and labels of a TrainingRun's children and of what it registers, in one place.
import type { TrainingRun } from '../../api/training-run.ts';
import { childLabels } from '../shared/labels.ts';

export const TRAINING_COMPONENT = 'training';
/** On a registered ModelVersion: the TrainingRun that produced it (it is not owned by the run). */
export const TRAINING_RUN_LABEL = 'bosun.dev/training-run';
export const TRAINING_CONTAINER = 'train';

/** A run name has at most 52 characters: the Job's name fits 63. */
export function trainingJobName(run: TrainingRun): string {
  return `${run.metadata.name}-train`;
}

/** ModelVersion `<model>-v<N>` (a model name has at most 50 characters). */
export function modelVersionName(model: string, version: number): string {
  return `${model}-v${version}`;
}

export function trainingLabels(run: TrainingRun): Record<string, string> {
  return childLabels({ kind: 'TrainingRun', name: run.metadata.name as string }, TRAINING_COMPONENT);
}
