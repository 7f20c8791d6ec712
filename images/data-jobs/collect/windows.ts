// Which windows a collect run collects: each ends at a tick of spec.collection.schedule (read in its
// time zone), the first starts where the last published batch ended (or at spec.collection.since,
// or at the tick before the latest), and a run catches up at most a bounded number, oldest first.
// The latest tick ≤ now is the CronJob's scheduled time for any run that starts within its
// startingDeadlineSeconds (docs/decisions/0013-collection-windows-from-the-schedule.md).
import type { CollectionWindow } from '../../../lib/dataset/batch-window.ts';
import { latestTick, type Schedule, tickBefore, ticksBetween } from '../../../lib/dataset/schedule.ts';

export interface WindowPlan {
  /** The windows to collect in this run, oldest first, each starting where the one before ended. */
  windows: CollectionWindow[];
  /** False when more windows were due than one run collects. */
  caughtUp: boolean;
  /** The latest tick ≤ now: the end of the newest window due. */
  tick: Date | undefined;
}

/** A window boundary is a whole second (its key form); `since` may have a fraction. */
function wholeSecond(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 1000) * 1000);
}

export function planWindows(options: {
  schedule: Schedule;
  now: Date;
  /** End of the newest published batch, if any. */
  lastEnd?: Date;
  /** spec.collection.since. */
  since?: Date;
  maxWindows: number;
}): WindowPlan {
  const { schedule, now, maxWindows } = options;
  const tick = latestTick(schedule, now);
  if (!tick) return { windows: [], caughtUp: true, tick };
  const start =
    options.lastEnd ?? (options.since ? wholeSecond(options.since) : undefined) ?? tickBefore(schedule, tick);
  if (!start || start >= tick) return { windows: [], caughtUp: true, tick };
  // One more than asked for tells whether this run leaves any behind.
  const ends = ticksBetween(schedule, start, tick, maxWindows + 1);
  const windows: CollectionWindow[] = [];
  let from = start;
  for (const end of ends.slice(0, maxWindows)) {
    windows.push({ start: from, end });
    from = end;
  }
  return { windows, caughtUp: ends.length <= maxWindows, tick };
}
