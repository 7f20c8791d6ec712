// The built-in trainer image's entry point: `main.ts train [flags]`, run by a TrainingRun's Job.
// Flags override the BOSUN_* environment of the workload contract (docs/workload-contract.md).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseBuiltinTrainerConfig } from '../../lib/contract/env.ts';
import { UserError } from '../../lib/contract/errors.ts';
import { ModelMismatchError } from '../../lib/onnx/verify.ts';
import { log } from './log.ts';
import { runTraining } from './train.ts';

const USAGE = `usage: trainer train [--task T] [--algorithm A] [--manifest s3://bucket/key]
                     [--manifest-sha256 HEX] [--output s3://bucket/prefix/] [--hyperparameters JSON]
Every flag defaults to its BOSUN_* variable (BOSUN_TASK, BOSUN_ALGORITHM, BOSUN_INPUT_MANIFEST,
BOSUN_INPUT_MANIFEST_SHA256, BOSUN_OUTPUT_PREFIX, BOSUN_HYPERPARAMETERS); BOSUN_NAMESPACE names the
namespace whose store prefixes every key lies under; the store comes from BOSUN_STORE_ENDPOINT,
BOSUN_STORE_BUCKET, BOSUN_STORE_ACCESS_KEY and BOSUN_STORE_SECRET_KEY.`;

const FLAG_ENV = {
  task: 'BOSUN_TASK',
  algorithm: 'BOSUN_ALGORITHM',
  manifest: 'BOSUN_INPUT_MANIFEST',
  'manifest-sha256': 'BOSUN_INPUT_MANIFEST_SHA256',
  output: 'BOSUN_OUTPUT_PREFIX',
  hyperparameters: 'BOSUN_HYPERPARAMETERS',
} as const;

/** Kubernetes shows this file's content as the container's termination message. */
function terminationMessage(text: string): void {
  try {
    writeFileSync(process.env.BOSUN_TERMINATION_LOG ?? '/dev/termination-log', text);
  } catch {
    // Outside Kubernetes there is no termination log; the log line says the same.
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: Object.fromEntries(Object.keys(FLAG_ENV).map((k) => [k, { type: 'string' as const }])),
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.positionals[0] !== 'train' || parsed.positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [flag, name] of Object.entries(FLAG_ENV)) {
    const value = parsed.values[flag];
    if (typeof value === 'string') env[name] = value;
  }
  try {
    await runTraining(parseBuiltinTrainerConfig(env), log);
    return 0;
  } catch (e) {
    if (e instanceof UserError || e instanceof ModelMismatchError) {
      const reason = e instanceof UserError ? e.reason : 'ArtifactInvalid';
      log.error({ reason }, e.message);
      process.stderr.write(`error: ${e.message}\n`);
      terminationMessage(`${reason}: ${e.message}`);
    } else {
      // Not the user's doing: keep the stack in the log for whoever fixes it.
      log.error({ reason: 'InternalError', err: e }, `training failed: ${(e as Error).message}`);
      process.stderr.write(`error: training failed: ${(e as Error).message}\n`);
      terminationMessage(`InternalError: ${(e as Error).message}`);
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
