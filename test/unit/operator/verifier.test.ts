import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floatTensor, GraphBuilder } from '../../../lib/onnx/builder.ts';
import { loadSignature } from '../../../operator/verifier/onnx-signature.ts';

const dir = mkdtempSync(join(tmpdir(), 'bosun-signature-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('loadSignature', () => {
  it('reads input and output names, types and shapes as onnxruntime sees them, from the file', async () => {
    const g = new GraphBuilder('affine');
    const x = g.input('features', 'float', ['N', 3]);
    const w = g.constant('w', floatTensor([1, 2, 3], [3, 1]));
    g.op('MatMul', [x, w], { outputs: ['score'] });
    g.output('score', 'float', ['N', 1]);
    expect(await loadSignature(file('affine.onnx', g.toBytes()))).toEqual({
      inputs: [{ name: 'features', type: 'float32', shape: ['N', 3] }],
      outputs: [{ name: 'score', type: 'float32', shape: ['N', 1] }],
    });
  });

  it('rejects bytes that are not a model', async () => {
    await expect(loadSignature(file('text.onnx', new TextEncoder().encode('not a model')))).rejects.toThrow();
  });
});
