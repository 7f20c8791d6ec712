// One training run: read the pinned manifest, fetch and check every item, train the requested
// built-in algorithm, and publish the outputs only when all of them are ready.
import type { BuiltinTrainerConfig } from '../../lib/contract/env.ts';
import { UserError } from '../../lib/contract/errors.ts';
import { ArtifactStore } from '../../lib/store/client.ts';
import type { ManifestItem } from '../../lib/store/manifest.ts';
import { downloadItems } from './data/download.ts';
import { trainImages } from './image-trainer.ts';
import type { Logger } from './log.ts';
import { publishResult } from './outputs.ts';
import { TABULAR_ALGORITHMS, type TabularTask, trainTabular } from './tabular-trainer.ts';

export const TASKS = ['tabular-classification', 'tabular-regression', 'image-classification'] as const;

export async function runTraining(config: BuiltinTrainerConfig, log: Logger): Promise<string[]> {
  if (!(TASKS as readonly string[]).includes(config.task))
    throw new UserError('TaskUnknown', `unknown task "${config.task}"; choose one of ${TASKS.join(', ')}`);
  const store = new ArtifactStore(config.store);
  // Every key below comes from the namespace and the keys parseWorkloadConfig checked against it.
  const manifestKey = store.keyOf(config.inputManifest);
  const items: ManifestItem[] = [];
  // Only collected: the manifest's digest is checked after its last item, and nothing is fetched
  // or trained before that.
  for await (const item of store.readManifest(manifestKey, config.inputManifestSha256)) items.push(item);
  log.info(
    { manifest: `s3://${config.inputManifest.bucket}/${manifestKey}`, items: items.length },
    'manifest read',
  );
  if (items.length === 0) throw new UserError('DatasetEmpty', 'the input manifest lists no items');

  let result: Awaited<ReturnType<typeof trainTabular>>;
  if (config.task === 'image-classification') {
    if (config.algorithm !== 'cnn')
      throw new UserError(
        'AlgorithmUnknown',
        `unknown algorithm "${config.algorithm}" for image-classification; choose cnn`,
      );
    result = await trainImages(
      items,
      await downloadItems(store, config.namespace, items, log),
      config.hyperparameters,
      log,
    );
  } else {
    const task = config.task as TabularTask;
    if (!(TABULAR_ALGORITHMS[task] as readonly string[]).includes(config.algorithm))
      throw new UserError(
        'AlgorithmUnknown',
        `unknown algorithm "${config.algorithm}" for ${task}; choose one of ${TABULAR_ALGORITHMS[task].join(', ')}`,
      );
    const data = await downloadItems(store, config.namespace, items, log);
    result = await trainTabular(
      task,
      config.algorithm,
      items.map((item, i) => ({ path: item.path, data: data[i] as Buffer })),
      config.hyperparameters,
      log,
    );
  }
  const keys = await publishResult(store, config.outputPrefix.key, result);
  log.info(
    {
      outputs: keys.length,
      prefix: `s3://${config.outputPrefix.bucket}/${config.outputPrefix.key}`,
      metrics: result.metrics,
    },
    'published',
  );
  return keys;
}
