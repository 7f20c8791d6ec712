// Progress as JSON lines on stdout, in pino's shape (numeric level, time in ms, msg), so the same
// tools read this trainer's log and the built-in ones'.
const LEVELS = { info: 30, error: 50 } as const;

export function log(level: keyof typeof LEVELS, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ level: LEVELS[level], time: Date.now(), component: 'example-trainer', msg, ...fields })}\n`,
  );
}
