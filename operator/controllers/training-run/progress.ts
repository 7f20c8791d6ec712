// The trainer's progress, read from its log: the newest JSON line (pino) that carries an epoch or
// an iteration, as status.progress. Pure; the controller reads the log tail at a bounded rate.
import type { TrainingRunStatus } from '../../api/training-run.ts';

export type Progress = NonNullable<TrainingRunStatus['progress']>;

const MAX_METRICS = 16;

export function parseProgress(log: string, at: string): Progress | undefined {
  const lines = log.split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const epoch = entry.epoch;
    const iteration = entry.iteration;
    const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!isCount(epoch) && !isCount(iteration)) continue;
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (['epoch', 'iteration', 'time', 'pid', 'level'].includes(k)) continue;
      if (typeof v === 'number' && Number.isFinite(v) && Object.keys(metrics).length < MAX_METRICS)
        metrics[k] = v;
    }
    return {
      message: String(entry.msg ?? 'training').slice(0, 256),
      ...(isCount(epoch) ? { epoch } : {}),
      ...(isCount(iteration) ? { iteration } : {}),
      ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
      updatedAt: at,
    };
  }
  return undefined;
}
