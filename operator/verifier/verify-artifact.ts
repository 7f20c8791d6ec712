// The verification itself, through presigned links only: the model's bytes hash to the declared
// sha256 (streamed to disk, constant memory), onnxruntime loads the file; then its signature, size
// and the metrics.json beside it. Every way an artifact can be wrong is a UserError with the reason
// the ModelVersion's conditions show; anything else is a RetryableError.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../lib/contract/errors.ts';
import type { Verified } from '../controllers/model-version/verification-result.ts';
import { kubeTime } from '../runtime/kube-time.ts';
import { downloadArtifact, fetchSmallObject } from './download.ts';
import { ONNX_FILE_LIMIT } from './job-contract.ts';
import { loadSignature } from './onnx-signature.ts';

/** metrics.json is a flat object of numbers; anything larger than this is not one. */
const METRICS_LIMIT = 1024 * 1024;

export interface VerifyRequest {
  artifactUrl: URL;
  sha256: string;
  workDir: string;
  metricsUrl?: URL;
  expectedSize?: number;
}

export async function verifyArtifact(
  request: VerifyRequest,
  now: () => Date = () => new Date(),
): Promise<Verified> {
  // metrics.json first: it is small, and its link is then used while it is freshest.
  const metrics = request.metricsUrl ? await readMetrics(request.metricsUrl) : undefined;
  const path = join(request.workDir, 'model.onnx');
  try {
    const { size } = await downloadArtifact(request.artifactUrl, {
      sha256: request.sha256,
      path,
      ...(request.expectedSize === undefined ? {} : { expectedSize: request.expectedSize }),
    });
    if (size > ONNX_FILE_LIMIT)
      throw new UserError(
        'InvalidModel',
        `the model is ${size} bytes; an ONNX file holds at most ${ONNX_FILE_LIMIT} (protobuf's limit), and larger models keep their weights in external data files, which a single-file artifact cannot carry`,
      );
    let signature: Verified['signature'];
    try {
      signature = await loadSignature(path);
    } catch (error) {
      const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new UserError('InvalidModel', `onnxruntime cannot load the model: ${why}`);
    }
    const result: Verified = {
      ok: true,
      size,
      signature,
      verifiedAt: kubeTime(now()),
    };
    if (metrics) result.metrics = metrics;
    return result;
  } finally {
    await rm(path, { force: true });
  }
}

/** metrics.json when there is one: its finite numbers (other values are ignored). */
async function readMetrics(url: URL): Promise<Record<string, number> | undefined> {
  const bytes = await fetchSmallObject(url, 'metrics.json', METRICS_LIMIT);
  if (!bytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const metrics: Record<string, number> = {};
  for (const [name, v] of Object.entries(value))
    if (typeof v === 'number' && Number.isFinite(v)) metrics[name] = v;
  return metrics;
}
