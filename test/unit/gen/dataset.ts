// Builders of Datasets for unit tests (as the API server returns them, defaults filled in): a valid
// object with modifiers, so a test states only what matters to it.
import type { Static } from '@sinclair/typebox';
import type { S3Location } from '../../../operator/api/common.ts';
import type { Dataset, DatasetSource, HttpSource, PostgresSource } from '../../../operator/api/dataset.ts';
import type { Modifier } from './model-version.ts';

export type Source = Static<typeof DatasetSource>;

/** An imagefolder Dataset in namespace team-a with no gold, no source and no schedule. */
export function aDataset(name: string, ...mods: Modifier<Dataset>[]): Dataset {
  const dataset: Dataset = {
    apiVersion: 'bosun.dev/v1alpha1',
    kind: 'Dataset',
    metadata: {
      name,
      namespace: 'team-a',
      uid: `uid-${name}`,
      generation: 1,
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z' as never,
    },
    spec: {
      format: 'imagefolder',
      snapshot: { timeZone: 'Etc/UTC', variants: ['verified', 'full'] },
      retention: { snapshots: 12 },
    },
  };
  for (const mod of mods) mod(dataset);
  return dataset;
}

export const inNamespace =
  (namespace: string): Modifier<Dataset> =>
  (dataset) => {
    dataset.metadata.namespace = namespace;
  };

/** Format tabular, with the label column it needs. */
export const tabular =
  (labelColumn = 'label'): Modifier<Dataset> =>
  (dataset) => {
    dataset.spec.format = 'tabular';
    dataset.spec.tabular = { labelColumn };
  };

export const withGold =
  (uri: string, extra: Omit<S3Location, 'uri'> = {}): Modifier<Dataset> =>
  (dataset) => {
    dataset.spec.gold = { uri, ...extra };
  };

/** Appends sources, in order. */
export const withSources =
  (...sources: Source[]): Modifier<Dataset> =>
  (dataset) => {
    dataset.spec.sources = [...(dataset.spec.sources ?? []), ...sources];
  };

export const withCollection =
  (schedule: string, timeZone = 'Etc/UTC'): Modifier<Dataset> =>
  (dataset) => {
    dataset.spec.collection = { schedule, timeZone, suspend: false };
  };

export const withSnapshotSchedule =
  (schedule: string | undefined, timeZone = 'Etc/UTC'): Modifier<Dataset> =>
  (dataset) => {
    const { variants } = dataset.spec.snapshot;
    dataset.spec.snapshot =
      schedule === undefined ? { timeZone, variants } : { schedule, timeZone, variants };
  };

/** A postgres source of images logged by the inference server (keys relative to the bucket root). */
export function aPostgresSource(
  name: string,
  change: (postgres: Static<typeof PostgresSource>) => void = () => {},
): Source {
  const postgres: Static<typeof PostgresSource> = {
    connectionSecret: { name: `${name}-db` },
    query: 'SELECT id, label, object_key FROM predictions WHERE created_at >= $1 AND created_at < $2',
    columns: { id: 'id', label: 'label', objectKey: 'object_key' },
    images: { uri: 's3://bosun/' },
  };
  change(postgres);
  return { name, postgres };
}

/** A postgres source of table rows (for a tabular Dataset). */
export function aRowsSource(name: string): Source {
  return aPostgresSource(name, (postgres) => {
    postgres.columns = { id: 'id', label: 'label', values: ['a', 'b'] };
    delete postgres.images;
  });
}

export function anS3Source(name: string, uri: string, extra: Omit<S3Location, 'uri'> = {}): Source {
  return { name, s3: { uri, ...extra } };
}

export function anHttpSource(name: string, ...urls: Static<typeof HttpSource>['urls']): Source {
  return { name, http: { urls } };
}
