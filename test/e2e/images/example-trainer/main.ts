// An example custom trainer for Bosun's TrainingRun (spec.trainer.container), written against the
// workload contract alone (docs/workload-contract.md) and a plain S3 client: no Bosun code.
//
//   node main.ts [--hyperparameters '{"target":"species"}']
//
// It reads a tabular Dataset snapshot (the manifest and each item's blob, every digest checked),
// fits a nearest-centroid classifier on the numeric columns, and writes model.onnx, signature.json
// and metrics.json under BOSUN_OUTPUT_PREFIX. Exit codes: 0 when every output is written, 1 for a
// problem the user can fix (`<Reason>: <message>` in the termination log), 2 for anything else.
import { writeFileSync } from 'node:fs';
import { accuracy, type CentroidModel, fitCentroids } from './classifier.ts';
import { readConfig } from './config.ts';
import { UserError } from './errors.ts';
import { log } from './log.ts';
import { encodeModel } from './onnx.ts';
import { parseRows, type Row } from './rows.ts';
import { type OutputFile, Store } from './store.ts';

/** Kubernetes shows this file as the container's termination message (the run's JobFailed message). */
function terminationMessage(text: string): void {
  try {
    // BOSUN_TERMINATION_LOG lets tests run the program outside a Pod.
    writeFileSync(process.env.BOSUN_TERMINATION_LOG ?? '/dev/termination-log', text);
  } catch {
    // Outside Kubernetes there is no termination log; stderr says the same.
  }
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** What a server needs to call the model, in the shape the built-in trainers write. */
function signature(model: CentroidModel): Record<string, unknown> {
  return {
    format: 'onnx',
    task: 'tabular-classification',
    algorithm: 'nearest-centroid',
    target: model.target,
    labels: model.labels,
    inputs: model.features.map((name) => ({ name, type: 'float', shape: ['N', 1], kind: 'numeric' })),
    outputs: [
      { name: 'probabilities', type: 'float', shape: ['N', model.labels.length] },
      { name: 'label', type: 'string', shape: ['N'] },
    ],
    features: model.features,
    missingValues: 'numeric: NaN (imputed with the training mean)',
  };
}

async function train(): Promise<void> {
  const started = performance.now();
  const config = readConfig(process.env, process.argv.slice(2));
  const store = new Store(config.store, config.bucket);
  const { hyperparameters } = config;

  const manifest = await store.readManifest(config.manifestKey, config.manifestSha256);
  log('info', 'manifest read', { items: manifest.items.length, sha256: manifest.sha256 });
  if (manifest.items.length === 0) throw new UserError('DatasetInvalid', 'the input manifest lists no items');

  const rows: Row[] = [];
  const reading = performance.now();
  for (const [i, item] of manifest.items.entries()) {
    rows.push(...parseRows(item.path, await store.readBlob(config.namespace, item)));
    const seconds = (performance.now() - reading) / 1000;
    log('info', 'reading', {
      item: i + 1,
      items: manifest.items.length,
      rows: rows.length,
      rowsPerSecond: Math.round(rows.length / Math.max(seconds, 1e-3)),
    });
  }

  const model = fitCentroids(rows, hyperparameters.target, hyperparameters.features);
  const result = accuracy(model, rows);
  log('info', 'training', {
    iteration: 1,
    features: model.features.length,
    classes: model.labels.length,
    accuracy: result.accuracy,
  });

  const metrics = { accuracy: result.accuracy, train_items: result.rows, classes: model.labels.length };
  // Everything is prepared before the first upload; metrics.json goes last.
  const outputs: OutputFile[] = [
    { name: 'model.onnx', body: encodeModel(model), contentType: 'application/octet-stream' },
    { name: 'signature.json', body: json(signature(model)), contentType: 'application/json' },
    { name: 'metrics.json', body: json(metrics), contentType: 'application/json' },
  ];
  await store.createOutputs(config.outputPrefix, outputs);
  log('info', 'done', { ...metrics, seconds: (performance.now() - started) / 1000 });
}

try {
  await train();
} catch (e) {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof UserError) {
    log('error', message, { reason: e.reason });
    process.stderr.write(`error: ${message}\n`);
    terminationMessage(`${e.reason}: ${message}`);
    process.exitCode = 1;
  } else {
    // Not the user's doing (the store unreachable, a bug): the stack goes to the log for whoever fixes it.
    log('error', message, { reason: 'InternalError', stack: e instanceof Error ? e.stack : undefined });
    process.stderr.write(`error: training failed: ${message}\n`);
    terminationMessage(`InternalError: ${message}`);
    process.exitCode = 2;
  }
}
