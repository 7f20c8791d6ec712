// The verification itself: the artifact exists, its bytes hash to the declared sha256, onnxruntime
// loads it; then its signature, size and the metrics.json written next to it. Every way an artifact
// can be wrong is a UserError with the reason the ModelVersion's conditions show.
import { createHash } from 'node:crypto';
import { UserError } from '../../lib/contract/errors.ts';
import type { ArtifactStore } from '../../lib/store/client.ts';
import type { Verified } from '../controllers/model-version/verification-result.ts';
import { loadSignature } from './onnx-signature.ts';

export async function verifyArtifact(
  store: ArtifactStore,
  key: string,
  sha256: string,
  now: () => Date = () => new Date(),
): Promise<Verified> {
  if (!(await store.exists(key)))
    throw new UserError('ArtifactNotFound', `s3://${store.bucket}/${key} does not exist`);
  const bytes = await store.getObject(key);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256)
    throw new UserError(
      'DigestMismatch',
      `s3://${store.bucket}/${key} has sha256 ${actual}, but spec.artifact.sha256 is ${sha256}`,
    );
  let signature: Verified['signature'];
  try {
    signature = await loadSignature(bytes);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new UserError('InvalidModel', `onnxruntime cannot load the model: ${why}`);
  }
  const result: Verified = {
    ok: true,
    size: bytes.length,
    signature,
    verifiedAt: now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
  };
  const metrics = await readMetrics(store, key);
  if (metrics) result.metrics = metrics;
  return result;
}

/** metrics.json beside the model, when there is one: a flat object of numbers (others are ignored). */
async function readMetrics(
  store: ArtifactStore,
  modelKey: string,
): Promise<Record<string, number> | undefined> {
  const key = `${modelKey.slice(0, modelKey.lastIndexOf('/') + 1)}metrics.json`;
  if (!(await store.exists(key))) return undefined;
  let value: unknown;
  try {
    value = JSON.parse((await store.getObject(key)).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const metrics: Record<string, number> = {};
  for (const [name, v] of Object.entries(value))
    if (typeof v === 'number' && Number.isFinite(v)) metrics[name] = v;
  return metrics;
}
