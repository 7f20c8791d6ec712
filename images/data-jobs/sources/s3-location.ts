// Where an S3 location of a Dataset (an s3 source, a postgres source's images, gold) is read from.
// In the operator's bucket it is read with the job's own store and only under the namespace's
// prefixes; anywhere else only with the location's own credentials Secret (decision 0009).

import { UserError } from '../../../lib/contract/errors.ts';
import { ArtifactStore, type StoreConfig } from '../../../lib/store/client.ts';
import { blobKey, checkBucket, checkTenantKey } from '../../../lib/store/keys.ts';
import type { S3Location } from '../../../operator/api/common.ts';
import { DATA_JOB_ENV, type DataJobConfig } from '../job-contract.ts';

type Env = Record<string, string | undefined>;

export interface ResolvedLocation {
  store: ArtifactStore;
  bucket: string;
  /** The key prefix: '' (the bucket root) or ending with '/'. */
  prefix: string;
  /** In the operator's bucket: every key read must lie under the namespace's prefixes. */
  own: boolean;
}

const S3_URI = /^s3:\/\/([^/]+)\/(.*)$/;
/** AWS endpoints name their region, which SigV4 signs: s3.<region>.amazonaws.com. */
const AWS_REGION = /^s3[.-]([a-z0-9-]+)\.amazonaws\.com$/;

/**
 * Resolves `location` (its `uri` names a prefix; `''` or a key ending in `/` after the bucket).
 * `credentials` names the variables its credentialsSecret is given as. With `tenantPrefix`, a
 * location in the operator's bucket must itself lie under the namespace's prefixes.
 */
export function resolveLocation(
  what: string,
  location: S3Location,
  options: {
    namespace: string;
    store: ArtifactStore;
    storeConfig: StoreConfig;
    env: Env;
    credentials: { accessKeyId: string; secretAccessKey: string };
    tenantPrefix: boolean;
  },
): ResolvedLocation {
  const m = S3_URI.exec(location.uri);
  if (!m)
    throw new UserError(
      'InvalidUri',
      `${what} ${JSON.stringify(location.uri)} must be s3://<bucket>/<prefix>`,
    );
  const bucket = checkBucket(m[1] as string);
  let prefix = m[2] as string;
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const endpoint = new URL(location.endpoint ?? options.storeConfig.endpoint).origin;
  const own = endpoint === new URL(options.storeConfig.endpoint).origin && bucket === options.store.bucket;
  if (own) {
    if (options.tenantPrefix) {
      // The bucket root is nobody's; checkTenantKey says so for any key that is not under N's prefixes.
      checkTenantKey(what, options.namespace, prefix === '' ? 'root' : prefix);
    }
    return { store: options.store, bucket, prefix, own };
  }
  const accessKey = options.env[options.credentials.accessKeyId]?.trim();
  const secretKey = options.env[options.credentials.secretAccessKey]?.trim();
  if (!accessKey || !secretKey)
    throw new UserError(
      'CredentialsRequired',
      `${what} s3://${bucket}/${prefix} is not in the operator's bucket: it is read only with its credentialsSecret (keys accessKeyId and secretAccessKey), given as ${options.credentials.accessKeyId} and ${options.credentials.secretAccessKey}`,
    );
  const config: StoreConfig = { endpoint, bucket, accessKey, secretKey };
  const region = AWS_REGION.exec(new URL(endpoint).hostname)?.[1];
  if (region) config.region = region;
  return { store: new ArtifactStore(config), bucket, prefix, own };
}

const BLOB_KEY = /^objects\/([^/]+)\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

/** The digest when `key` is one of the namespace's own blobs (what the inference server stores). */
export function blobOfKey(namespace: string, key: string): string | undefined {
  const m = BLOB_KEY.exec(key);
  if (!m || m[1] !== namespace) return undefined;
  const sha256 = m[3] as string;
  return blobKey(namespace, sha256) === key ? sha256 : undefined;
}

/** spec.gold resolved as both jobs read it: its credentials from the gold variables, under N's prefixes. */
export function resolveGold(config: DataJobConfig, store: ArtifactStore, gold: S3Location): ResolvedLocation {
  return resolveLocation('spec.gold.uri', gold, {
    namespace: config.namespace,
    store,
    storeConfig: config.store,
    env: config.env,
    credentials: {
      accessKeyId: DATA_JOB_ENV.goldAccessKeyId,
      secretAccessKey: DATA_JOB_ENV.goldSecretAccessKey,
    },
    tenantPrefix: true,
  });
}
