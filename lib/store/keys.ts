// The artifact store's key layout (DESIGN §2). Every key is built here, from validated names only,
// so no user-provided value can form a key outside its prefix.
import { UserError } from '../contract/errors.ts';

/** Kubernetes object names (RFC 1123 subdomain): lowercase, digits, '-', '.', no '..'. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** One path segment chosen by a program or a user: no '/', no leading dot. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._=+-]{0,254}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const VARIANTS = ['verified', 'full'] as const;
export type Variant = (typeof VARIANTS)[number];

function invalid(what: string, value: string, rule: string): never {
  throw new UserError('InvalidName', `invalid ${what} ${JSON.stringify(value)}: ${rule}`);
}

export function checkName(what: string, value: string): string {
  if (value.length > 253 || !K8S_NAME.test(value))
    invalid(what, value, 'use lowercase letters, digits, "-" and "." (a Kubernetes object name)');
  return value;
}

export function checkSegment(what: string, value: string): string {
  if (!SEGMENT.test(value) || value.includes('..'))
    invalid(what, value, 'use letters, digits and "._=+-", not starting with "." and without ".."');
  return value;
}

export function checkSha256(value: string): string {
  if (!SHA256.test(value)) invalid('sha256', value, 'expected 64 lowercase hex digits');
  return value;
}

export function checkBucket(value: string): string {
  if (!BUCKET.test(value) || value.includes('..')) invalid('bucket', value, 'expected an S3 bucket name');
  return value;
}

/** A relative path of validated segments, e.g. `plots/loss.png`. */
export function checkRelativePath(what: string, value: string): string {
  const segments = value.split('/');
  if (segments.length === 0 || segments.length > 16) invalid(what, value, 'expected 1 to 16 path segments');
  for (const s of segments) checkSegment(what, s);
  return value;
}

/** A prefix of validated segments that ends with '/', e.g. `runs/default/r1/`. */
export function checkPrefix(what: string, value: string): string {
  if (!value.endsWith('/')) invalid(what, value, 'a prefix must end with "/"');
  checkRelativePath(what, value.slice(0, -1));
  return value;
}

export function joinKey(prefix: string, relative: string): string {
  return checkPrefix('prefix', prefix) + checkRelativePath('path', relative);
}

/**
 * The prefixes namespace N owns in the operator's bucket (DESIGN §2). A resource of N may refer
 * only to keys under these, and a workload of N builds keys only under them.
 */
export const TENANT_ROOTS = ['models', 'runs', 'datasets', 'objects', 'imports'] as const;

export function tenantPrefixes(namespace: string): string[] {
  checkName('namespace', namespace);
  return TENANT_ROOTS.map((root) => `${root}/${namespace}/`);
}

/** Whether a validated key lies under one of namespace N's prefixes. */
export function isTenantKey(namespace: string, key: string): boolean {
  return tenantPrefixes(namespace).some((prefix) => key.startsWith(prefix) && key.length > prefix.length);
}

/**
 * Returns the key when it is valid and lies under namespace N's prefixes; throws
 * `OutsideNamespace` otherwise. The message names only the namespace's own prefixes, never whether
 * the key exists.
 */
export function checkTenantKey(what: string, namespace: string, key: string): string {
  if (key.endsWith('/')) checkPrefix(what, key);
  else checkRelativePath(what, key);
  if (!isTenantKey(namespace, key))
    throw new UserError(
      'OutsideNamespace',
      `${what} must lie under the namespace's own prefixes (${tenantPrefixes(namespace).join(', ')})`,
    );
  return key;
}

/** Content-addressed blobs are per namespace: no namespace can read another's bytes by a digest. */
/** Where namespace N's content-addressed blobs are. */
export function blobsPrefix(namespace: string): string {
  return `objects/${checkName('namespace', namespace)}/`;
}

export function blobKey(namespace: string, sha256: string): string {
  checkSha256(sha256);
  return `${blobsPrefix(namespace)}sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** What people upload themselves: gold data, hand-registered models. */
export function importsPrefix(namespace: string): string {
  return `imports/${checkName('namespace', namespace)}/`;
}

/** Everything of one Dataset: its batches, snapshots and gold indexes. */
export function datasetPrefix(namespace: string, dataset: string): string {
  return `datasets/${checkName('namespace', namespace)}/${checkName('dataset name', dataset)}/`;
}

/** Where a Dataset's candidate batches are: `<window>.jsonl.gz` manifests, `<window>.json` summaries. */
export function batchesPrefix(namespace: string, dataset: string): string {
  return `${datasetPrefix(namespace, dataset)}batches/`;
}

export function batchManifestKey(namespace: string, dataset: string, window: string): string {
  return `${batchesPrefix(namespace, dataset)}${checkSegment('window', window)}.jsonl.gz`;
}

export function batchSummaryKey(namespace: string, dataset: string, window: string): string {
  return `${batchesPrefix(namespace, dataset)}${checkSegment('window', window)}.json`;
}

function checkVariant(variant: string): Variant {
  if (!(VARIANTS as readonly string[]).includes(variant))
    invalid('variant', variant, `expected one of ${VARIANTS.join(', ')}`);
  return variant as Variant;
}

/** Where a Dataset's snapshot versions are, one folder each. */
export function snapshotsPrefix(namespace: string, dataset: string): string {
  return `${datasetPrefix(namespace, dataset)}snapshots/`;
}

/** One snapshot version's folder: its variants' manifests and summaries, its card and its inputs. */
export function snapshotPrefix(namespace: string, dataset: string, version: string): string {
  return `${snapshotsPrefix(namespace, dataset)}${checkSegment('snapshot version', version)}/`;
}

/** The card a person reads in the store's console (both variants of one version). */
export function snapshotCardKey(namespace: string, dataset: string, version: string): string {
  return `${snapshotPrefix(namespace, dataset, version)}README.md`;
}

/** What a snapshot version is built from (snapshot time, gold index, batches), written before any manifest. */
export function snapshotInputsKey(namespace: string, dataset: string, version: string): string {
  return `${snapshotPrefix(namespace, dataset, version)}inputs.json`;
}

/** Where a Dataset's gold indexes are, one `<version>.jsonl.gz` per snapshot version that read gold. */
export function goldIndexPrefix(namespace: string, dataset: string): string {
  return `${datasetPrefix(namespace, dataset)}gold-index/`;
}

export function goldIndexKey(namespace: string, dataset: string, version: string): string {
  return `${goldIndexPrefix(namespace, dataset)}${checkSegment('snapshot version', version)}.jsonl.gz`;
}

export function snapshotManifestKey(
  namespace: string,
  dataset: string,
  version: string,
  variant: string,
): string {
  return `${snapshotPrefix(namespace, dataset, version)}${checkVariant(variant)}.jsonl.gz`;
}

export function snapshotSummaryKey(
  namespace: string,
  dataset: string,
  version: string,
  variant: string,
): string {
  return `${snapshotPrefix(namespace, dataset, version)}${checkVariant(variant)}.json`;
}

export function modelPrefix(namespace: string, model: string, version: number): string {
  if (!Number.isSafeInteger(version) || version < 1)
    invalid('model version', String(version), 'expected a positive integer');
  return `models/${checkName('namespace', namespace)}/${checkName('model name', model)}/${version}/`;
}

export function runPrefix(namespace: string, trainingRun: string): string {
  return `runs/${checkName('namespace', namespace)}/${checkName('training run name', trainingRun)}/`;
}

export interface S3Location {
  bucket: string;
  key: string;
}

/** Parses `s3://bucket/key`; the key must be made of valid segments (a prefix may end with '/'). */
export function parseS3Uri(what: string, uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m)
    throw new UserError('InvalidUri', `invalid ${what} ${JSON.stringify(uri)}: expected s3://<bucket>/<key>`);
  const bucket = checkBucket(m[1] as string);
  const key = m[2] as string;
  if (key.endsWith('/')) checkPrefix(what, key);
  else checkRelativePath(what, key);
  return { bucket, key };
}

export function s3Uri(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}
