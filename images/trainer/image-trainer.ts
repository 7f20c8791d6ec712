// Image classification from an imagefolder snapshot: decode and resize with sharp, train the CNN,
// export it with its normalisation inside the graph, check the export in onnxruntime, and report.
import { UserError } from '../../lib/contract/errors.ts';
import { verifyModel } from '../../lib/onnx/verify.ts';
import type { ManifestItem } from '../../lib/store/manifest.ts';
import { channelStats, decodeImages, toTensor } from './data/images.ts';
import { splitRows } from './data/random.ts';
import { cnnToOnnx } from './export/cnn-graph.ts';
import { CnnParams, parseParams } from './hyperparameters.ts';
import type { Logger } from './log.ts';
import { cnnPredict, initCnn, trainCnn } from './models/cnn.ts';
import type { TrainResult } from './outputs.ts';
import { confusionMatrixSvg, lineChartSvg, svgToPng } from './report/charts.ts';
import { classificationMetrics } from './report/metrics.ts';

export async function trainImages(
  items: ManifestItem[],
  data: Buffer[],
  hyperparameters: Record<string, unknown>,
  log: Logger,
): Promise<TrainResult> {
  const params = parseParams(CnnParams, hyperparameters);
  if (params.imageSize % 4 !== 0)
    throw new UserError(
      'HyperparametersInvalid',
      `invalid hyperparameters: imageSize ${params.imageSize} must be a multiple of 4`,
    );
  const unlabelled = items.find((item) => !item.label);
  if (unlabelled)
    throw new UserError('DatasetInvalid', `item ${JSON.stringify(unlabelled.path)} has no label`);
  const labels = [...new Set(items.map((item) => item.label as string))].sort();
  if (labels.length < 2)
    throw new UserError(
      'DatasetInvalid',
      `the dataset has only one class (${JSON.stringify(labels[0])}); classification needs at least two`,
    );
  const index = new Map(labels.map((l, i) => [l, i]));
  const y = Int32Array.from(items, (item) => index.get(item.label as string) as number);

  const size = params.imageSize;
  const decodeStarted = performance.now();
  const rgb = await decodeImages(
    items.map((item, i) => ({ path: item.path, data: data[i] as Buffer })),
    size,
    params.fit,
  );
  log.info(
    { images: items.length, size, seconds: Number(((performance.now() - decodeStarted) / 1000).toFixed(2)) },
    'images decoded',
  );

  const split = splitRows(items.length, params.validationFraction, params.seed, y);
  const { mean, std } = channelStats(rgb, split.train, size);
  const xTrain = toTensor(rgb, split.train, size, mean, std);
  const xVal = toTensor(rgb, split.validation, size, mean, std);
  const yTrain = Int32Array.from(split.train, (i) => y[i] as number);
  const yVal = Int32Array.from(split.validation, (i) => y[i] as number);

  const model = initCnn({ channels: 3, size, filters: params.filters, classes: labels.length }, params.seed);
  const validationLoss: [number, number][] = [];
  const started = performance.now();
  const losses = trainCnn(model, xTrain, yTrain, {
    epochs: params.epochs,
    batchSize: params.batchSize,
    learningRate: params.learningRate,
    weightDecay: params.weightDecay,
    seed: params.seed,
    onEpoch: (epoch, loss, itemsPerSecond) => {
      const report = classificationMetrics(yVal, cnnPredict(model, xVal, yVal.length), labels).metrics;
      validationLoss.push([epoch, report.log_loss as number]);
      log.info(
        {
          epoch,
          epochs: params.epochs,
          loss,
          validationLoss: report.log_loss,
          validationAccuracy: report.accuracy,
          itemsPerSecond: Math.round(itemsPerSecond),
        },
        'training',
      );
      return undefined;
    },
  });
  const fitSeconds = (performance.now() - started) / 1000;

  const probabilities = cnnPredict(model, xVal, yVal.length);
  const report = classificationMetrics(yVal, probabilities, labels);
  const exported = cnnToOnnx(model, labels, mean, std);
  // The graph's input is the resized RGB image in 0–255, as a server hands it over.
  const plane = size * size;
  const raw = new Float32Array(split.validation.length * 3 * plane);
  split.validation.forEach((r, i) => {
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < plane; p++) raw[(i * 3 + c) * plane + p] = rgb[(r * plane + p) * 3 + c] as number;
  });
  const maxDifference = await verifyModel(
    exported.bytes,
    { image: { dims: [split.validation.length, 3, size, size], data: raw } },
    { probabilities },
  );
  log.info({ maxDifference, validationImages: yVal.length }, 'exported model checked in onnxruntime');

  return {
    model: exported.bytes,
    metrics: { ...report.metrics, train_items: yTrain.length, fit_seconds: fitSeconds },
    signature: {
      format: 'onnx',
      task: 'image-classification',
      algorithm: 'cnn',
      labels,
      inputs: exported.inputs,
      outputs: exported.outputs,
      preprocessing: {
        size: [size, size],
        fit: params.fit,
        channelOrder: 'RGB',
        layout: 'NCHW',
        range: [0, 255],
        // Normalisation happens inside the graph; these are for reference only.
        normalizationInGraph: { mean, std },
      },
    },
    plots: {
      'training-curve.png': await svgToPng(
        lineChartSvg('Training curve', 'epoch', 'log loss', [
          { name: 'training', points: losses.map((v, i) => [i + 1, v]) },
          { name: 'validation', points: validationLoss },
        ]),
      ),
      'confusion-matrix.png': await svgToPng(confusionMatrixSvg(labels, report.confusion)),
    },
  };
}
