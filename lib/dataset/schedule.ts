// Cron schedules as the Kubernetes CronJob controller (robfig/cron) reads them: five fields or a
// macro, in an IANA time zone. Used by the data jobs (collection windows, scheduled snapshot
// versions) and by the Dataset controller (a schedule or zone the API accepts but that cannot be
// read ends as a condition, before any Job).
import { CronExpressionParser } from 'cron-parser';
import { UserError } from '../contract/errors.ts';

const DEFAULT_FIELD = 'spec.collection';

export interface Schedule {
  /** The field the schedule comes from, for messages: spec.collection or spec.snapshot. */
  field?: string;
  /** Five fields (minute hour day-of-month month day-of-week) or a macro such as @daily. */
  cron: string;
  /** IANA time zone the fields are read in. */
  timeZone: string;
}

/** The macros Kubernetes CronJobs accept (robfig/cron), as five fields. */
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function invalid(message: string): never {
  throw new UserError('ScheduleInvalid', message);
}

/** Throws ScheduleInvalid unless the time zone is one this runtime knows (the API accepts any name). */
export function checkTimeZone(timeZone: string, field = DEFAULT_FIELD): string {
  const unknown = () =>
    invalid(
      `${field}.timeZone ${JSON.stringify(timeZone)} is not a known IANA time zone, e.g. Europe/Berlin`,
    );
  let resolved = '';
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    unknown();
  }
  // ICU reads names in any case; the CronJob controller (Go's tzdata) does not.
  const wrongCase = resolved !== timeZone && resolved.toLowerCase() === timeZone.toLowerCase();
  if (wrongCase || timeZone.split('/').some((segment) => !/^[A-Z]/.test(segment)))
    invalid(
      `${field}.timeZone ${JSON.stringify(timeZone)}: time zone names are case-sensitive${wrongCase ? `, e.g. ${resolved}` : ', e.g. Europe/Berlin'}`,
    );
  return timeZone;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * The syntax the CronJob controller (robfig/cron) reads: numbers, `*`, `?`, ranges, steps and
 * lists, with month and weekday names in their fields. cron-parser also reads `L`, `W` and `#`,
 * which the API server would refuse in the CronJob.
 */
function checkFieldSyntax(text: string, field: string): void {
  text.split(/\s+/).forEach((part, i) => {
    const names = i === 3 ? MONTHS : i === 4 ? DAYS : [];
    const rest = part.replace(/[a-z]{3}/gi, (name) => (names.includes(name.toLowerCase()) ? '0' : name));
    if (!/^[0-9*?/,-]+$/.test(rest))
      invalid(
        `${field}.schedule ${JSON.stringify(text)}: field ${i + 1} (${part}) is not cron syntax a CronJob reads: numbers, *, ?, ranges (1-5), steps (*/15), lists (1,15)${names.length > 0 ? ` and names (${names.slice(0, 3).join(', ')}, ...)` : ''}`,
      );
  });
}

function fields(cron: string, field = DEFAULT_FIELD): string {
  const text = cron.trim();
  const macro = MACROS[text.toLowerCase()];
  if (macro) return macro;
  if (text.split(/\s+/).length !== 5)
    invalid(
      `${field}.schedule ${JSON.stringify(cron)} must have five fields (minute hour day-of-month month day-of-week) or be a macro such as @daily`,
    );
  checkFieldSyntax(text, field);
  return text;
}

/** Checks the schedule once, so that a bad one fails with its reason before any request. */
export function checkSchedule(schedule: Schedule): Schedule {
  const field = schedule.field ?? DEFAULT_FIELD;
  checkTimeZone(schedule.timeZone, field);
  try {
    CronExpressionParser.parse(fields(schedule.cron, field), { tz: schedule.timeZone, strict: false });
  } catch (e) {
    if (e instanceof UserError) throw e;
    invalid(`${field}.schedule ${JSON.stringify(schedule.cron)} cannot be read: ${(e as Error).message}`);
  }
  return schedule;
}

function iterator(schedule: Schedule, from: Date) {
  return CronExpressionParser.parse(fields(schedule.cron), { tz: schedule.timeZone, currentDate: from });
}

/** The latest tick at or before `time`; undefined when the schedule never fired before it. */
export function latestTick(schedule: Schedule, time: Date): Date | undefined {
  // prev() is strictly before its start; a tick is a whole minute, so 1 ms later includes `time`.
  const it = iterator(schedule, new Date(time.getTime() + 1));
  return it.hasPrev() ? it.prev().toDate() : undefined;
}

/** The tick strictly before `time`. */
export function tickBefore(schedule: Schedule, time: Date): Date | undefined {
  const it = iterator(schedule, time);
  return it.hasPrev() ? it.prev().toDate() : undefined;
}

/**
 * The first tick after `after`. cron-parser's next() and prev() disagree where the clocks change:
 * next() moves a time that does not exist (02:30 when 02:00 jumps to 03:00) to the hour after and
 * gives a time that happens twice once, while prev() skips the first and gives the second twice —
 * as the CronJob controller (robfig/cron) does. So next() only proposes, and prev() decides.
 */
export function nextTick(schedule: Schedule, after: Date): Date | undefined {
  const it = iterator(schedule, after);
  if (!it.hasNext()) return undefined;
  let candidate = it.next().toDate();
  for (;;) {
    const before = tickBefore(schedule, candidate);
    if (before && before > after)
      candidate = before; // a tick next() stepped over
    else if (latestTick(schedule, candidate)?.getTime() === candidate.getTime()) return candidate;
    else {
      // Not a tick at all: look further.
      const further = iterator(schedule, candidate);
      if (!further.hasNext()) return undefined;
      candidate = further.next().toDate();
    }
  }
}

/** Up to `max` ticks t with after < t ≤ until, in order. */
export function ticksBetween(schedule: Schedule, after: Date, until: Date, max: number): Date[] {
  const ticks: Date[] = [];
  let from = after;
  while (ticks.length < max) {
    const tick = nextTick(schedule, from);
    if (!tick || tick > until) break;
    ticks.push(tick);
    from = tick;
  }
  return ticks;
}
