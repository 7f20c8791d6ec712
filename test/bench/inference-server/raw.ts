// The limit: onnxruntime-node in-process, no HTTP, one call at a time. For the tabular model a
// session.run per row; for an image the same work the image endpoint does per image (decode and
// resize, tensor, run). Measures one scenario after a warm-up, so the benchmark can take it in
// turn with the servers; prints one JSON line: throughput and p50/p99 latency.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { decodeRgb, toTensor } from '../../../images/inference-server/image-preprocessing.ts';
import { parseSignature } from '../../../images/inference-server/signature.ts';

const [dir, scenario, secondsArg, warmupArg] = process.argv.slice(2);
if (!dir || !scenario)
  throw new Error("usage: raw.ts <dir> <'tabular' | 'image <photo size>'> [seconds] [warm-up seconds]");
const seconds = Number(secondsArg ?? 5);
const warmupSeconds = Number(warmupArg ?? 10);
const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

async function measure(once: () => Promise<unknown>): Promise<void> {
  for (const end = performance.now() + warmupSeconds * 1000; performance.now() < end; ) await once();
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  while (performance.now() < end) {
    const t = performance.now();
    await once();
    latencies.push(performance.now() - t);
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  process.stdout.write(
    `${JSON.stringify({ rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors: 0 })}\n`,
  );
}

if (scenario === 'tabular') {
  const tabular = await ort.InferenceSession.create(join(dir, 'tabular/model.onnx'), options);
  const row = Float32Array.from(JSON.parse(readFileSync(join(dir, 'row.json'), 'utf8')) as number[]);
  await measure(() => tabular.run({ x: new ort.Tensor('float32', row, [1, row.length]) }));
} else {
  const size = /^image (\d+x\d+)$/.exec(scenario)?.[1];
  if (!size) throw new Error(`unknown scenario '${scenario}'`);
  const image = await ort.InferenceSession.create(join(dir, 'image/model.onnx'), options);
  const p = parseSignature(readFileSync(join(dir, 'image/signature.json'), 'utf8')).preprocessing;
  if (!p) throw new Error('the image model has no preprocessing');
  const photo = readFileSync(join(dir, `photo-${size}.jpg`));
  await measure(async () => {
    const t = toTensor(await decodeRgb(photo, p), p, 'FP32');
    return image.run({ image: new ort.Tensor('float32', t.data as Float32Array, t.shape) });
  });
}
