// Dataset: a named, growing collection of labelled items, collected on a schedule from its sources
// into candidate batches and built into versioned snapshots (DESIGN §1).
import { type Static, Type } from '@sinclair/typebox';
import {
  Conditions,
  CronSchedule,
  DNS_LABEL_REGEX,
  DnsLabel,
  ManifestReference,
  ObservedGeneration,
  PostgresConnectionSecret,
  S3Location,
  S3Uri,
  SecretReference,
  SNAPSHOT_VARIANTS,
  SNAPSHOT_VERSION_REGEX,
  s3LocationProperties,
  Timestamp,
  TimeZone,
} from './common.ts';
import { SNAPSHOT_REQUESTED_ANNOTATION } from './group.ts';
import {
  ageColumn,
  conditionColumn,
  objectSchema,
  type Resource,
  type ResourceDefinition,
} from './resource.ts';
import { celString, listMap, listSet, matches, rules, StringEnum, StringMap } from './schema.ts';
import {
  DEFAULT_TRAINING_VARIANT,
  MAX_TRAINING_RUN_NAME_LENGTH,
  TASK_FORMATS,
  TrainingTemplateSpec,
} from './training-run.ts';

export const DATASET_FORMATS = ['imagefolder', 'tabular'] as const;
export { SNAPSHOT_VARIANTS };

/** Longest Dataset name: its CronJobs are named `<dataset>-collect` and `<dataset>-snapshot` (≤ 52). */
export const MAX_DATASET_NAME_LENGTH = 40;

/** Longest training template name: the runs it creates are named `<template>-<snapshot version>`. */
export const MAX_TRAINING_TEMPLATE_NAME_LENGTH = MAX_TRAINING_RUN_NAME_LENGTH - '-YYYYMMDD-HHMMSS'.length;

// Optional rather than defaulted: a default inside a list item (sources[]) would show as a change
// on every client-side apply, which replaces whole lists.
const Verified = Type.Optional(
  Type.Boolean({
    description:
      'True when the labels of items from this source are verified, so that they enter the verified snapshot variant. Omitted: not verified.',
  }),
);

const ColumnName = (description: string) => Type.String({ description, minLength: 1, maxLength: 63 });

export const PostgresSource = Type.Object(
  {
    connectionSecret: PostgresConnectionSecret('Secret with the connection to the database.'),
    query: Type.String({
      description:
        'SQL query that returns the rows of one collection window: $1 is the window start (inclusive) and $2 the window end (exclusive), both timestamptz. Run in a read-only transaction.',
      minLength: 1,
      maxLength: 16384,
      ...rules({
        rule: "self.contains('$1') && self.contains('$2')",
        message:
          'must select one collection window with $1 (window start, inclusive) and $2 (window end, exclusive)',
      }),
    }),
    columns: Type.Object(
      {
        id: ColumnName("Column with the row's stable identifier; an item is collected once per id."),
        label: ColumnName("Column with the item's label (class name for images, target value for rows)."),
        verified: Type.Optional(
          ColumnName('Boolean column: true when a person confirmed the label. Default: no row is verified.'),
        ),
        confidence: Type.Optional(
          ColumnName(
            'Numeric column with the confidence of the label (e.g. a model score), kept as an attribute.',
          ),
        ),
        objectKey: Type.Optional(
          ColumnName(
            'For imagefolder Datasets: column with the object key of the image, relative to images.uri.',
          ),
        ),
        values: Type.Optional(
          Type.Array(ColumnName('A column name.'), {
            description: "For tabular Datasets: the columns that become the row's features, in this order.",
            minItems: 1,
            maxItems: 256,
            ...listSet,
          }),
        ),
      },
      {
        description: 'Which result columns hold what.',
        ...rules({
          rule: 'has(self.objectKey) != has(self.values)',
          message: 'must map exactly one of objectKey (images) or values (table rows)',
        }),
      },
    ),
    images: Type.Optional(
      S3Location('Where the images named by columns.objectKey are stored (required with columns.objectKey).'),
    ),
  },
  {
    description: 'Collect rows from a PostgreSQL query, e.g. predictions a person has reviewed.',
    ...rules(
      {
        rule: '!has(self.columns.objectKey) || has(self.images)',
        message:
          'images (the S3 location the object keys are relative to) is required with columns.objectKey',
        fieldPath: '.images',
        reason: 'FieldValueRequired',
      },
      {
        rule: 'has(self.columns.objectKey) || !has(self.images)',
        message: 'images applies only together with columns.objectKey',
        fieldPath: '.images',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);

export const S3Source = Type.Object(
  { ...s3LocationProperties, verified: Verified },
  {
    description:
      'Collect new objects under an S3 prefix: <label>/<file> for imagefolder Datasets, CSV or JSON lines files for tabular ones.',
  },
);

export const HttpSource = Type.Object(
  {
    urls: Type.Array(
      Type.Object(
        {
          url: Type.String({
            description: 'URL of an image (imagefolder) or of a CSV or JSON lines file (tabular).',
            maxLength: 2048,
            ...rules(matches('^https?://[^\\s]+$', 'must be an http:// or https:// URL')),
          }),
          label: Type.Optional(
            Type.String({
              description: 'Label of the image (required for imagefolder Datasets).',
              maxLength: 253,
            }),
          ),
        },
        { description: 'One URL to collect.' },
      ),
      {
        description: 'The URLs to collect; each is fetched once and stored by its content digest.',
        minItems: 1,
        maxItems: 100,
      },
    ),
    headersSecret: Type.Optional(
      SecretReference('Secret whose keys and values are sent as HTTP headers, e.g. Authorization.'),
    ),
    verified: Verified,
  },
  { description: 'Collect a list of URLs.' },
);

/** Source kinds by field name: a new kind is one entry here (and one collector). */
export const sourceKinds = { postgres: PostgresSource, s3: S3Source, http: HttpSource } as const;
const kindNames = Object.keys(sourceKinds);

export const DatasetSource = Type.Object(
  {
    name: DnsLabel(
      {
        description: 'Name of the source, unique in the Dataset; recorded with every item it contributes.',
        maxLength: 40,
      },
      {
        rule: "self != 'gold'",
        message: 'gold names the curated base data in every manifest and summary; choose another source name',
      },
    ),
    postgres: Type.Optional(sourceKinds.postgres),
    s3: Type.Optional(sourceKinds.s3),
    http: Type.Optional(sourceKinds.http),
  },
  {
    description: `Where new items come from: a name and exactly one of ${kindNames.join(', ')}.`,
    ...rules({
      rule: `${kindNames.map((k) => `(has(self.${k}) ? 1 : 0)`).join(' + ')} == 1`,
      message: `must set exactly one of ${kindNames.join(', ')}`,
    }),
  },
);

export const TrainingTemplate = Type.Object(
  {
    name: DnsLabel({
      description:
        'Name of the template, unique in the Dataset. The run it creates for a snapshot is named <name>-<snapshot version>, e.g. monthly-20250601-010000.',
      maxLength: MAX_TRAINING_TEMPLATE_NAME_LENGTH,
    }),
    variant: Type.Optional(
      StringEnum(SNAPSHOT_VARIANTS, {
        description: `The snapshot variant whose new snapshots create runs, and which they train on: verified (only items whose label was verified) or full (every item); one the Dataset builds (snapshot.variants). Omitted: ${DEFAULT_TRAINING_VARIANT}.`,
      }),
    ),
    spec: TrainingTemplateSpec,
  },
  {
    description:
      'A TrainingRun template: a name, the variant it follows, and the TrainingRun spec without dataset.',
  },
);
export type TrainingTemplate = Static<typeof TrainingTemplate>;

/** A CEL map from each built-in task to the format it trains on. */
const celTaskFormats = `{${Object.entries(TASK_FORMATS)
  .map(([task, format]) => `${celString(task)}: ${celString(format)}`)
  .join(', ')}}`;
const taskFormatsText = DATASET_FORMATS.map(
  (format) =>
    `${Object.entries(TASK_FORMATS)
      .filter(([, f]) => f === format)
      .map(([task]) => task)
      .join(' and ')} on ${format} Datasets`,
).join(', ');

export const DatasetSpec = Type.Object(
  {
    format: StringEnum(DATASET_FORMATS, {
      description:
        'How items look: imagefolder (images with a class label) or tabular (rows of a CSV or JSON lines table). Cannot change.',
      ...rules({
        rule: 'self == oldSelf',
        message: 'is immutable: the snapshots of a Dataset share one format',
      }),
    }),
    gold: Type.Optional(
      S3Location(
        'The curated base data every snapshot starts from: <label>/<file> for imagefolder, CSV or JSON lines files for tabular. Its items count as verified.',
      ),
    ),
    tabular: Type.Optional(
      Type.Object(
        {
          labelColumn: ColumnName('Column that holds the label (target) of each row.'),
          idColumn: Type.Optional(
            ColumnName("Column with a stable row identifier. Default: the digest of the row's content."),
          ),
        },
        { description: 'Table settings, required for format tabular.' },
      ),
    ),
    sources: Type.Optional(
      Type.Array(DatasetSource, {
        description: 'Where new items come from; collected into candidate batches by spec.collection.',
        maxItems: 16,
        ...listMap(['name']),
      }),
    ),
    collection: Type.Optional(
      Type.Object(
        {
          schedule: CronSchedule(
            'Cron schedule of the collection CronJob. Each run collects the window since the previous one; missed windows are caught up and runs never overlap.',
          ),
          timeZone: TimeZone('IANA time zone the schedule is read in.'),
          since: Type.Optional(
            Timestamp('Start of the first collection window. Default: when the Dataset was created.'),
          ),
          suspend: Type.Boolean({
            description: 'Pause collection; windows missed meanwhile are collected when it resumes.',
            default: false,
          }),
        },
        { description: 'When new items are collected from the sources into candidate batches.' },
      ),
    ),
    snapshot: Type.Object(
      {
        schedule: Type.Optional(
          CronSchedule(
            `Cron schedule for building snapshots, e.g. "0 3 1 * *" for the 1st of each month. Without it, snapshots are built only on request: set the annotation ${SNAPSHOT_REQUESTED_ANNOTATION} to a new value.`,
          ),
        ),
        timeZone: TimeZone('IANA time zone the schedule is read in.'),
        variants: Type.Array(StringEnum(SNAPSHOT_VARIANTS, { description: 'A snapshot variant.' }), {
          description:
            'Variants built for each snapshot: verified (gold plus items whose label was verified) and full (gold plus every item).',
          default: ['verified', 'full'],
          minItems: 1,
          maxItems: 2,
          ...listSet,
        }),
      },
      { description: 'When snapshots are built and in which variants.', default: {} },
    ),
    quality: Type.Optional(
      Type.Object(
        {
          minItemsPerLabel: Type.Optional(
            Type.Integer({
              description:
                'Every label must have at least this many items in a snapshot variant (imagefolder Datasets).',
              minimum: 1,
              maximum: 1000000000,
            }),
          ),
          maxClassImbalance: Type.Optional(
            Type.Number({
              description:
                'Largest ratio of the most to the least frequent label in a snapshot variant, e.g. 10 (imagefolder Datasets).',
              minimum: 1,
              maximum: 1000000000,
            }),
          ),
          maxCorruptShare: Type.Optional(
            Type.Number({
              description:
                'Largest share (0 to 1) of the files met while building a snapshot that may be corrupt (not a readable image or table) and left out, e.g. 0.01.',
              minimum: 0,
              maximum: 1,
            }),
          ),
        },
        {
          description:
            'Quality gates, each off unless set. A snapshot variant that fails one is published as rejected (kept for inspection, never latestSnapshot); every snapshot summary carries the findings.',
        },
      ),
    ),
    retention: Type.Object(
      {
        snapshots: Type.Integer({
          description:
            'How many snapshot versions to keep. Older ones are deleted, except those a ModelVersion was trained on.',
          default: 12,
          minimum: 1,
          maximum: 120,
        }),
      },
      { description: 'How much history is kept.', default: {} },
    ),
    training: Type.Optional(
      Type.Array(TrainingTemplate, {
        description:
          'TrainingRun templates: every newly published snapshot of the variant a template names (one not rejected by spec.quality) creates one TrainingRun from it, named <template>-<snapshot version> and labelled with the Dataset and the snapshot. This retrains a model on each new snapshot without anyone applying an object. Idempotent: a snapshot never creates a second run of one template.',
        maxItems: 8,
        ...listMap(['name']),
      }),
    ),
  },
  {
    description: 'The desired state of the Dataset.',
    ...rules(
      {
        rule: "self.format != 'tabular' || has(self.tabular)",
        message: "format tabular needs tabular.labelColumn: the column that holds each row's label",
        fieldPath: '.tabular',
        reason: 'FieldValueRequired',
      },
      {
        rule: "self.format == 'tabular' || !has(self.tabular)",
        message: 'tabular applies only to format tabular',
        fieldPath: '.tabular',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.format != 'imagefolder' || !has(self.sources) || self.sources.all(s, !has(s.postgres) || has(s.postgres.columns.objectKey))",
        message:
          'a postgres source of an imagefolder Dataset must map columns.objectKey, the object key of each image',
        fieldPath: '.sources',
      },
      {
        rule: "self.format != 'tabular' || !has(self.sources) || self.sources.all(s, !has(s.postgres) || has(s.postgres.columns.values))",
        message: 'a postgres source of a tabular Dataset must map columns.values, the columns of each row',
        fieldPath: '.sources',
      },
      {
        rule: "self.format != 'tabular' || !has(self.quality) || (!has(self.quality.minItemsPerLabel) && !has(self.quality.maxClassImbalance))",
        message:
          'quality.minItemsPerLabel and quality.maxClassImbalance apply to imagefolder Datasets: a tabular item is a file of rows, whose labels a snapshot does not read',
        fieldPath: '.quality',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.format != 'imagefolder' || !has(self.sources) || self.sources.all(s, !has(s.http) || s.http.urls.all(u, has(u.label)))",
        message: 'every http URL of an imagefolder Dataset needs a label',
        fieldPath: '.sources',
      },
      {
        rule: `!has(self.training) || self.training.all(t, !has(t.spec.trainer.builtin) || ${celTaskFormats}[t.spec.trainer.builtin.task] == self.format)`,
        message: `the built-in task of a training template must fit the Dataset's format: ${taskFormatsText}`,
        fieldPath: '.training',
      },
      {
        rule: `!has(self.training) || self.training.all(t, (has(t.variant) ? t.variant : ${celString(DEFAULT_TRAINING_VARIANT)}) in self.snapshot.variants)`,
        message: `a training template must follow a variant the Dataset builds (snapshot.variants), and one without variant follows ${DEFAULT_TRAINING_VARIANT}`,
        fieldPath: '.training',
      },
    ),
  },
);
export type DatasetSpec = Static<typeof DatasetSpec>;

const SnapshotVersion = (description: string) =>
  Type.String({
    description,
    maxLength: 15,
    ...rules(matches(SNAPSHOT_VERSION_REGEX, 'must be a snapshot version: YYYYMMDD-HHMMSS (UTC)')),
  });

export const SnapshotStatus = Type.Object(
  {
    version: SnapshotVersion('Version of the snapshot: the UTC time it stands for, YYYYMMDD-HHMMSS.'),
    variant: StringEnum(SNAPSHOT_VARIANTS, { description: 'Which items it holds: verified or full.' }),
    items: Type.Integer({ description: 'Number of items.', minimum: 0 }),
    labels: Type.Optional(
      StringMap(Type.Integer({ description: 'Number of items with this label.', minimum: 0 }), {
        description: 'Number of items per label (for tabular regression: omitted).',
        maxProperties: 10000,
      }),
    ),
    manifest: ManifestReference("The snapshot's manifest: every item with its path, digest and label."),
    summary: Type.Optional(S3Uri('S3 URI of the human-readable summary (counts, labels, sha256, parents).')),
    createdAt: Timestamp('When the snapshot was published.'),
    rejected: Type.Optional(
      Type.Boolean({
        description:
          'True when the variant failed a quality gate (spec.quality) or holds no item: kept for inspection, never latestSnapshot.',
      }),
    ),
    reasons: Type.Optional(
      Type.Array(Type.String({ description: 'One gate the variant failed.', maxLength: 512 }), {
        description: 'Why the variant is rejected, one sentence per gate failed (the summary has them all).',
        maxItems: 8,
      }),
    ),
    retainedBy: Type.Optional(
      Type.Array(Type.String({ description: 'Name of a ModelVersion.', maxLength: 253 }), {
        description:
          'ModelVersions of this namespace trained on this snapshot: it is kept past spec.retention while any of them exists.',
        maxItems: 16,
      }),
    ),
  },
  { description: 'One variant of one snapshot.' },
);

export const DatasetStatus = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(
      Conditions('Ready: the Dataset is collecting and snapshotting as specified. Summary conditions first.'),
    ),
    lastCollection: Type.Optional(
      Type.Object(
        {
          window: Type.Object(
            {
              start: Timestamp('Start of the window (inclusive).'),
              end: Timestamp('End of the window (exclusive).'),
            },
            { description: 'The time window collected: the identity of the batch.' },
          ),
          items: Type.Integer({ description: 'New items collected in the window.', minimum: 0 }),
          job: Type.Optional(
            Type.String({ description: 'Name of the Job that collected it.', maxLength: 63 }),
          ),
          batch: Type.Optional(
            ManifestReference('The candidate batch manifest (absent when the window was empty).'),
          ),
          completionTime: Timestamp('When the collection finished.'),
        },
        { description: 'The most recent completed collection.' },
      ),
    ),
    latestSnapshot: Type.Optional(
      Type.Object(
        {
          version: SnapshotVersion('Version of the newest snapshot.'),
          items: Type.Integer({
            description: 'Items in its full variant (or verified, when only that is built).',
            minimum: 0,
          }),
          verifiedItems: Type.Optional(
            Type.Integer({ description: 'Items in its verified variant.', minimum: 0 }),
          ),
          createdAt: Timestamp('When it was published.'),
        },
        { description: 'The newest snapshot: what a TrainingRun with snapshot latest trains on.' },
      ),
    ),
    snapshots: Type.Optional(
      Type.Array(SnapshotStatus, {
        description: 'The snapshots kept (spec.retention), newest first, one entry per version and variant.',
        maxItems: 256,
      }),
    ),
    training: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ description: 'Name of the training template.', maxLength: 63 }),
            snapshot: Type.String({
              description: 'The snapshot version it last created a TrainingRun for.',
              maxLength: 15,
            }),
            trainingRun: Type.String({ description: 'Name of that TrainingRun.', maxLength: 253 }),
          },
          { description: 'What one training template last did.' },
        ),
        {
          description: 'Per spec.training template: the last snapshot it created a TrainingRun for.',
          maxItems: 8,
        },
      ),
    ),
    observedSnapshotRequest: Type.Optional(
      Type.String({
        description: `The value of the ${SNAPSHOT_REQUESTED_ANNOTATION} annotation last acted on.`,
        maxLength: 256,
      }),
    ),
  },
  { description: 'The observed state of the Dataset, written by the operator.' },
);
export type DatasetStatus = Static<typeof DatasetStatus>;
export type SnapshotStatus = Static<typeof SnapshotStatus>;

export type Dataset = Resource<'Dataset', DatasetSpec, DatasetStatus>;

export const datasetDefinition: ResourceDefinition = {
  kind: 'Dataset',
  plural: 'datasets',
  singular: 'dataset',
  shortNames: ['bds'],
  schema: objectSchema({
    description: `A named, growing collection of labelled items (images in class folders, or table rows). New items are collected on a schedule from its sources into candidate batches; snapshots (gold plus batches, in a verified and a full variant) are built on a schedule or when the annotation ${SNAPSHOT_REQUESTED_ANNOTATION} gets a new value.`,
    spec: DatasetSpec,
    status: DatasetStatus,
    name: {
      maxLength: MAX_DATASET_NAME_LENGTH,
      rules: [
        matches(
          DNS_LABEL_REGEX,
          'a Dataset name must be a DNS label (lowercase letters, digits and "-"; no dots), as it names CronJobs and Jobs',
        ),
      ],
    },
  }),
  printerColumns: [
    { name: 'Format', type: 'string', jsonPath: '.spec.format', description: 'imagefolder or tabular.' },
    {
      name: 'Latest',
      type: 'string',
      jsonPath: '.status.latestSnapshot.version',
      description: 'Version of the newest snapshot.',
    },
    { name: 'Items', type: 'integer', jsonPath: '.status.latestSnapshot.items', description: 'Items in it.' },
    {
      name: 'Verified',
      type: 'integer',
      jsonPath: '.status.latestSnapshot.verifiedItems',
      description: 'Items with a verified label in it.',
      priority: 1,
    },
    {
      name: 'Last Collection',
      type: 'date',
      jsonPath: '.status.lastCollection.completionTime',
      description: 'When the last collection finished.',
    },
    conditionColumn('Ready', 'Ready', 'Whether the Dataset is collecting and snapshotting as specified.'),
    ageColumn,
  ],
};
