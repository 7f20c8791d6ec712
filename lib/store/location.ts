// Where an S3 location named in a resource's spec lies, and whether the resource's namespace may use
// it (DESIGN §2, decision 0009): in the operator's bucket only under the namespace's own prefixes,
// in any other bucket or store only with a credentials Secret of the namespace. Pure: CEL cannot see
// an object's namespace, so controllers apply it before any store request or Job. Messages name the
// field and the namespace's own prefixes; a location outside them is not repeated, and nothing
// says whether a key exists.
import { UserError } from '../contract/errors.ts';
import { checkBucket, checkPrefix, checkRelativePath, isTenantKey, tenantPrefixes } from './keys.ts';

/** A location as the API types spell it: a ModelVersion's artifact, a Dataset's gold or source. */
export interface LocationSpec {
  uri: string;
  /** Another S3-compatible store; unset: the operator's own. */
  endpoint?: string;
  credentialsSecret?: { name: string };
}

/**
 * What a location's URI names, which decides what of it must lie under the namespace's prefixes:
 * - `object`: one object (a model's artifact), itself under them;
 * - `prefix`: a prefix read as a whole (gold, an s3 source), itself under them;
 * - `keyBase`: a prefix that keys from elsewhere are relative to, each checked when it is read (a
 *   postgres source's images): it must lead to them (the bucket root does, or a folder above or
 *   under one of them).
 */
export type LocationScope = 'object' | 'prefix' | 'keyBase';

export const LOCATION_PROBLEMS = {
  /** Not s3://<bucket>/<key> of valid segments, or an endpoint that is not a URL. */
  invalid: 'invalid',
  /** In the operator's bucket, outside the namespace's own prefixes. */
  outsideNamespace: 'outsideNamespace',
  /** In another bucket or store, without a credentials Secret. */
  credentialsRequired: 'credentialsRequired',
} as const;
export type LocationProblem = (typeof LOCATION_PROBLEMS)[keyof typeof LOCATION_PROBLEMS];

export type Located =
  | {
      ok: true;
      bucket: string;
      /** The object's key; for a prefix '' (the bucket root) or a key ending with '/'. */
      key: string;
      /** In the operator's bucket and store: read with the operator's credentials, under the namespace's prefixes. */
      own: boolean;
      /** Another bucket or store: the Secret in the namespace that can read it. */
      credentialsSecret?: string;
      endpoint?: string;
    }
  | { ok: false; problem: LocationProblem; message: string };

const S3_URI = /^s3:\/\/([^/]*)\/(.*)$/;

function invalid(message: string): Located {
  return { ok: false, problem: LOCATION_PROBLEMS.invalid, message };
}

/** Why `key` is not made of valid segments (one rule: lib/store/keys.ts), or undefined. */
function keyProblem(what: string, key: string): string | undefined {
  if (key.startsWith('/')) return `${what}: the key must not start with "/"`;
  if (key.includes('//')) return `${what}: the key must not have an empty path segment ("//")`;
  try {
    if (key.endsWith('/')) checkPrefix('path segment', key);
    else checkRelativePath('path segment', key);
  } catch (error) {
    if (error instanceof UserError) return `${what}: ${error.message}`;
    throw error;
  }
  return undefined;
}

/** Whether a key under `prefix` can lie under the namespace's prefixes. */
function leadsToTenant(namespace: string, prefix: string): boolean {
  return tenantPrefixes(namespace).some((own) => own.startsWith(prefix) || prefix.startsWith(own));
}

/**
 * Locates `location` (the object at `field`, e.g. `spec.sources[1].s3`) for a resource of
 * `namespace`. A location is the operator's own when it names the operator's bucket and no endpoint.
 */
export function locate(
  field: string,
  location: LocationSpec,
  scope: LocationScope,
  tenancy: { namespace: string; operatorBucket: string },
): Located {
  const what = `${field}.uri`;
  const m = S3_URI.exec(location.uri);
  if (!m)
    return invalid(
      `${what} ${JSON.stringify(location.uri)} must be s3://<bucket>/${scope === 'object' ? '<key>' : '<prefix>/'}`,
    );
  const bucket = m[1] as string;
  let key = m[2] as string;
  try {
    checkBucket(bucket);
  } catch (error) {
    if (error instanceof UserError) return invalid(`${what}: ${error.message}`);
    throw error;
  }
  if (scope === 'object') {
    if (key === '' || key.endsWith('/')) return invalid(`${what} names a prefix, not a file`);
  } else if (key !== '' && !key.endsWith('/')) key += '/';
  if (key !== '') {
    const problem = keyProblem(what, key);
    if (problem) return invalid(problem);
  }
  if (location.endpoint !== undefined && !URL.canParse(location.endpoint))
    return invalid(`${field}.endpoint is not a URL`);

  const { namespace, operatorBucket } = tenancy;
  const own = bucket === operatorBucket && !location.endpoint;
  if (own) {
    const allowed = scope === 'keyBase' ? leadsToTenant(namespace, key) : isTenantKey(namespace, key);
    if (!allowed)
      return {
        ok: false,
        problem: LOCATION_PROBLEMS.outsideNamespace,
        message: `${what} must ${scope === 'keyBase' ? 'be the bucket root or lead to' : 'lie under'} the prefixes of namespace ${namespace} in the bucket ${operatorBucket}: ${tenantPrefixes(namespace).join(', ')}`,
      };
    return { ok: true, bucket, key, own };
  }
  if (!location.credentialsSecret)
    return {
      ok: false,
      problem: LOCATION_PROBLEMS.credentialsRequired,
      message: `${what} is in another bucket or store (${bucket}): set ${field}.credentialsSecret to a Secret in namespace ${namespace} with the keys accessKeyId and secretAccessKey that can read it`,
    };
  return {
    ok: true,
    bucket,
    key,
    own,
    credentialsSecret: location.credentialsSecret.name,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
  };
}
