// The trainer's structured JSON log (pino): one line per event, progress with counts and rates.
import { pino } from 'pino';

export const log = pino({
  base: { component: 'trainer' },
  level: process.env.BOSUN_LOG_LEVEL ?? 'info',
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = typeof log;
