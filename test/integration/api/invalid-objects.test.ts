// The API server itself rejects invalid objects, each with a message that says what is wrong.
// Every case is one change to a valid object, created with a server-side dry run.
import { describe, expect, it } from 'vitest';
import { rejection } from '../clients.ts';
import { type BosunObject, create, useNamespace } from './cluster.ts';
import { changed, dataset, digest, inferenceService, modelVersion, trainingRun } from './minimal-objects.ts';

const namespace = useNamespace('api-invalid');

const postgresSource = () => ({
  name: 'feedback',
  postgres: {
    connectionSecret: { name: 'db' },
    query: 'SELECT * FROM p WHERE t >= $1 AND t < $2',
    columns: { id: 'id', label: 'label', objectKey: 'key' },
    images: { uri: 's3://bosun/inputs/' },
  },
});

const cases: [title: string, object: BosunObject, message: string][] = [
  // Dataset
  [
    'a Dataset without format',
    changed(dataset(), (o) => delete o.spec.format),
    'spec.format: Required value',
  ],
  [
    'an unknown format',
    changed(dataset(), (o) => (o.spec.format = 'csv')),
    'spec.format: Unsupported value: "csv": supported values: "imagefolder", "tabular"',
  ],
  [
    'a Dataset name with a dot',
    dataset('pets.v2'),
    'metadata.name: Invalid value: "string": a Dataset name must be a DNS label',
  ],
  [
    'a Dataset name over 40 characters',
    dataset('p'.repeat(41)),
    'metadata.name: Too long: may not be more than 40',
  ],
  [
    'a tabular Dataset without its label column',
    changed(dataset(), (o) => (o.spec.format = 'tabular')),
    'spec.tabular: Required value: format tabular needs tabular.labelColumn',
  ],
  [
    'table settings on an image Dataset',
    changed(dataset(), (o) => (o.spec.tabular = { labelColumn: 'species' })),
    'spec.tabular: Forbidden: tabular applies only to format tabular',
  ],
  [
    'a gold location that is not an S3 URI',
    changed(dataset(), (o) => (o.spec.gold = { uri: 'https://example.com/gold/' })),
    'spec.gold.uri: Invalid value: "string": must be an S3 URI such as s3://bucket/path/',
  ],
  [
    'a gold location that climbs out of its prefix',
    changed(dataset(), (o) => (o.spec.gold = { uri: 's3://bosun/gold/../secrets/' })),
    'spec.gold.uri: Invalid value: "string": must not contain "." or ".." path segments',
  ],
  [
    'a source of two kinds',
    changed(
      dataset(),
      (o) => (o.spec.sources = [{ name: 'a', s3: { uri: 's3://b/x/' }, http: { urls: [] } }]),
    ),
    'spec.sources[0]: Invalid value: "object": must set exactly one of postgres, s3, http',
  ],
  [
    'a source of no kind',
    changed(dataset(), (o) => (o.spec.sources = [{ name: 'a' }])),
    'spec.sources[0]: Invalid value: "object": must set exactly one of postgres, s3, http',
  ],
  [
    'two sources with one name',
    changed(dataset(), (o) => (o.spec.sources = [postgresSource(), postgresSource()])),
    'spec.sources[1]: Duplicate value',
  ],
  [
    'a query that ignores the collection window',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      o.spec.sources[0].postgres.query = 'SELECT * FROM p';
    }),
    'spec.sources[0].postgres.query: Invalid value: "string": must select one collection window with $1 (window start, inclusive) and $2 (window end, exclusive)',
  ],
  [
    'a postgres source that does not say which column holds the label',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      delete o.spec.sources[0].postgres.columns.label;
    }),
    'spec.sources[0].postgres.columns.label: Required value',
  ],
  [
    'columns mapping both images and row values',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      o.spec.sources[0].postgres.columns.values = ['a'];
    }),
    'spec.sources[0].postgres.columns: Invalid value: "object": must map exactly one of objectKey (images) or values (table rows)',
  ],
  [
    'image keys without the location they are relative to',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      delete o.spec.sources[0].postgres.images;
    }),
    'spec.sources[0].postgres.images: Required value: images (the S3 location the object keys are relative to) is required with columns.objectKey',
  ],
  [
    'an image Dataset whose postgres source maps row values',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      o.spec.sources[0].postgres.columns = { id: 'id', label: 'label', values: ['a', 'b'] };
      delete o.spec.sources[0].postgres.images;
    }),
    'spec.sources: Invalid value: "object": a postgres source of an imagefolder Dataset must map columns.objectKey',
  ],
  [
    'a URL that is not http',
    changed(
      dataset(),
      (o) => (o.spec.sources = [{ name: 'web', http: { urls: [{ url: 'ftp://x/a.jpg', label: 'cat' }] } }]),
    ),
    'spec.sources[0].http.urls[0].url: Invalid value: "string": must be an http:// or https:// URL',
  ],
  [
    'an image URL without a label',
    changed(
      dataset(),
      (o) => (o.spec.sources = [{ name: 'web', http: { urls: [{ url: 'https://x/a.jpg' }] } }]),
    ),
    'spec.sources: Invalid value: "object": every http URL of an imagefolder Dataset needs a label',
  ],
  [
    'a password written into the source',
    changed(
      dataset(),
      (o) => (o.spec.sources = [{ name: 'lab', s3: { uri: 's3://lab/x/', secretAccessKey: 'hunter2' } }]),
    ),
    'unknown field "spec.sources[0].s3.secretAccessKey"',
  ],
  [
    'a time zone inside the cron schedule',
    changed(dataset(), (o) => (o.spec.collection = { schedule: 'CRON_TZ=Europe/Berlin 0 2 * * *' })),
    'spec.collection.schedule: Invalid value: "string": must not set a time zone (CRON_TZ or TZ); set timeZone instead',
  ],
  [
    'a schedule that is not cron',
    changed(dataset(), (o) => (o.spec.collection = { schedule: 'every night' })),
    'spec.collection.schedule: Invalid value: "string": must be a cron schedule of five fields (minute hour day-of-month month day-of-week)',
  ],
  [
    'a time zone that is not an IANA name',
    changed(dataset(), (o) => (o.spec.snapshot = { schedule: '@monthly', timeZone: 'Berlin time' })),
    'spec.snapshot.timeZone: Invalid value: "string": must be an IANA time zone name, e.g. Etc/UTC or Europe/Berlin',
  ],
  [
    'keeping no snapshot',
    changed(dataset(), (o) => (o.spec.retention = { snapshots: 0 })),
    'spec.retention.snapshots: Invalid value: 0: spec.retention.snapshots in body should be greater than or equal to 1',
  ],
  [
    'a snapshot variant twice',
    changed(dataset(), (o) => (o.spec.snapshot = { variants: ['full', 'full'] })),
    'spec.snapshot.variants[1]: Duplicate value: "full"',
  ],
  [
    'a corrupt share above 1',
    changed(dataset(), (o) => (o.spec.quality = { maxCorruptShare: 1.5 })),
    'spec.quality.maxCorruptShare: Invalid value: 1.5: spec.quality.maxCorruptShare in body should be less than or equal to 1',
  ],
  [
    'a negative corrupt share',
    changed(dataset(), (o) => (o.spec.quality = { maxCorruptShare: -0.1 })),
    'spec.quality.maxCorruptShare: Invalid value: -0.1: spec.quality.maxCorruptShare in body should be greater than or equal to 0',
  ],
  [
    'a class imbalance below 1 (largest over smallest label count)',
    changed(dataset(), (o) => (o.spec.quality = { maxClassImbalance: 0.5 })),
    'spec.quality.maxClassImbalance: Invalid value: 0.5: spec.quality.maxClassImbalance in body should be greater than or equal to 1',
  ],
  [
    'no item per label as the minimum',
    changed(dataset(), (o) => (o.spec.quality = { minItemsPerLabel: 0 })),
    'spec.quality.minItemsPerLabel: Invalid value: 0: spec.quality.minItemsPerLabel in body should be greater than or equal to 1',
  ],
  [
    'label gates on a tabular Dataset',
    changed(dataset(), (o) => {
      o.spec.format = 'tabular';
      o.spec.tabular = { labelColumn: 'species' };
      o.spec.quality = { minItemsPerLabel: 10 };
    }),
    'spec.quality: Forbidden: quality.minItemsPerLabel and quality.maxClassImbalance apply to imagefolder Datasets',
  ],
  [
    'a source named gold',
    changed(dataset(), (o) => (o.spec.sources = [{ ...postgresSource(), name: 'gold' }])),
    'spec.sources[0].name: Invalid value: "string": gold names the curated base data in every manifest and summary',
  ],
  [
    'a Secret name that is not an object name',
    changed(dataset(), (o) => {
      o.spec.sources = [postgresSource()];
      o.spec.sources[0].postgres.connectionSecret.name = 'Feedback_DB';
    }),
    'spec.sources[0].postgres.connectionSecret.name: Invalid value: "string": must be a Kubernetes object name',
  ],
  // TrainingRun
  [
    'a trainer that is both built-in and a container',
    changed(trainingRun(), (o) => (o.spec.trainer.container = { image: 'example.com/train:1' })),
    'spec.trainer: Invalid value: "object": must set exactly one of builtin or container',
  ],
  [
    'no trainer at all',
    changed(trainingRun(), (o) => (o.spec.trainer = {})),
    'spec.trainer: Invalid value: "object": must set exactly one of builtin or container',
  ],
  [
    'an unknown task',
    changed(trainingRun(), (o) => (o.spec.trainer.builtin.task = 'object-detection')),
    'spec.trainer.builtin.task: Unsupported value: "object-detection": supported values: "tabular-classification", "tabular-regression", "image-classification"',
  ],
  [
    'a snapshot that is neither latest nor a version',
    changed(trainingRun(), (o) => (o.spec.dataset.snapshot = 'yesterday')),
    'spec.dataset.snapshot: Invalid value: "string": must be latest or a snapshot version such as 20250601-000000',
  ],
  [
    'an unknown snapshot variant',
    changed(trainingRun(), (o) => (o.spec.dataset.variant = 'all')),
    'spec.dataset.variant: Unsupported value: "all": supported values: "verified", "full"',
  ],
  [
    'a model name with capitals',
    changed(trainingRun(), (o) => (o.spec.model.name = 'Pets')),
    'spec.model.name: Invalid value: "string": must consist of lowercase letters, digits and "-"',
  ],
  [
    'a model name over 50 characters',
    changed(trainingRun(), (o) => (o.spec.model.name = 'm'.repeat(51))),
    'spec.model.name: Too long: may not be more than 50',
  ],
  [
    'a request above its limit',
    changed(
      trainingRun(),
      (o) => (o.spec.resources = { requests: { memory: '8Gi' }, limits: { memory: '4Gi' } }),
    ),
    'spec.resources: Invalid value: "object": a request must not exceed the limit for the same resource',
  ],
  [
    'a quantity that is not one',
    changed(trainingRun(), (o) => (o.spec.resources = { requests: { memory: '4 GB' } })),
    'spec.resources.requests[memory]: Invalid value: "": must be a quantity, e.g. 2, 500m, 512Mi or 4Gi',
  ],
  [
    'an environment variable named like the ones the operator sets',
    changed(trainingRun(), (o) => {
      o.spec.trainer = {
        container: { image: 'example.com/train:1', env: [{ name: 'BOSUN_OUTPUT_PREFIX', value: 'x' }] },
      };
    }),
    'spec.trainer.container.env[0].name: Invalid value: "string": names starting with BOSUN_ are reserved for the variables the operator sets',
  ],
  [
    'an environment variable with a value and a source',
    changed(trainingRun(), (o) => {
      o.spec.trainer = {
        container: {
          image: 'example.com/train:1',
          env: [{ name: 'TOKEN', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        },
      };
    }),
    'spec.trainer.container.env[0]: Invalid value: "object": set value or valueFrom, not both',
  ],
  [
    'an image reference with a space',
    changed(trainingRun(), (o) => (o.spec.trainer = { container: { image: 'example.com/train: 1' } })),
    'spec.trainer.container.image: Invalid value: "string": must be a container image reference without spaces',
  ],
  [
    'too many retries',
    changed(trainingRun(), (o) => (o.spec.backoffLimit = 11)),
    'spec.backoffLimit: Invalid value: 11: spec.backoffLimit in body should be less than or equal to 10',
  ],
  [
    'a promotion without a stage',
    changed(trainingRun(), (o) => (o.spec.promotion = { metric: 'accuracy' })),
    'spec.promotion.stage: Required value',
  ],
  [
    'a promotion to the archive',
    changed(trainingRun(), (o) => (o.spec.promotion = { metric: 'accuracy', stage: 'archived' })),
    'spec.promotion.stage: Unsupported value: "archived": supported values: "dev", "staging", "production"',
  ],
  [
    'a negative promotion margin',
    changed(
      trainingRun(),
      (o) => (o.spec.promotion = { metric: 'accuracy', stage: 'staging', minDelta: -0.1 }),
    ),
    'spec.promotion.minDelta: Invalid value: -0.1: spec.promotion.minDelta in body should be greater than or equal to 0',
  ],
  [
    'a toleration of any value that names a value',
    changed(trainingRun(), (o) => (o.spec.tolerations = [{ key: 'gpu', operator: 'Exists', value: 'yes' }])),
    'spec.tolerations[0]: Invalid value: "object": a toleration with operator Exists must not set value',
  ],
  [
    'a TrainingRun name with a dot',
    trainingRun('pets.june'),
    'metadata.name: Invalid value: "string": a TrainingRun name must be a DNS label',
  ],
  // ModelVersion
  [
    'a ModelVersion not named <model>-v<version>',
    changed(modelVersion(), (o) => (o.metadata.name = 'pets-latest')),
    'metadata.name: Invalid value: "object": must be <spec.model>-v<spec.version>, e.g. fraud-v3 for model fraud version 3',
  ],
  [
    'a name whose number differs from the version',
    changed(modelVersion(), (o) => (o.metadata.name = 'pets-v01')),
    'metadata.name: Invalid value: "object": must be <spec.model>-v<spec.version>',
  ],
  [
    'version 0',
    changed(modelVersion('pets', 1), (o) => (o.spec.version = 0)),
    'spec.version: Invalid value: 0: spec.version in body should be greater than or equal to 1',
  ],
  [
    'a digest that is not sha256',
    changed(modelVersion(), (o) => (o.spec.artifact.sha256 = 'md5:d41d8cd98f00b204e9800998ecf8427e')),
    'spec.artifact.sha256: Invalid value: "string": must be a sha256 digest: 64 lowercase hexadecimal characters',
  ],
  [
    'an artifact that is not ONNX',
    changed(modelVersion(), (o) => (o.spec.artifact.format = 'pytorch')),
    'spec.artifact.format: Unsupported value: "pytorch": supported values: "onnx"',
  ],
  [
    'an artifact outside S3',
    changed(modelVersion(), (o) => (o.spec.artifact.uri = 'https://models.example.com/pets.onnx')),
    'spec.artifact.uri: Invalid value: "string": must be an S3 URI',
  ],
  [
    'an unknown stage',
    changed(modelVersion(), (o) => (o.spec.stage = 'prod')),
    'spec.stage: Unsupported value: "prod": supported values: "none", "dev", "staging", "production", "archived"',
  ],
  [
    'an empty lineage',
    changed(modelVersion(), (o) => (o.spec.source = {})),
    'spec.source: Invalid value: 0: spec.source in body should have at least 1 properties',
  ],
  [
    'an unknown deletion policy',
    changed(modelVersion(), (o) => (o.spec.deletionPolicy = 'Keep')),
    'spec.deletionPolicy: Unsupported value: "Keep": supported values: "Retain", "Delete"',
  ],
  // InferenceService
  [
    'a model pinned and following a stage',
    changed(inferenceService(), (o) => (o.spec.model.stage = 'production')),
    'spec.model: Invalid value: "object": must set exactly one of version (pinned) or stage (follow promotions)',
  ],
  [
    'a model neither pinned nor following a stage',
    changed(inferenceService(), (o) => delete o.spec.model.version),
    'spec.model: Invalid value: "object": must set exactly one of version (pinned) or stage (follow promotions)',
  ],
  [
    'serving the stage none',
    changed(inferenceService(), (o) => (o.spec.model = { name: 'pets', stage: 'none' })),
    'spec.model.stage: Unsupported value: "none": supported values: "dev", "staging", "production"',
  ],
  [
    'more minimum than maximum replicas',
    changed(
      inferenceService(),
      (o) => (o.spec.autoscaling = { minReplicas: 5, maxReplicas: 2, targetConcurrency: 4 }),
    ),
    'spec.autoscaling: Invalid value: "object": minReplicas must not be greater than maxReplicas',
  ],
  [
    'autoscaling without a target',
    changed(inferenceService(), (o) => (o.spec.autoscaling = { maxReplicas: 4 })),
    'spec.autoscaling: Invalid value: "object": must set exactly one of targetCPUUtilization or targetConcurrency',
  ],
  [
    'a canary with all the traffic',
    changed(inferenceService(), (o) => (o.spec.canary = { version: 2, percent: 100 })),
    'spec.canary.percent: Invalid value: 100: spec.canary.percent in body should be less than or equal to 99',
  ],
  [
    'a canary of the version already served',
    changed(inferenceService(), (o) => (o.spec.canary = { version: 1, percent: 10 })),
    'spec.canary: Invalid value: "object": the canary must serve a different version than model.version',
  ],
  [
    'a canary without a version or stage',
    changed(inferenceService(), (o) => (o.spec.canary = { percent: 10 })),
    'spec.canary: Invalid value: "object": must set exactly one of version or stage',
  ],
  [
    'an InferenceService name starting with a digit',
    inferenceService('1pets'),
    'metadata.name: Invalid value: "string": an InferenceService name must start with a letter',
  ],
  [
    'a prediction table that is not a table name',
    changed(
      inferenceService(),
      (o) => (o.spec.predictionLog = { connectionSecret: { name: 'db' }, table: 'p; DROP TABLE x' }),
    ),
    'spec.predictionLog.table: Invalid value: "string": must be a lowercase SQL table name',
  ],
  [
    'a zero standard deviation',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, std: [0.2, 0, 0.2] }),
    ),
    'spec.preprocessing.std: Invalid value: "object": std values must be greater than 0',
  ],
  [
    'negative replicas',
    changed(inferenceService(), (o) => (o.spec.replicas = -1)),
    'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0',
  ],
  [
    'a bearer token written into the spec',
    changed(inferenceService(), (o) => (o.spec.auth = { token: 's3cr3t' })),
    'unknown field "spec.auth.token"',
  ],
  [
    'a mean of two values (neither one for every channel nor one per channel)',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, mean: [0.5, 0.5] }),
    ),
    'spec.preprocessing.mean: Invalid value: "array": must have 1 value (used for every channel) or 3 (one per channel)',
  ],
  [
    'a std of two values',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, std: [0.2, 0.2] }),
    ),
    'spec.preprocessing.std: Invalid value: "array": must have 1 value (used for every channel) or 3 (one per channel)',
  ],
  [
    'a mean of four values',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, mean: [0, 0, 0, 0] }),
    ),
    'spec.preprocessing.mean: Too many: 4: must have at most 3 items',
  ],
  [
    'replicas set together with autoscaling',
    changed(inferenceService(), (o) => {
      o.spec.replicas = 3;
      o.spec.autoscaling = { maxReplicas: 5, targetCPUUtilization: 70 };
    }),
    'spec.replicas: Invalid value: "object": set either replicas or autoscaling, not both: with autoscaling the HorizontalPodAutoscaler sets the number of replicas',
  ],
  [
    'autoscaling on both CPU and concurrency',
    changed(
      inferenceService(),
      (o) => (o.spec.autoscaling = { maxReplicas: 4, targetCPUUtilization: 70, targetConcurrency: 8 }),
    ),
    'spec.autoscaling: Invalid value: "object": must set exactly one of targetCPUUtilization or targetConcurrency',
  ],
  [
    'a CPU target above 100%',
    changed(inferenceService(), (o) => (o.spec.autoscaling = { maxReplicas: 4, targetCPUUtilization: 150 })),
    'spec.autoscaling.targetCPUUtilization: Invalid value: 150: spec.autoscaling.targetCPUUtilization in body should be less than or equal to 100',
  ],
  [
    'more than 1000 replicas at most',
    changed(inferenceService(), (o) => (o.spec.autoscaling = { maxReplicas: 5000, targetConcurrency: 8 })),
    'spec.autoscaling.maxReplicas: Invalid value: 5000: spec.autoscaling.maxReplicas in body should be less than or equal to 1000',
  ],
  [
    'a canary with no traffic',
    changed(inferenceService(), (o) => (o.spec.canary = { version: 2, percent: 0 })),
    'spec.canary.percent: Invalid value: 0: spec.canary.percent in body should be greater than or equal to 1',
  ],
  [
    'a canary following the stage the model follows',
    changed(inferenceService(), (o) => {
      o.spec.model = { name: 'pets', stage: 'production' };
      o.spec.canary = { stage: 'production', percent: 10 };
    }),
    'spec.canary: Invalid value: "object": the canary must follow a different stage than model.stage',
  ],
  [
    'a canary of version 0',
    changed(inferenceService(), (o) => (o.spec.canary = { version: 0, percent: 10 })),
    'spec.canary.version: Invalid value: 0: spec.canary.version in body should be greater than or equal to 1',
  ],
  [
    'an image size of zero pixels',
    changed(inferenceService(), (o) => (o.spec.preprocessing = { size: { width: 0, height: 224 } })),
    'spec.preprocessing.size.width: Invalid value: 0: spec.preprocessing.size.width in body should be greater than or equal to 1',
  ],
  [
    'an unknown fit',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, fit: 'stretch' }),
    ),
    'spec.preprocessing.fit: Unsupported value: "stretch": supported values: "fill", "contain", "cover"',
  ],
  [
    'a channel order with alpha',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, channelOrder: 'RGBA' }),
    ),
    'spec.preprocessing.channelOrder: Unsupported value: "RGBA": supported values: "RGB", "BGR"',
  ],
  [
    'an unknown tensor layout',
    changed(
      inferenceService(),
      (o) => (o.spec.preprocessing = { size: { width: 224, height: 224 }, layout: 'CHW' }),
    ),
    'spec.preprocessing.layout: Unsupported value: "CHW": supported values: "NCHW", "NHWC"',
  ],
  [
    'preprocessing without an input size',
    changed(inferenceService(), (o) => (o.spec.preprocessing = { fit: 'cover' })),
    'spec.preprocessing.size: Required value',
  ],
  [
    'a batch size of 0',
    changed(inferenceService(), (o) => (o.spec.server = { batching: { maxBatchSize: 0 } })),
    'spec.server.batching.maxBatchSize: Invalid value: 0: spec.server.batching.maxBatchSize in body should be greater than or equal to 1',
  ],
  [
    'no ONNX Runtime threads',
    changed(inferenceService(), (o) => (o.spec.server = { threads: { intraOp: 0 } })),
    'spec.server.threads.intraOp: Invalid value: 0: spec.server.threads.intraOp in body should be greater than or equal to 1',
  ],
  [
    'a request time limit of 0 seconds',
    changed(inferenceService(), (o) => (o.spec.server = { timeoutSeconds: 0 })),
    'spec.server.timeoutSeconds: Invalid value: 0: spec.server.timeoutSeconds in body should be greater than or equal to 1',
  ],
  [
    'a request size limit under 1 KiB',
    changed(inferenceService(), (o) => (o.spec.server = { maxRequestBytes: 100 })),
    'spec.server.maxRequestBytes: Invalid value: 100: spec.server.maxRequestBytes in body should be greater than or equal to 1024',
  ],
  [
    'a serving request above its limit',
    changed(
      inferenceService(),
      (o) => (o.spec.server = { resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } } }),
    ),
    'spec.server.resources: Invalid value: "object": a request must not exceed the limit for the same resource',
  ],
  [
    'auth without its Secret',
    changed(inferenceService(), (o) => (o.spec.auth = {})),
    'spec.auth.bearerTokenSecret: Required value',
  ],
  [
    'an auth Secret name with capitals',
    changed(inferenceService(), (o) => (o.spec.auth = { bearerTokenSecret: { name: 'Tokens' } })),
    'spec.auth.bearerTokenSecret.name: Invalid value: "string": must be a Kubernetes object name',
  ],
  [
    'a prediction log without its connection Secret',
    changed(inferenceService(), (o) => (o.spec.predictionLog = { table: 'predictions' })),
    'spec.predictionLog.connectionSecret: Required value',
  ],
  [
    'a model name with capitals',
    changed(inferenceService(), (o) => (o.spec.model = { name: 'Pets', version: 1 })),
    'spec.model.name: Invalid value: "string": must consist of lowercase letters, digits and "-"',
  ],
  [
    'an InferenceService name over 40 characters',
    inferenceService(`p${'e'.repeat(40)}`),
    'metadata.name: Too long: may not be more than 40',
  ],
];

describe('the API server', () => {
  it('has a table of at least 30 invalid objects, and 30 invalid InferenceServices of them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.filter(([, object]) => object.kind === 'InferenceService').length).toBeGreaterThanOrEqual(
      30,
    );
  });

  it.each([dataset(), trainingRun(), modelVersion(), inferenceService()])(
    'accepts the valid $kind the cases start from',
    async (object) => {
      await expect(create(namespace.name, object, { dryRun: true })).resolves.toMatchObject({
        kind: object.kind,
      });
    },
  );

  it.each(cases)('rejects %s', async (_title, object, message) => {
    const { code, message: actual } = await rejection(create(namespace.name, object, { dryRun: true }));
    // An unknown field fails decoding (400) before validation (422).
    expect(code).toBe(message.startsWith('unknown field') ? 400 : 422);
    expect(actual).toContain(message);
  });

  it('rejects a ModelVersion with a malformed artifact digest and names both problems', async () => {
    const object = changed(modelVersion(), (o) => {
      o.metadata.name = 'pets-v2';
      o.spec.artifact.sha256 = digest.toUpperCase();
    });
    const { message } = await rejection(create(namespace.name, object, { dryRun: true }));
    expect(message).toContain('metadata.name: Invalid value');
    expect(message).toContain('spec.artifact.sha256: Invalid value');
  });
});
