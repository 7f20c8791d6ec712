// The data jobs image's entry point: `main.ts collect` or `main.ts snapshot`, run by a Dataset's
// Jobs with the environment of job-contract.ts. It exits PUBLISHED only when everything is
// published, and leaves the result (JSON) or `<Reason>: <message>` in the termination message.
import { pino } from 'pino';
import { RetryableError, UserError } from '../../lib/contract/errors.ts';
import { writeTerminationMessage } from '../../lib/contract/termination-message.ts';
import { runCollect } from './collect/run.ts';
import {
  DATA_JOB_COMMANDS,
  DATA_JOB_ENV,
  DATA_JOB_REASONS,
  type DataJobCommand,
  EXIT,
  encodeDataJobFailure,
} from './job-contract.ts';
import { runSnapshot } from './snapshot/run.ts';

type Env = Record<string, string | undefined>;
export type Logger = pino.Logger;

/** A job: reads its environment, publishes, and returns its termination message. */
type Job = (env: Env, log: Logger) => Promise<string>;

const JOBS: Partial<Record<DataJobCommand, Job>> = {
  collect: runCollect,
  snapshot: runSnapshot,
};

const USAGE = `usage: main.ts ${DATA_JOB_COMMANDS.join(' | ')}
Configured by the BOSUN_* environment of images/data-jobs/job-contract.ts (docs/datasets.md).`;

/** Network failures of the store client (Node's socket errors) and the store's own 5xx/503 codes. */
const STORE_FAILURES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'InternalError',
  'SlowDown',
  'ServiceUnavailable',
  'XMinioServerNotInitialized',
]);

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  // An S3Error is the store's own answer (a missing bucket, refused credentials): the operator's
  // store settings, which a later Job may find fixed.
  return (typeof code === 'string' && STORE_FAILURES.has(code)) || (error as Error).name === 'S3Error'
    ? DATA_JOB_REASONS.StoreUnavailable
    : DATA_JOB_REASONS.InternalError;
}

export async function main(argv: string[], env: Env): Promise<number> {
  const command = argv[0] as DataJobCommand | undefined;
  const job = command && argv.length === 1 ? JOBS[command] : undefined;
  if (!job) {
    process.stderr.write(`${USAGE}\n`);
    return EXIT.USER_ERROR;
  }
  const log = pino({
    base: { component: command },
    level: env[DATA_JOB_ENV.logLevel] ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  const terminationLog = env[DATA_JOB_ENV.terminationLog];
  try {
    const result = await job(env, log);
    writeTerminationMessage(result, terminationLog);
    process.stdout.write(`${result}\n`);
    return EXIT.PUBLISHED;
  } catch (error) {
    if (error instanceof UserError) {
      log.error({ reason: error.reason }, error.message);
      process.stderr.write(`error: ${error.message}\n`);
      writeTerminationMessage(encodeDataJobFailure(error.reason, error.message), terminationLog);
      return EXIT.USER_ERROR;
    }
    const raw = error instanceof Error ? error.message : String(error);
    const reason = error instanceof RetryableError ? error.reason : reasonOf(error);
    const message =
      reason === DATA_JOB_REASONS.StoreUnavailable ? `the artifact store failed a request: ${raw}` : raw;
    // A bug's stack stays in the log for whoever fixes it; an outage needs no stack, and a
    // message never has one.
    if (reason === DATA_JOB_REASONS.InternalError)
      log.error({ reason, err: error }, `${command} failed: ${message}`);
    else log.error({ reason }, message);
    process.stderr.write(`error: ${message}\n`);
    writeTerminationMessage(encodeDataJobFailure(reason, message), terminationLog);
    return EXIT.RETRY;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
