// The image endpoint's model side: checks at start that the model can classify images with the
// configured preprocessing, then turns one image into top-k labels with probabilities.
import { UserError } from '../../lib/contract/errors.ts';
import type { Batcher } from './batcher.ts';
import type { HostTensor } from './datatypes.ts';
import { decodeRgb, toTensor } from './image-preprocessing.ts';
import { describeShape } from './infer-request.ts';
import type { Model } from './model.ts';
import { asProbabilities } from './probabilities.ts';
import { DeadlinePassed } from './serving-state.ts';
import type { ImagePreprocessing, Signature } from './signature.ts';
import { Turns } from './turns.ts';

export interface Prediction {
  label: string;
  probability: number;
}

export interface Classification {
  predictions: Prediction[];
  /** The probabilities of every label, in label order. */
  probabilities: Float32Array;
}

export class ImageClassifier {
  readonly labels: string[];
  readonly preprocessing: ImagePreprocessing;
  readonly #input: string;
  readonly #inputType: 'FP32' | 'UINT8';
  readonly #output: string;
  readonly #softmax: boolean;
  readonly #turns = new Turns();

  private constructor(
    labels: string[],
    preprocessing: ImagePreprocessing,
    input: string,
    inputType: 'FP32' | 'UINT8',
    output: string,
    softmax: boolean,
  ) {
    this.labels = labels;
    this.preprocessing = preprocessing;
    this.#input = input;
    this.#inputType = inputType;
    this.#output = output;
    this.#softmax = softmax;
  }

  /** Undefined when the model is not an image classifier (no preprocessing configured). */
  static forModel(model: Model, signature: Signature): ImageClassifier | undefined {
    const p = signature.preprocessing;
    if (!p) return undefined;
    const fail = (message: string): never => {
      throw new UserError('ConfigInvalid', `image preprocessing is configured, but ${message}`);
    };
    if (!signature.labels) fail('no labels are known (signature.json or spec.preprocessing.labels)');
    const labels = signature.labels as string[];
    if (model.inputs.length !== 1)
      fail(`the model has ${model.inputs.length} inputs, an image model has one`);
    const input = model.inputs[0] as (typeof model.inputs)[number];
    if (input.datatype !== 'FP32' && input.datatype !== 'UINT8')
      fail(`the model's input '${input.name}' is ${input.datatype}, expected FP32 or UINT8`);
    const want = p.layout === 'NCHW' ? [1, 3, p.height, p.width] : [1, p.height, p.width, 3];
    if (input.shape.length !== 4 || input.shape.some((d, i) => typeof d === 'number' && d !== want[i]))
      fail(
        `the model's input '${input.name}' has shape ${describeShape(input.shape)}, preprocessing makes [${want.join(', ')}]`,
      );
    const k = labels.length;
    const output =
      model.output('probabilities') ??
      model.outputs.find((o) => o.datatype === 'FP32' && o.shape.length === 2 && o.shape[1] === k);
    if (output?.datatype !== 'FP32')
      return fail(
        `the model has no FP32 output of shape [N, ${k}] (one column per label) to read probabilities from`,
      );
    return new ImageClassifier(
      labels,
      p,
      input.name,
      input.datatype as 'FP32' | 'UINT8',
      output.name,
      output.name !== 'probabilities',
    );
  }

  async classify(
    image: Buffer,
    topK: number,
    batcher: Batcher,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Classification> {
    const rgb = await this.#turns.run(async () => {
      // Timed out while waiting: do not decode for nobody (the client already has its 504).
      if (performance.now() >= deadline) throw new DeadlinePassed();
      return decodeRgb(image, this.preprocessing);
    });
    const results = await batcher.run(
      { [this.#input]: toTensor(rgb, this.preprocessing, this.#inputType) },
      deadline,
    );
    const out = results[this.#output] as HostTensor;
    const scores = Float32Array.from(out.data as Float32Array);
    if (scores.length !== this.labels.length)
      throw new Error(`the model returned ${scores.length} scores for ${this.labels.length} labels`);
    const probabilities = this.#softmax ? asProbabilities(scores) : scores;
    const order = Array.from(probabilities.keys()).sort(
      (a, b) => (probabilities[b] as number) - (probabilities[a] as number),
    );
    return {
      predictions: order
        .slice(0, topK)
        .map((i) => ({ label: this.labels[i] as string, probability: probabilities[i] as number })),
      probabilities,
    };
  }
}
