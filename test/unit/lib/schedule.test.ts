import { describe, expect, it } from 'vitest';
import { UserError } from '../../../lib/contract/errors.ts';
import { checkSchedule } from '../../../lib/dataset/schedule.ts';

const refusal = (cron: string, timeZone: string) => {
  try {
    checkSchedule({ cron, timeZone, field: 'spec.snapshot' });
    return undefined;
  } catch (e) {
    return e instanceof UserError ? `${e.reason}: ${e.message}` : String(e);
  }
};

describe('schedules as a CronJob reads them', () => {
  it.each([
    ['0 3 1 jan,feb mon-fri', 'Europe/Berlin'],
    ['*/5 * * * ?', 'UTC'],
    ['0 3 1 * *', 'Etc/UTC'],
    ['0 0 * * SUN', 'America/Argentina/Buenos_Aires'],
    ['@monthly', 'Etc/UTC'],
  ])('accepts %s in %s', (cron, zone) => {
    expect(refusal(cron, zone)).toBeUndefined();
  });

  it.each([
    ['0 0 L * *', 'Etc/UTC', 'field 3 (L) is not cron syntax a CronJob reads'],
    ['0 2 * * 5L', 'Etc/UTC', 'field 5 (5L)'],
    ['0 2 * * 1#2', 'Etc/UTC', 'field 5 (1#2)'],
    ['0 2 15W * *', 'Etc/UTC', 'field 3 (15W)'],
    ['0 0 * mon *', 'Etc/UTC', 'field 4 (mon)'],
    ['0 3 1 * *', 'utc', 'spec.snapshot.timeZone "utc": time zone names are case-sensitive, e.g. UTC'],
    ['0 3 1 * *', 'europe/berlin', 'e.g. Europe/Berlin'],
    ['0 3 1 * *', 'Europe/Atlantis', 'is not a known IANA time zone'],
  ])('refuses %s in %s, as the API server would refuse the CronJob', (cron, zone, message) => {
    expect(refusal(cron, zone)).toMatch(/^ScheduleInvalid: spec\.snapshot\./);
    expect(refusal(cron, zone)).toContain(message);
  });
});
