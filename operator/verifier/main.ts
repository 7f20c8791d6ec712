// `verify-artifact`: the program of the verification Job (contract: job-contract.ts). It holds no
// store credentials, only presigned links. It reports through the termination message (see
// verification-result.ts) and exits VERIFIED, BAD_ARTIFACT (the Job does not retry) or RETRY.
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { UserError } from '../../lib/contract/errors.ts';
import { encodeFailure, encodeVerified } from '../controllers/model-version/verification-result.ts';
import { EXIT, RetryableError, VERIFIER_ENV, VERIFIER_REASONS } from './job-contract.ts';
import { type VerifyRequest, verifyArtifact } from './verify-artifact.ts';

type Env = Record<string, string | undefined>;

function terminate(message: string, path: string): void {
  try {
    writeFileSync(path, message);
  } catch {
    // Outside a pod there is no termination log; stdout still has the result.
  }
}

function link(env: Env, name: string): URL {
  let url: URL;
  try {
    url = new URL(env[name] ?? '');
  } catch {
    throw new UserError('ConfigInvalid', `${name} must be an http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UserError('ConfigInvalid', `${name} must be an http(s) URL`);
  return url;
}

export function parseVerifierEnv(env: Env): VerifyRequest {
  const sha256 = env[VERIFIER_ENV.artifactSha256] ?? '';
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new UserError('ConfigInvalid', `${VERIFIER_ENV.artifactSha256} must be 64 lowercase hex digits`);
  const workDir = env[VERIFIER_ENV.workDir]?.trim();
  if (!workDir)
    throw new UserError('ConfigInvalid', `${VERIFIER_ENV.workDir} must name a writable directory`);
  const request: VerifyRequest = { artifactUrl: link(env, VERIFIER_ENV.artifactUrl), sha256, workDir };
  if (env[VERIFIER_ENV.metricsUrl]) request.metricsUrl = link(env, VERIFIER_ENV.metricsUrl);
  const size = env[VERIFIER_ENV.artifactSize];
  if (size !== undefined && size !== '') {
    if (!/^\d{1,16}$/.test(size) || !Number.isSafeInteger(Number(size)))
      throw new UserError('ConfigInvalid', `${VERIFIER_ENV.artifactSize} must be a byte count`);
    request.expectedSize = Number(size);
  }
  return request;
}

export async function runVerifier(env: Env, terminationLog = '/dev/termination-log'): Promise<number> {
  const log = pino({ level: env.BOSUN_LOG_LEVEL ?? 'info', base: { component: 'verify-artifact' } });
  let artifact: string | undefined;
  try {
    const request = parseVerifierEnv(env);
    // The link's query is its signature: a log names only the object.
    artifact = `${request.artifactUrl.origin}${request.artifactUrl.pathname}`;
    const started = Date.now();
    const result = await verifyArtifact(request);
    log.info({ artifact, size: result.size, seconds: (Date.now() - started) / 1000 }, 'artifact verified');
    const message = encodeVerified(result);
    terminate(message, terminationLog);
    process.stdout.write(`${message}\n`);
    return EXIT.VERIFIED;
  } catch (error) {
    if (error instanceof UserError) {
      log.error({ artifact, reason: error.reason }, error.message);
      terminate(encodeFailure(error.reason, error.message), terminationLog);
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.BAD_ARTIFACT;
    }
    const reason = error instanceof RetryableError ? error.reason : VERIFIER_REASONS.VerificationError;
    const message = error instanceof Error ? error.message : String(error);
    log.error({ artifact, reason }, message);
    terminate(encodeFailure(reason, message), terminationLog);
    return EXIT.RETRY;
  }
}
