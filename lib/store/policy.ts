// The IAM session policy that scopes a writer workload's temporary credentials to its own prefixes
// (docs/decisions/0008-workload-store-access.md). STS intersects it with the caller's own policy,
// so it can only narrow what the operator may do, never widen it.
import { UserError } from '../contract/errors.ts';
import { checkBucket, checkPrefix } from './keys.ts';

/** AWS and MinIO both refuse a packed session policy longer than this. */
export const SESSION_POLICY_LIMIT = 2048;

export interface SessionPolicyScope {
  bucket: string;
  /** Prefixes the workload creates objects under (it may read them back too). */
  write: string[];
  /** Prefixes the workload only reads. */
  read: string[];
}

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * The least access a writer needs: GetObject (which also answers HEAD) on every prefix it may
 * read or write; PutObject (single and multipart uploads) on its write prefixes; ListBucket only
 * with an `s3:prefix` under those prefixes. Not granted:
 * - DeleteObject: nothing a workload writes is replaced or removed by the workload itself
 *   (DESIGN §2); a failed upload's leftovers are the store lifecycle's business.
 * - ListBucketMultipartUploads: MinIO cannot limit it by prefix, and unlimited it names every
 *   namespace's uploads in progress. The minio client asks it before every multipart upload (a
 *   stream, or a buffer over 64 MiB, through `putObject`), so a scoped writer uploads with
 *   `createObject` (one PUT, up to 5 GiB).
 * Prefixes are validated key segments, so they can hold no `*` or `?`.
 */
export function sessionPolicy(scope: SessionPolicyScope): string {
  const bucket = checkBucket(scope.bucket);
  const write = unique(scope.write.map((p) => checkPrefix('write prefix', p)));
  const read = unique([...scope.read.map((p) => checkPrefix('read prefix', p)), ...write]);
  if (read.length === 0)
    throw new UserError('InvalidPolicy', 'a session policy needs at least one prefix to read or write');
  const objects = (prefixes: string[]) => prefixes.map((p) => `arn:aws:s3:::${bucket}/${p}*`);
  const statements: Statement[] = [
    { Sid: 'ReadOwnPrefixes', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects(read) },
  ];
  if (write.length > 0)
    statements.push({
      Sid: 'WriteOwnPrefixes',
      Effect: 'Allow',
      Action: ['s3:PutObject'],
      Resource: objects(write),
    });
  statements.push({
    Sid: 'ListOwnPrefixes',
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [`arn:aws:s3:::${bucket}`],
    Condition: { StringLike: { 's3:prefix': read.map((p) => `${p}*`) } },
  });
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  if (policy.length > SESSION_POLICY_LIMIT)
    throw new UserError(
      'InvalidPolicy',
      `the session policy for ${read.length} prefixes is ${policy.length} characters; STS accepts at most ${SESSION_POLICY_LIMIT}: scope the workload to fewer, shorter prefixes`,
    );
  return policy;
}
