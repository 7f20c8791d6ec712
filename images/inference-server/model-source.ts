// Where the served model comes from, and fetching it to local disk with its digest checked:
// s3://<bucket>/<key> in the artifact store, or file:///<path> for development and benchmarks.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../lib/contract/errors.ts';
import type { ArtifactStore } from '../../lib/store/client.ts';
import { downloadVerified, fileSha256 } from '../../lib/store/download.ts';
import { parseS3Uri, type S3Location } from '../../lib/store/keys.ts';

export type ModelSource =
  | { kind: 's3'; model: S3Location; signature: S3Location; signatureRequired: boolean }
  | { kind: 'file'; model: string; signature: string; signatureRequired: boolean };

function siblingKey(key: string): string {
  const at = key.lastIndexOf('/');
  return `${at < 0 ? '' : key.slice(0, at + 1)}signature.json`;
}

export function parseModelSource(uri: string, signatureUri?: string): ModelSource {
  if (uri.startsWith('file://')) {
    const model = fileURLToPath(uri);
    const signature = signatureUri ? fileURLToPath(signatureUri) : join(dirname(model), 'signature.json');
    return { kind: 'file', model, signature, signatureRequired: signatureUri !== undefined };
  }
  const model = parseS3Uri('BOSUN_MODEL_URI', uri);
  const signature = signatureUri
    ? parseS3Uri('BOSUN_SIGNATURE_URI', signatureUri)
    : { bucket: model.bucket, key: siblingKey(model.key) };
  return { kind: 's3', model, signature, signatureRequired: signatureUri !== undefined };
}

export interface FetchedModel {
  path: string;
  /** signature.json's text; undefined when the model has none (registered by hand). */
  signature?: string;
}

/** Fetches the model (checking its sha256) and its signature.json next to it, when present. */
export async function fetchModel(
  source: ModelSource,
  sha256: string,
  workDir: string,
  store?: ArtifactStore,
): Promise<FetchedModel> {
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
