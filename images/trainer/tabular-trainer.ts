// Tabular classification and regression: load rows, split, encode, fit, export to ONNX with the
// preprocessing inside the graph, check the export in onnxruntime, and report.
import { UserError } from '../../lib/contract/errors.ts';
import { GraphBuilder } from '../../lib/onnx/builder.ts';
import { verifyModel } from '../../lib/onnx/verify.ts';
import { splitRows } from './data/random.ts';
import { loadTable, type TableFile } from './data/table.ts';
import { makeProblem } from './data/tabular-dataset.ts';
import { fitFeatures, rawInputs, transformFeatures } from './data/tabular-features.ts';
import { addLinearScores } from './export/linear-graph.ts';
import {
  addClassificationOutputs,
  addFeatureGraph,
  addRegressionOutput,
  probabilitiesFromScores,
  type SignatureTensor,
} from './export/tabular-graph.ts';
import { addTreeScores } from './export/tree-graph.ts';
import { GbdtParams, LinearParams, LogisticParams, parseParams } from './hyperparameters.ts';
import type { Logger } from './log.ts';
import { fitGbdt, gbdtScores } from './models/gbdt.ts';
import { fitLogistic, fitRidge, linearScores } from './models/linear.ts';
import type { TrainResult } from './outputs.ts';
import { confusionMatrixSvg, lineChartSvg, type Series, scatterSvg, svgToPng } from './report/charts.ts';
import { classificationMetrics, regressionMetrics } from './report/metrics.ts';

export const TABULAR_ALGORITHMS = {
  'tabular-classification': ['logistic', 'gbdt'],
  'tabular-regression': ['linear', 'gbdt'],
} as const;

export type TabularTask = keyof typeof TABULAR_ALGORITHMS;

function paramsFor(task: TabularTask, algorithm: string, hyperparameters: Record<string, unknown>) {
  if (algorithm === 'gbdt') return { algorithm, params: parseParams(GbdtParams, hyperparameters) } as const;
  if (task === 'tabular-classification' && algorithm === 'logistic')
    return { algorithm, params: parseParams(LogisticParams, hyperparameters) } as const;
  if (task === 'tabular-regression' && algorithm === 'linear')
    return { algorithm, params: parseParams(LinearParams, hyperparameters) } as const;
  throw new UserError(
    'AlgorithmUnknown',
    `unknown algorithm "${algorithm}" for ${task}; choose one of ${TABULAR_ALGORITHMS[task].join(', ')}`,
  );
}

export async function trainTabular(
  task: TabularTask,
  algorithmName: string,
  files: TableFile[],
  hyperparameters: Record<string, unknown>,
  log: Logger,
): Promise<TrainResult> {
  const choice = paramsFor(task, algorithmName, hyperparameters);
  const { params } = choice;
  const classification = task === 'tabular-classification';
  const textColumns = new Set(
    Object.entries(params.columns).flatMap(([k, v]) => (v === 'categorical' ? [k] : [])),
  );
  if (classification) textColumns.add(params.target);
  const table = loadTable(files, textColumns);
  const problem = makeProblem(table, {
    target: params.target,
    task: classification ? 'classification' : 'regression',
    columns: params.columns,
  });
  if (problem.rows < 2)
    throw new UserError(
      'DatasetInvalid',
      `the dataset has ${problem.rows} usable row; at least 2 are needed`,
    );
  const { y } = problem;
  const split = splitRows(
    problem.rows,
    params.validationFraction,
    params.seed,
    y.kind === 'classification' ? y.y : undefined,
  );
  log.info(
    {
      rows: problem.rows,
      droppedRows: problem.droppedRows,
      train: split.train.length,
      validation: split.validation.length,
      columns: problem.features.map((f) => `${f.name}:${f.kind}`),
    },
    'dataset loaded',
  );
  const spec = fitFeatures(problem.features, split.train, params.maxCategories);
  const d = spec.names.length;
  const xTrain = transformFeatures(spec, problem.features, split.train);
  const xVal = transformFeatures(spec, problem.features, split.validation);
  const nTrain = split.train.length;
  const nVal = split.validation.length;
  const yTrainClass =
    y.kind === 'classification' ? Int32Array.from(split.train, (i) => y.y[i] as number) : null;
  const yTrainReg = y.kind === 'regression' ? Float64Array.from(split.train, (i) => y.y[i] as number) : null;

  const g = new GraphBuilder(`bosun-${task}-${choice.algorithm}`);
  const { features, inputs } = addFeatureGraph(g, spec);
  const curves: Series[] = [];
  let valScores: Float64Array;
  let k: number;
  let scores: string;
  const started = performance.now();
  const progress = (iteration: number, loss: number, validationLoss?: number) => {
    const seconds = (performance.now() - started) / 1000;
    log.info(
      {
        iteration,
        loss,
        validationLoss,
        itemsPerSecond: Math.round((iteration * nTrain) / Math.max(seconds, 1e-9)),
      },
      'training',
    );
  };

  if (choice.algorithm === 'logistic') {
    const p = choice.params;
    const labels = (y as { labels: string[] }).labels;
    const losses: [number, number][] = [];
    const model = fitLogistic(xTrain, nTrain, d, yTrainClass as Int32Array, labels.length, {
      C: p.C,
      maxIterations: p.maxIterations,
      tolerance: p.tolerance,
      onIteration: (it, loss) => {
        losses.push([it, loss]);
        progress(it, loss);
      },
    });
    log.info({ iterations: model.iterations, converged: model.converged }, 'fitted');
    curves.push({ name: 'training objective', points: losses });
    k = model.k;
    valScores = linearScores(model, xVal, nVal);
    scores = addLinearScores(g, features, model.weights, model.bias, d, k);
  } else if (choice.algorithm === 'linear') {
    const model = fitRidge(xTrain, nTrain, d, yTrainReg as Float64Array, choice.params.alpha);
    k = 1;
    valScores = linearScores(model, xVal, nVal);
    scores = addLinearScores(g, features, model.weights, model.bias, d, 1);
  } else {
    const p = choice.params as GbdtParams;
    const model = fitGbdt(
      xTrain,
      nTrain,
      d,
      y.kind === 'classification'
        ? { kind: 'classification', y: yTrainClass as Int32Array, classes: y.labels.length }
        : { kind: 'regression', y: yTrainReg as Float64Array },
      { ...p, onIteration: progress },
    );
    log.info({ trees: model.trees.length, bestIteration: model.history.bestIteration }, 'fitted');
    curves.push({ name: 'training loss', points: model.history.trainLoss.map((v, i) => [i + 1, v]) });
    if (model.history.validationLoss.length > 0)
      curves.push({
        name: 'early-stopping loss',
        points: model.history.validationLoss.map((v, i) => [i + 1, v]),
      });
    k = model.k;
    valScores = gbdtScores(model, xVal, nVal);
    scores = addTreeScores(g, features, model);
  }
  const fitSeconds = (performance.now() - started) / 1000;

  let outputs: SignatureTensor[];
  let expected: Float64Array;
  let metrics: Record<string, number>;
  const plots: Record<string, Buffer> = {};
  if (y.kind === 'classification') {
    outputs = addClassificationOutputs(g, scores, y.labels, k);
    expected = probabilitiesFromScores(valScores, nVal, y.labels.length, k);
    const yVal = Int32Array.from(split.validation, (i) => y.y[i] as number);
    const report = classificationMetrics(yVal, expected, y.labels);
    metrics = report.metrics;
    plots['confusion-matrix.png'] = await svgToPng(confusionMatrixSvg(y.labels, report.confusion));
  } else {
    outputs = addRegressionOutput(g, scores);
    expected = valScores;
    const yVal = Float64Array.from(split.validation, (i) => y.y[i] as number);
    metrics = regressionMetrics(yVal, expected);
    plots['predicted-vs-actual.png'] = await svgToPng(
      scatterSvg(
        'Validation: predicted vs actual',
        `actual ${problem.target}`,
        'predicted',
        Array.from(yVal, (v, i) => [v, expected[i] as number]),
      ),
    );
  }
  if (curves.length > 0)
    plots['training-curve.png'] = await svgToPng(lineChartSvg('Training curve', 'iteration', 'loss', curves));

  const model = g.toBytes(`Bosun ${task} (${choice.algorithm}) on target "${problem.target}"`);
  const maxDifference = await verifyModel(
    model,
    rawInputs(spec, problem.features, split.validation),
    { [y.kind === 'classification' ? 'probabilities' : 'prediction']: expected },
    1e-5,
    y.kind === 'regression',
  );
  log.info({ maxDifference, validationRows: nVal, k }, 'exported model checked in onnxruntime');
  return {
    model,
    metrics: { ...metrics, train_items: nTrain, fit_seconds: fitSeconds },
    signature: {
      format: 'onnx',
      task,
      algorithm: choice.algorithm,
      target: problem.target,
      ...(y.kind === 'classification' ? { labels: y.labels } : {}),
      inputs: inputs.map((input) => ({
        ...input,
        kind: spec.numeric.some((f) => f.column === input.name) ? 'numeric' : 'categorical',
      })),
      outputs,
      features: spec.names,
      missingValues: 'numeric: NaN (imputed with the training median); categorical: "" (encoded as unknown)',
    },
    plots,
  };
}
