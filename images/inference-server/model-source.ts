// Where the served model comes from, and fetching it to local disk with its digest checked:
// - http(s)://… a presigned GET link, as the operator renders it (decision 0012: serving Pods get
//   links, no store credentials); the signature comes from its own link, BOSUN_SIGNATURE_URI;
// - s3://<bucket>/<key> in the artifact store, read with the store credentials; the key must lie
//   under the server's namespace (BOSUN_NAMESPACE), as every workload's keys must;
// - file:///<path> for development and benchmarks.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../lib/contract/errors.ts';
import type { ArtifactStore } from '../../lib/store/client.ts';
import { downloadVerified, fileSha256 } from '../../lib/store/download.ts';
import { checkTenantKey, parseS3Uri, type S3Location } from '../../lib/store/keys.ts';
import { downloadLink, fetchSmallObject, LinkError, linkForLog } from '../../lib/store/presigned-link.ts';

export type ModelSource =
  | { kind: 'link'; model: URL; signature?: URL }
  | { kind: 's3'; model: S3Location; signature: S3Location; signatureRequired: boolean }
  | { kind: 'file'; model: string; signature: string; signatureRequired: boolean };

/** signature.json is far smaller than this; a larger answer is not a signature. */
const SIGNATURE_LIMIT = 1024 * 1024;

function siblingKey(key: string): string {
  const at = key.lastIndexOf('/');
  return `${at < 0 ? '' : key.slice(0, at + 1)}signature.json`;
}

function parseLink(name: string, uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new UserError('ConfigInvalid', `${name} is not a valid URL`);
  }
  if (url.username || url.password)
    throw new UserError('ConfigInvalid', `${name} must not carry credentials in the URL`);
  return url;
}

const isLink = (uri: string) => /^https?:\/\//i.test(uri);

export function parseModelSource(
  uri: string,
  signatureUri: string | undefined,
  namespace: string,
): ModelSource {
  if (isLink(uri)) {
    if (signatureUri !== undefined && !isLink(signatureUri))
      throw new UserError(
        'ConfigInvalid',
        'BOSUN_SIGNATURE_URI must be a link too when BOSUN_MODEL_URI is one',
      );
    const source: ModelSource = { kind: 'link', model: parseLink('BOSUN_MODEL_URI', uri) };
    if (signatureUri !== undefined) source.signature = parseLink('BOSUN_SIGNATURE_URI', signatureUri);
    return source;
  }
  if (uri.startsWith('file://')) {
    const model = fileURLToPath(uri);
    const signature = signatureUri ? fileURLToPath(signatureUri) : join(dirname(model), 'signature.json');
    return { kind: 'file', model, signature, signatureRequired: signatureUri !== undefined };
  }
  const model = parseS3Uri('BOSUN_MODEL_URI', uri);
  checkTenantKey('BOSUN_MODEL_URI', namespace, model.key);
  const signature = signatureUri
    ? parseS3Uri('BOSUN_SIGNATURE_URI', signatureUri)
    : { bucket: model.bucket, key: siblingKey(model.key) };
  checkTenantKey('BOSUN_SIGNATURE_URI', namespace, signature.key);
  return { kind: 's3', model, signature, signatureRequired: signatureUri !== undefined };
}

export interface FetchedModel {
  path: string;
  /** signature.json's text; undefined when the model has none (registered by hand). */
  signature?: string;
}

/** What a link that cannot be read means for the server's start. */
function linkFailure(error: unknown, what: string): Error {
  if (!(error instanceof LinkError)) return error as Error;
  const { kind } = error.failure;
  if (kind === 'mismatch')
    return new UserError(
      'ArtifactInvalid',
      `the ${what} does not match BOSUN_MODEL_SHA256: the artifact changed or is corrupt`,
    );
  if (kind === 'missing' || kind === 'expired')
    return new UserError('ArtifactInvalid', `${error.message}: the operator renews the link`);
  return new UserError('ArtifactUnavailable', error.message);
}

async function fetchLinked(source: ModelSource & { kind: 'link' }, sha256: string, workDir: string) {
  const path = join(workDir, `model-${sha256}.onnx`);
  // A restarted container keeps its emptyDir: a file with the right digest is not fetched again.
  if ((await fileSha256(path)) !== sha256) {
    try {
      await downloadLink(source.model, { sha256, path, what: 'model' });
    } catch (error) {
      throw linkFailure(error, `model at ${linkForLog(source.model)}`);
    }
  }
  const fetched: FetchedModel = { path };
  if (source.signature) {
    let bytes: Buffer | undefined;
    try {
      bytes = await fetchSmallObject(source.signature, 'signature.json', SIGNATURE_LIMIT);
    } catch (error) {
      throw linkFailure(error, 'signature.json');
    }
    if (bytes === undefined)
      throw new UserError(
        'ArtifactInvalid',
        `signature.json at ${linkForLog(source.signature)} does not exist or is over ${SIGNATURE_LIMIT} bytes`,
      );
    fetched.signature = bytes.toString('utf8');
  }
  return fetched;
}

/** Fetches the model (checking its sha256) and its signature.json next to it, when present. */
export async function fetchModel(
  source: ModelSource,
  sha256: string,
  workDir: string,
  store?: ArtifactStore,
): Promise<FetchedModel> {
  if (source.kind === 'link') return fetchLinked(source, sha256, workDir);
  if (source.kind === 'file') {
    const actual = await fileSha256(source.model);
    if (actual === undefined) throw new UserError('ArtifactInvalid', `${source.model} does not exist`);
    if (actual !== sha256)
      throw new UserError('ArtifactInvalid', `${source.model} has sha256 ${actual}, expected ${sha256}`);
    const fetched: FetchedModel = { path: source.model };
    try {
      fetched.signature = await readFile(source.signature, 'utf8');
    } catch (e) {
      if (source.signatureRequired || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return fetched;
  }
  if (!store) throw new UserError('ConfigInvalid', 'an s3:// model needs the store settings (BOSUN_STORE_*)');
  const path = join(workDir, `model-${sha256}.onnx`);
  await downloadVerified(store, store.keyOf(source.model), sha256, path);
  const fetched: FetchedModel = { path };
  const key = store.keyOf(source.signature);
  if (source.signatureRequired || (await store.exists(key)))
    fetched.signature = (await store.getObject(key)).toString('utf8');
  return fetched;
}
