// A finished training's outputs (DESIGN §3): written to a local staging directory first and
// uploaded only when complete, metrics.json last, so a failed run never leaves a partial upload.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ArtifactStore } from '../../lib/store/client.ts';
import { publishFiles } from '../../lib/store/publish.ts';

export interface TrainResult {
  model: Uint8Array;
  /** Flat name → number. */
  metrics: Record<string, number>;
  signature: Record<string, unknown>;
  /** File name under plots/ → PNG bytes. */
  plots: Record<string, Buffer>;
}

export async function publishResult(
  store: ArtifactStore,
  prefix: string,
  result: TrainResult,
): Promise<string[]> {
  const dir = await mkdtemp(join(process.env.BOSUN_WORK_DIR ?? tmpdir(), 'bosun-train-'));
  try {
    const files: Record<string, Uint8Array | string> = {
      'model.onnx': result.model,
      'signature.json': `${JSON.stringify(result.signature, null, 2)}\n`,
      'metrics.json': `${JSON.stringify(result.metrics, null, 2)}\n`,
    };
    for (const [name, png] of Object.entries(result.plots)) files[`plots/${name}`] = png;
    for (const [name, data] of Object.entries(files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), data);
    }
    return await publishFiles(store, { dir, prefix, files: Object.keys(files), last: ['metrics.json'] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
