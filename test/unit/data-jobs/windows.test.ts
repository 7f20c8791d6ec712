import { describe, expect, it } from 'vitest';
import { planWindows } from '../../../images/data-jobs/collect/windows.ts';
import { UserError } from '../../../lib/contract/errors.ts';
import {
  checkSchedule,
  latestTick,
  type Schedule,
  tickBefore,
  ticksBetween,
} from '../../../lib/dataset/schedule.ts';

const t = (iso: string) => new Date(iso);
const iso = (w: { start: Date; end: Date }) => [w.start.toISOString(), w.end.toISOString()];
const hours = (w: { start: Date; end: Date }) => (w.end.getTime() - w.start.getTime()) / 3_600_000;
const daily: Schedule = { cron: '0 0 * * *', timeZone: 'Etc/UTC' };

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return `${e.reason}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('collection windows', () => {
  it('end at the latest tick at or before now, starting at the tick before it on a first run', () => {
    const plan = planWindows({ schedule: daily, now: t('2026-01-02T13:00:00Z'), maxWindows: 24 });
    expect(plan.windows.map(iso)).toEqual([['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']]);
    expect(plan.caughtUp).toBe(true);
    // A run started exactly at its tick collects the window that ends there.
    expect(latestTick(daily, t('2026-01-02T00:00:00Z'))?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('start where the last published batch ended, one window per tick missed', () => {
    const plan = planWindows({
      schedule: daily,
      now: t('2026-01-05T00:00:30Z'),
      lastEnd: t('2026-01-02T00:00:00Z'),
      maxWindows: 24,
    });
    expect(plan.windows.map(iso)).toEqual([
      ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
      ['2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
      ['2026-01-04T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
    ]);
  });

  it('are none when the newest tick is already collected (a re-run of the same tick)', () => {
    const plan = planWindows({
      schedule: daily,
      now: t('2026-01-05T09:00:00Z'),
      lastEnd: t('2026-01-05T00:00:00Z'),
      maxWindows: 24,
    });
    expect(plan).toMatchObject({ windows: [], caughtUp: true });
  });

  it('catch up at most the bound per run, oldest first and contiguous, and say more are due', () => {
    const schedule = { cron: '0 * * * *', timeZone: 'Etc/UTC' };
    const plan = planWindows({
      schedule,
      now: t('2026-01-03T00:00:00Z'),
      lastEnd: t('2026-01-01T00:00:00Z'),
      maxWindows: 24,
    });
    expect(plan.windows).toHaveLength(24);
    expect(plan.caughtUp).toBe(false);
    expect(iso(plan.windows[0] as { start: Date; end: Date })).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    expect((plan.windows[23] as { end: Date }).end.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    for (let i = 1; i < plan.windows.length; i++)
      expect(plan.windows[i]?.start).toEqual(plan.windows[i - 1]?.end);
    // The next run goes on from there and catches up the rest.
    const next = planWindows({
      schedule,
      now: t('2026-01-03T00:00:00Z'),
      lastEnd: t('2026-01-02T00:00:00Z'),
      maxWindows: 24,
    });
    expect(next.windows).toHaveLength(24);
    expect(next.caughtUp).toBe(true);
  });

  it('start at spec.collection.since (to the second) when nothing is published yet', () => {
    const plan = planWindows({
      schedule: daily,
      now: t('2026-01-03T06:00:00Z'),
      since: t('2025-12-31T18:30:15.750Z'),
      maxWindows: 24,
    });
    expect(plan.windows.map(iso)).toEqual([
      ['2025-12-31T18:30:15.000Z', '2026-01-01T00:00:00.000Z'],
      ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
    ]);
    // The last published batch wins over since.
    const later = planWindows({
      schedule: daily,
      now: t('2026-01-03T06:00:00Z'),
      since: t('2025-12-31T18:30:15Z'),
      lastEnd: t('2026-01-02T00:00:00Z'),
      maxWindows: 24,
    });
    expect(later.windows.map(iso)).toEqual([['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']]);
  });

  it('are none while since lies after the latest tick', () => {
    const plan = planWindows({
      schedule: daily,
      now: t('2026-01-03T06:00:00Z'),
      since: t('2026-01-03T01:00:00Z'),
      maxWindows: 24,
    });
    expect(plan.windows).toEqual([]);
  });

  it('go on from a batch that ended off the schedule (the schedule changed) to its next tick', () => {
    const plan = planWindows({
      schedule: daily,
      now: t('2026-01-03T06:00:00Z'),
      lastEnd: t('2026-01-01T06:00:00Z'),
      maxWindows: 24,
    });
    expect(plan.windows.map(iso)).toEqual([
      ['2026-01-01T06:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'],
    ]);
  });

  describe('in a time zone with daylight saving time (Europe/Berlin)', () => {
    const berlin = (cron: string): Schedule => ({ cron, timeZone: 'Europe/Berlin' });

    it('follow local midnight: 23 hours when the clocks go forward, 25 when they go back', () => {
      const spring = planWindows({
        schedule: berlin('0 0 * * *'),
        now: t('2026-03-30T08:00:00Z'),
        lastEnd: t('2026-03-27T23:00:00Z'), // 28 March 00:00 CET
        maxWindows: 24,
      });
      expect(spring.windows.map(iso)).toEqual([
        ['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z'],
        ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
      ]);
      expect(spring.windows.map(hours)).toEqual([24, 23]);
      const autumn = planWindows({
        schedule: berlin('0 0 * * *'),
        now: t('2026-10-26T08:00:00Z'),
        lastEnd: t('2026-10-23T22:00:00Z'), // 24 October 00:00 CEST
        maxWindows: 24,
      });
      expect(autumn.windows.map(hours)).toEqual([24, 25]);
    });

    it('skip a tick that does not exist that day (02:30 when 02:00 jumps to 03:00)', () => {
      const plan = planWindows({
        schedule: berlin('30 2 * * *'),
        now: t('2026-03-30T12:00:00Z'),
        lastEnd: t('2026-03-28T01:30:00Z'), // 28 March 02:30 CET
        maxWindows: 24,
      });
      expect(plan.windows.map(iso)).toEqual([['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z']]);
    });

    it('give both ticks of a time that happens twice (02:30 when 03:00 goes back to 02:00)', () => {
      const plan = planWindows({
        schedule: berlin('30 2 * * *'),
        now: t('2026-10-25T12:00:00Z'),
        lastEnd: t('2026-10-24T00:30:00Z'), // 24 October 02:30 CEST
        maxWindows: 24,
      });
      expect(plan.windows.map(iso)).toEqual([
        ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z'],
        ['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'],
      ]);
    });
  });
});

describe('schedules', () => {
  it('accept five fields and the CronJob macros', () => {
    for (const cron of [
      '*/5 * * * *',
      '0 2 * * MON-FRI',
      '@daily',
      '@midnight',
      '@hourly',
      '@weekly',
      '@monthly',
      '@yearly',
    ])
      expect(checkSchedule({ cron, timeZone: 'Etc/UTC' }).cron).toBe(cron);
    const midnight = latestTick({ cron: '@midnight', timeZone: 'Etc/UTC' }, t('2026-01-02T05:00:00Z'));
    expect(midnight?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('refuse what a CronJob would not run, with ScheduleInvalid', () => {
    expect(reason(() => checkSchedule({ cron: '0 0 * * * *', timeZone: 'Etc/UTC' }))).toMatch(
      /^ScheduleInvalid: .*must have five fields/,
    );
    expect(reason(() => checkSchedule({ cron: '61 0 * * *', timeZone: 'Etc/UTC' }))).toMatch(
      /^ScheduleInvalid: spec.collection.schedule "61 0 \* \* \*" cannot be read/,
    );
    expect(reason(() => checkSchedule({ cron: '0 0 30 2 *', timeZone: 'Etc/UTC' }))).toMatch(
      /^ScheduleInvalid/,
    );
  });

  it('refuse a time zone name that is no IANA zone (the API accepts any such name)', () => {
    expect(reason(() => checkSchedule({ cron: '@daily', timeZone: 'Europe/Atlantis' }))).toBe(
      'ScheduleInvalid: spec.collection.timeZone "Europe/Atlantis" is not a known IANA time zone, e.g. Europe/Berlin',
    );
  });
});

describe('ticks going forward', () => {
  // 2026's clock changes, each looked at from two days before to two days after.
  const changes: Record<string, string[]> = {
    'Europe/Berlin': ['2026-03-29', '2026-10-25'],
    'America/New_York': ['2026-03-08', '2026-11-01'],
    'Australia/Sydney': ['2026-04-05', '2026-10-04'],
  };
  const DAY = 86_400_000;

  it('are exactly the ticks found going back, around every clock change', () => {
    for (const cron of ['30 2 * * *', '0 * * * *', '15 1-3 * * *', '0 0 * * *'])
      for (const [timeZone, days] of Object.entries(changes))
        for (const day of days) {
          const schedule = { cron, timeZone };
          const from = new Date(Date.parse(`${day}T00:00:00Z`) - 2 * DAY);
          const to = new Date(from.getTime() + 4 * DAY);
          const forward = ticksBetween(schedule, from, to, 1000).map((d) => d.toISOString());
          const back: string[] = [];
          for (let tick = latestTick(schedule, to); tick && tick > from; tick = tickBefore(schedule, tick))
            back.unshift(tick.toISOString());
          expect(forward, `${cron} ${timeZone} ${day}`).toEqual(back);
        }
  });
});
