// The inference server's structured JSON log (pino); credentials and tokens are never logged.
import { pino } from 'pino';

export const log = pino({
  base: { component: 'inference-server' },
  level: process.env.BOSUN_LOG_LEVEL ?? 'info',
  timestamp: pino.stdTimeFunctions.isoTime,
  redact: ['req.headers.authorization'],
});

export type Logger = pino.Logger;
