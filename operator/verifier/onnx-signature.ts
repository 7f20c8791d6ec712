// The inputs and outputs of an ONNX model, read by onnxruntime when it loads the model: if it loads
// here, it loads in the inference server, which uses the same runtime. The model is loaded from its
// file, so its bytes are never copied into the JavaScript heap; onnxruntime itself holds about twice
// the file's size while loading (see verifierMemoryLimitBytes).
import ort from 'onnxruntime-node';
import type { Signature } from '../controllers/model-version/verification-result.ts';

type Tensor = Signature['inputs'][number];

function describe(meta: ort.InferenceSession.ValueMetadata): Tensor {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', shape: [] };
  return {
    name: meta.name,
    type: String(meta.type),
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
  };
}

export async function loadSignature(modelPath: string): Promise<Signature> {
  const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'disabled' });
  try {
    return { inputs: session.inputMetadata.map(describe), outputs: session.outputMetadata.map(describe) };
  } finally {
    await session.release();
  }
}
