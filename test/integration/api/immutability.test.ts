// Immutable fields are enforced by the API server with CEL transition rules; the fields meant to
// change (a ModelVersion's stage, metadata, status) still can.
import { describe, expect, it } from 'vitest';
import { rejection } from '../clients.ts';
import { type BosunObject, create, read, replace, replaceStatus, useNamespace } from './cluster.ts';
import { changed, dataset, digest, modelVersion, trainingRun } from './minimal-objects.ts';

const namespace = useNamespace('api-immutable');

/** Creates the object and returns a function that tries an update of the stored copy. */
async function stored(object: BosunObject) {
  await create(namespace.name, object);
  const update = async (change: Parameters<typeof changed>[1]) =>
    replace(namespace.name, changed(await read(namespace.name, object.kind, object.metadata.name), change));
  return update;
}

describe('a ModelVersion', () => {
  it('keeps its model, version and artifact', async () => {
    const update = await stored(modelVersion('fixed', 1));
    expect((await rejection(update((o) => (o.spec.model = 'other')))).message).toContain(
      'spec.model: Invalid value: "string": is immutable: register a new ModelVersion instead',
    );
    expect((await rejection(update((o) => (o.spec.version = 2)))).message).toContain(
      'spec.version: Invalid value: "integer": is immutable: register a new ModelVersion instead',
    );
    const { code, message } = await rejection(update((o) => (o.spec.artifact.sha256 = 'b'.repeat(64))));
    expect(code).toBe(422);
    expect(message).toContain(
      'spec.artifact: Invalid value: "object": is immutable: a ModelVersion always means the same bytes; register a new version instead',
    );
    expect(
      (await rejection(update((o) => (o.spec.artifact.uri = 's3://bosun/elsewhere.onnx')))).message,
    ).toContain('spec.artifact: Invalid value: "object": is immutable');
  });

  it('keeps its lineage: it cannot be rewritten, added or removed', async () => {
    const withSource = changed(modelVersion('lineage', 1), (o) => {
      o.spec.source = {
        trainingRun: 'lineage-1',
        dataset: { name: 'pets', snapshot: '20250601-000000', variant: 'verified', manifestSha256: digest },
      };
    });
    const update = await stored(withSource);
    expect((await rejection(update((o) => (o.spec.source.trainingRun = 'other')))).message).toContain(
      'spec.source: Invalid value: "object": is immutable: the lineage of a version cannot be rewritten',
    );
    expect((await rejection(update((o) => delete o.spec.source))).message).toContain(
      'spec.source: Invalid value: "object": is immutable: the lineage of a version cannot be added or removed later',
    );
    const updateBare = await stored(modelVersion('lineage', 2));
    expect(
      (await rejection(updateBare((o) => (o.spec.source = { description: 'trained elsewhere' })))).message,
    ).toContain(
      'spec.source: Invalid value: "object": is immutable: the lineage of a version cannot be added or removed later',
    );
  });

  it('changes stage (a promotion) and deletion policy', async () => {
    const update = await stored(modelVersion('promoted', 1));
    const promoted = await update((o) => {
      o.spec.stage = 'production';
      o.spec.deletionPolicy = 'Delete';
    });
    expect(promoted.spec).toMatchObject({ stage: 'production', deletionPolicy: 'Delete' });
  });
});

describe('a TrainingRun', () => {
  it('has an immutable spec: it runs once', async () => {
    const update = await stored(trainingRun('once'));
    for (const change of [
      (o: BosunObject & { spec: { backoffLimit: number } }) => (o.spec.backoffLimit = 3),
      (o: BosunObject & { spec: { dataset: { snapshot: string } } }) =>
        (o.spec.dataset.snapshot = '20250601-000000'),
      (o: BosunObject) => (o.spec.promotion = { metric: 'accuracy', stage: 'production' }),
    ]) {
      const { code, message } = await rejection(update(change as Parameters<typeof changed>[1]));
      expect(code).toBe(422);
      expect(message).toContain(
        'spec: Invalid value: "object": is immutable: a TrainingRun runs once; create a new TrainingRun to train again',
      );
    }
  });

  it('still takes new labels, and status through the status subresource', async () => {
    const update = await stored(trainingRun('labelled'));
    const labelled = await update((o) => (o.metadata.labels = { team: 'vision' }));
    expect(labelled.metadata.labels).toEqual({ team: 'vision' });
    const withStatus = changed(labelled, (o) => {
      o.status = {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Succeeded',
            status: 'Unknown',
            reason: 'Running',
            message: 'training',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      };
    });
    const written = await replaceStatus(namespace.name, withStatus);
    expect(written.status).toMatchObject({ conditions: [{ type: 'Succeeded', reason: 'Running' }] });
    expect(written.metadata.generation).toBe(1);
  });
});

describe('a Dataset', () => {
  it('keeps its format but takes a new schedule', async () => {
    const update = await stored(dataset('kept'));
    expect(
      (
        await rejection(
          update((o) => Object.assign(o.spec, { format: 'tabular', tabular: { labelColumn: 'y' } })),
        )
      ).message,
    ).toContain(
      'spec.format: Invalid value: "string": is immutable: the snapshots of a Dataset share one format',
    );
    const rescheduled = await update(
      (o) => (o.spec.collection = { schedule: '0 4 * * *', timeZone: 'Europe/Berlin' }),
    );
    expect(rescheduled.spec).toMatchObject({
      collection: { schedule: '0 4 * * *', timeZone: 'Europe/Berlin' },
    });
  });
});
