// The served model: one ONNX Runtime session, its inputs and outputs as the Open Inference
// Protocol describes them, a warm-up run, and the plain (unbatched) run.
import ort from 'onnxruntime-node';
import { UserError } from '../../lib/contract/errors.ts';
import { type Datatype, fromOrtType, type HostTensor, type TensorData, toOrtType } from './datatypes.ts';

export interface TensorSpec {
  name: string;
  datatype: Datatype;
  /** Fixed sizes, or a name for a dimension the model leaves open (e.g. 'N'). */
  shape: (number | string)[];
}

export interface ModelOptions {
  intraOpThreads: number;
  interOpThreads: number;
}

export class Model {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** True when every input and output starts with the same open dimension, so rows can be stacked. */
  readonly batchable: boolean;
  readonly #session: ort.InferenceSession;
  readonly #outputNames: string[];

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.inputs = session.inputMetadata.map((m) => tensorSpec(m, 'input'));
    this.outputs = session.outputMetadata.map((m) => tensorSpec(m, 'output'));
    this.#outputNames = this.outputs.map((o) => o.name);
    const first = (t: TensorSpec) => t.shape[0];
    const batchDim = this.inputs[0] && first(this.inputs[0]);
    this.batchable =
      typeof batchDim === 'string' && [...this.inputs, ...this.outputs].every((t) => first(t) === batchDim);
  }

  static async load(path: string, options: ModelOptions): Promise<Model> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, {
        intraOpNumThreads: options.intraOpThreads,
        interOpNumThreads: options.interOpThreads,
        executionMode: options.interOpThreads > 1 ? 'parallel' : 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new UserError('ArtifactInvalid', `ONNX Runtime cannot load the model: ${(e as Error).message}`);
    }
    return new Model(session);
  }

  input(name: string): TensorSpec | undefined {
    return this.inputs.find((t) => t.name === name);
  }

  output(name: string): TensorSpec | undefined {
    return this.outputs.find((t) => t.name === name);
  }

  /** Runs the model; `outputs` names what to fetch (all when omitted). */
  async run(feeds: Record<string, HostTensor>, outputs?: string[]): Promise<Record<string, HostTensor>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const name in feeds) tensors[name] = ortTensor(feeds[name] as HostTensor);
    const names = outputs ?? this.#outputNames;
    const result = await this.#session.run(tensors, names);
    const out: Record<string, HostTensor> = {};
    for (const name of names) {
      const t = result[name] as ort.Tensor;
      out[name] = {
        datatype: fromOrtType(t.type) as Datatype,
        shape: t.dims.slice(),
        data: t.data as TensorData,
      };
    }
    return out;
  }

  /** One run on zeros (open dimensions as 1), so the first request does not pay for allocations. */
  async warmUp(): Promise<void> {
    const feeds: Record<string, HostTensor> = {};
    for (const input of this.inputs) {
      const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[input.name] = { datatype: input.datatype, shape, data: zeros(input.datatype, n) };
    }
    try {
      await this.run(feeds);
    } catch (e) {
      throw new UserError('ArtifactInvalid', `the model failed its warm-up run: ${(e as Error).message}`);
    }
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

function ortTensor(t: HostTensor): ort.Tensor {
  if (t.datatype !== 'FP16')
    return new ort.Tensor(toOrtType(t.datatype) as 'float32', t.data as Float32Array, t.shape);
  // Where Float16Array exists (Node 24), onnxruntime-common wraps float16 bits in one, which the
  // native binding of onnxruntime-node 1.30 cannot read ("not enough space"). The bits are passed
  // as a uint16 tensor relabelled float16, which the binding copies as they are.
  const tensor = new ort.Tensor('uint16', t.data as Uint16Array, t.shape);
  (tensor as { type: string }).type = 'float16';
  return tensor;
}

function zeros(datatype: Datatype, n: number): TensorData {
  switch (datatype) {
    case 'BYTES':
      return new Array<string>(n).fill('');
    case 'INT64':
      return new BigInt64Array(n);
    case 'UINT64':
      return new BigUint64Array(n);
    case 'FP64':
      return new Float64Array(n);
    case 'FP32':
      return new Float32Array(n);
    case 'INT32':
      return new Int32Array(n);
    case 'UINT32':
      return new Uint32Array(n);
    case 'INT16':
      return new Int16Array(n);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(n);
    case 'INT8':
      return new Int8Array(n);
    default:
      return new Uint8Array(n);
  }
}

function tensorSpec(m: ort.InferenceSession.ValueMetadata, role: string): TensorSpec {
  if (!m.isTensor) throw new UserError('ArtifactInvalid', `the model's ${role} '${m.name}' is not a tensor`);
  const datatype = fromOrtType(m.type);
  if (!datatype)
    throw new UserError(
      'ArtifactInvalid',
      `the model's ${role} '${m.name}' has element type ${m.type}, which the Open Inference Protocol cannot carry`,
    );
  return {
    name: m.name,
    datatype,
    shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d))),
  };
}
