// `verify-artifact`: the program of the verification Job. It reports through the termination
// message (see verification-result.ts) and exits 0 when verified, 1 when the artifact is bad (the Job
// does not retry), 2 on anything else, e.g. the store being unreachable (the Job retries).
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { parseStoreConfig } from '../../lib/contract/env.ts';
import { UserError } from '../../lib/contract/errors.ts';
import { ArtifactStore } from '../../lib/store/client.ts';
import { parseS3Uri } from '../../lib/store/keys.ts';
import { encodeFailure, encodeVerified } from '../controllers/model-version/verification-result.ts';
import { verifyArtifact } from './verify-artifact.ts';

type Env = Record<string, string | undefined>;

function terminate(message: string, path: string): void {
  try {
    writeFileSync(path, message);
  } catch {
    // Outside a pod there is no termination log; stdout still has the result.
  }
}

export async function runVerifier(env: Env, terminationLog = '/dev/termination-log'): Promise<number> {
  const log = pino({ level: env.BOSUN_LOG_LEVEL ?? 'info', base: { component: 'verify-artifact' } });
  try {
    const store = new ArtifactStore(parseStoreConfig(env));
    const uri = env.BOSUN_ARTIFACT_URI ?? '';
    const sha256 = env.BOSUN_ARTIFACT_SHA256 ?? '';
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new UserError('ConfigInvalid', 'BOSUN_ARTIFACT_SHA256 must be 64 lowercase hex digits');
    const key = store.keyOf(parseS3Uri('BOSUN_ARTIFACT_URI', uri));
    const started = Date.now();
    const result = await verifyArtifact(store, key, sha256);
    log.info({ uri, size: result.size, seconds: (Date.now() - started) / 1000 }, 'artifact verified');
    const message = encodeVerified(result);
    terminate(message, terminationLog);
    process.stdout.write(`${message}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UserError) {
      const reason =
        error.reason === 'InvalidUri' || error.reason === 'InvalidName' ? 'InvalidArtifactUri' : error.reason;
      log.error({ reason }, error.message);
      terminate(encodeFailure(reason, error.message), terminationLog);
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    log.error({ err: message }, 'verification could not run');
    terminate(encodeFailure('VerificationError', message), terminationLog);
    return 2;
  }
}
