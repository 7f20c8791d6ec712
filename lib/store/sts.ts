// Temporary store credentials for one writer workload, scoped by a session policy to its own
// prefixes: STS AssumeRole, which MinIO and AWS both implement (docs/decisions/0008-workload-store-access.md).
// The request is built and signed by the minio package's AssumeRoleProvider; it is sent here, with
// a deadline, because the provider's own request has none and its errors carry the whole response.
import * as http from 'node:http';
import * as https from 'node:https';
import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';
import { UserError } from '../contract/errors.ts';
import { type SessionPolicyScope, sessionPolicy } from './policy.ts';

/** STS's shortest session; MinIO and AWS both refuse less. */
export const MIN_SESSION_SECONDS = 900;
/** AWS's longest AssumeRole session (a role's MaxSessionDuration at most); MinIO allows it too. */
export const MAX_SESSION_SECONDS = 12 * 3600;
const DEFAULT_TIMEOUT_MS = 10_000;
/** An STS answer is a few kilobytes; more is not one. */
const RESPONSE_LIMIT = 256 * 1024;
/** AWS's rule for RoleSessionName. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface StsConfig {
  /** http(s)://host[:port]; MinIO answers STS on its S3 endpoint. */
  endpoint: string;
  /** The long-lived credentials that ask (the operator's). */
  accessKey: string;
  secretKey: string;
  region: string;
  /** The role to assume: required by AWS; MinIO scopes the calling user's own policy instead. */
  roleArn?: string;
}

export interface ScopedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface ScopedCredentialsRequest {
  scope: SessionPolicyScope;
  durationSeconds: number;
  /** Shows in the store's audit log: e.g. the Job's name. */
  sessionName: string;
  timeoutMs?: number;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

function text(xml: string, tag: string): string | undefined {
  // The STS answer is a fixed, flat schema; its values are base64, JWTs and ISO dates.
  const raw = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  return raw?.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|quot|apos|amp);/gi, (_, entity: string) => {
    if (entity[0] === '#')
      return String.fromCodePoint(
        entity[1]?.toLowerCase() === 'x' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1)),
      );
    return XML_ENTITIES[entity.toLowerCase()] ?? '';
  });
}

function send(
  endpoint: URL,
  options: http.RequestOptions,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const transport = endpoint.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request({ ...options, signal: AbortSignal.timeout(timeoutMs) }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > RESPONSE_LIMIT) request.destroy(new Error('the STS answer is too large'));
        else chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Mints credentials that can do only what `scope` allows (and what the caller itself may), for
 * `durationSeconds`. A refusal by the store (no STS, a policy it rejects, a caller it will not
 * serve) is a `StoreCredentialsRefused` UserError with the store's own code and message; a store
 * that cannot be reached is a plain Error, worth retrying.
 */
export async function mintScopedCredentials(
  sts: StsConfig,
  request: ScopedCredentialsRequest,
): Promise<ScopedCredentials> {
  const { durationSeconds, sessionName } = request;
  if (
    !Number.isInteger(durationSeconds) ||
    durationSeconds < MIN_SESSION_SECONDS ||
    durationSeconds > MAX_SESSION_SECONDS
  )
    throw new UserError(
      'InvalidDuration',
      `scoped credentials live ${MIN_SESSION_SECONDS} to ${MAX_SESSION_SECONDS} seconds, got ${durationSeconds}`,
    );
  if (!SESSION_NAME.test(sessionName))
    throw new UserError(
      'InvalidName',
      `invalid session name ${JSON.stringify(sessionName)}: 2 to 64 letters, digits and "_+=,.@-"`,
    );
  const endpoint = new URL(sts.endpoint);
  const provider = new AssumeRoleProvider({
    stsEndpoint: endpoint.origin,
    accessKey: sts.accessKey,
    secretKey: sts.secretKey,
    region: sts.region,
    durationSeconds,
    policy: sessionPolicy(request.scope),
    roleSessionName: sessionName,
    ...(sts.roleArn ? { roleArn: sts.roleArn } : {}),
  });
  const { requestOptions, requestData } = provider.getRequestConfig();
  let answer: { status: number; body: string };
  try {
    answer = await send(endpoint, requestOptions, requestData, request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  } catch (error) {
    const why =
      error instanceof Error ? (error.name === 'AbortError' ? 'timed out' : error.message) : String(error);
    throw new Error(`STS at ${endpoint.origin} did not answer: ${why}`);
  }
  const code = text(answer.body, 'Code');
  if (answer.status >= 500 || (answer.status !== 200 && !code))
    throw new Error(`STS at ${endpoint.origin} answered HTTP ${answer.status}${code ? ` ${code}` : ''}`);
  if (answer.status !== 200 || code) {
    const message = (text(answer.body, 'Message') ?? '').slice(0, 300);
    throw new UserError(
      'StoreCredentialsRefused',
      `the store refused to mint scoped credentials (${code}${message ? `: ${message}` : ''}); a store without STS needs --workload-credentials=shared`,
    );
  }
  const accessKeyId = text(answer.body, 'AccessKeyId');
  const secretAccessKey = text(answer.body, 'SecretAccessKey');
  const sessionToken = text(answer.body, 'SessionToken');
  const expiration = new Date(text(answer.body, 'Expiration') ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration.getTime()))
    throw new Error(`STS at ${endpoint.origin} answered without complete credentials`);
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}
