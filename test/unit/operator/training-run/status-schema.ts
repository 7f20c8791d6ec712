// What the API server would refuse of a TrainingRun status (a 422 on the /status write), by the
// CRD's own schema: a controller's status must never be one.
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isRfc3339 } from '../../../../images/data-jobs/job-contract.ts';
import { TrainingRunStatus } from '../../../../operator/api/training-run.ts';

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', isRfc3339);

export function statusSchemaErrors(status: unknown): string[] {
  return [...Value.Errors(TrainingRunStatus, status)].map((e) => `${e.path}: ${e.message}`);
}
