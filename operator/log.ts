// One pino logger per component, JSON on stdout. Store credentials never reach a log line: the
// config object is never logged whole, and these paths are redacted should one slip in.
import { type Logger, pino } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { component: 'operator' },
    redact: ['store.accessKey', 'store.secretKey', '*.accessKey', '*.secretKey', 'headers.Authorization'],
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
