// The Bosun side of the trainer benchmark: the built-in trainers' fitting code on the data and
// split the scikit-learn side wrote, one JSON line per model (accuracy and fit seconds).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelStats, decodeImages, toTensor } from '../../../images/trainer/data/images.ts';
import { loadTable } from '../../../images/trainer/data/table.ts';
import { makeProblem } from '../../../images/trainer/data/tabular-dataset.ts';
import { fitFeatures, transformFeatures } from '../../../images/trainer/data/tabular-features.ts';
import { cnnPredict, initCnn, trainCnn } from '../../../images/trainer/models/cnn.ts';
import { fitGbdt, gbdtScores } from '../../../images/trainer/models/gbdt.ts';
import { fitLogistic, linearScores } from '../../../images/trainer/models/linear.ts';

const dir = process.argv[2] as string;

function table(name: string) {
  const loaded = loadTable([{ path: name, data: readFileSync(join(dir, name)) }], new Set(['label']));
  return makeProblem(loaded, { target: 'label', task: 'classification', columns: {} });
}

function accuracy(scores: Float64Array, k: number, y: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    if (k === 1) best = (scores[i] as number) > 0 ? 1 : 0;
    else
      for (let c = 1; c < k; c++)
        if ((scores[i * k + c] as number) > (scores[i * k + best] as number)) best = c;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const result = work();
  return [result, (performance.now() - started) / 1000];
}

const train = table('tabular-train.csv');
const test = table('tabular-test.csv');
const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);
const spec = fitFeatures(train.features, all(train.rows), 100);
const xTrain = transformFeatures(spec, train.features, all(train.rows));
const xTest = transformFeatures(spec, test.features, all(test.rows));
const d = spec.names.length;
const yTrain = (train.y as { y: Int32Array }).y;
const yTest = (test.y as { y: Int32Array }).y;

const [logistic, logisticSeconds] = timed(() =>
  fitLogistic(xTrain, train.rows, d, yTrain, 2, { C: 1, maxIterations: 100, tolerance: 1e-4 }),
);
console.log(
  JSON.stringify({
    model: 'logistic',
    accuracy: accuracy(linearScores(logistic, xTest, test.rows), 1, yTest),
    seconds: logisticSeconds,
  }),
);

const [trees, treeSeconds] = timed(() =>
  fitGbdt(
    xTrain,
    train.rows,
    d,
    { kind: 'classification', y: yTrain, classes: 2 },
    {
      learningRate: 0.1,
      maxIterations: 100,
      maxLeafNodes: 31,
      maxDepth: 0,
      minSamplesLeaf: 20,
      l2Regularization: 0,
      maxBins: 255,
      earlyStopping: 'auto',
      nIterNoChange: 10,
      earlyStoppingFraction: 0.1,
      seed: 0,
    },
  ),
);
console.log(
  JSON.stringify({
    model: 'gbdt',
    accuracy: accuracy(gbdtScores(trees, xTest, test.rows), 1, yTest),
    seconds: treeSeconds,
    trees: trees.trees.length,
  }),
);

const split = JSON.parse(readFileSync(join(dir, 'digits-split.json'), 'utf8')) as {
  train: string[];
  test: string[];
};
const paths = [...split.train, ...split.test];
const size = 16;
const rgb = await decodeImages(
  paths.map((p) => ({ path: p, data: readFileSync(join(dir, 'digits', p)) })),
  size,
  'fill',
);
const labelOf = (p: string) => Number(p.split('/')[0]);
const trainRows = all(split.train.length);
const testRows = Uint32Array.from(split.test, (_, i) => split.train.length + i);
const { mean, std } = channelStats(rgb, trainRows, size);
const model = initCnn({ channels: 3, size, filters: 16, classes: 10 }, 0);
const [, cnnSeconds] = timed(() =>
  trainCnn(model, toTensor(rgb, trainRows, size, mean, std), Int32Array.from(split.train, labelOf), {
    epochs: 25,
    batchSize: 32,
    learningRate: 0.002,
    weightDecay: 0.0001,
    seed: 0,
  }),
);
const probabilities = cnnPredict(model, toTensor(rgb, testRows, size, mean, std), split.test.length);
console.log(
  JSON.stringify({
    model: 'digits',
    accuracy: accuracy(probabilities, 10, Int32Array.from(split.test, labelOf)),
    seconds: cnnSeconds,
    classifier: 'CNN 16×16',
  }),
);
