// TrainingRun: one training of one model on one pinned snapshot; on success it registers the next
// ModelVersion of the model and may promote it (DESIGN §1).
import { type Static, Type } from '@sinclair/typebox';
import {
  Conditions,
  DNS_LABEL_REGEX,
  DnsLabel,
  EnvVars,
  ManifestReference,
  Metrics,
  ModelName,
  ModelVersionNumber,
  NodeSelector,
  ObjectName,
  ObservedGeneration,
  ResourceRequirements,
  S3Uri,
  ServingStage,
  SNAPSHOT_VARIANTS,
  SNAPSHOT_VERSION_REGEX,
  Timestamp,
  Tolerations,
} from './common.ts';
import type { DATASET_FORMATS } from './dataset.ts';
import { ageColumn, objectSchema, type Resource, type ResourceDefinition } from './resource.ts';
import { celString, FreeForm, matches, rules, StringEnum, StringMap, withoutDefault } from './schema.ts';

export const TRAINING_TASKS = [
  'tabular-classification',
  'tabular-regression',
  'image-classification',
] as const;

/** The algorithm a built-in task trains with when spec.trainer.builtin.algorithm is not set. */
export const STANDARD_ALGORITHMS: Record<(typeof TRAINING_TASKS)[number], string> = {
  'tabular-classification': 'logistic',
  'tabular-regression': 'linear',
  'image-classification': 'cnn',
};
export type TrainingTask = (typeof TRAINING_TASKS)[number];

/** The Dataset format each built-in task trains on. */
export const TASK_FORMATS: Record<TrainingTask, (typeof DATASET_FORMATS)[number]> = {
  'tabular-classification': 'tabular',
  'tabular-regression': 'tabular',
  'image-classification': 'imagefolder',
};

/** The snapshot variant a run trains on when it names none. */
export const DEFAULT_TRAINING_VARIANT = 'verified';

/** Longest TrainingRun name: its Job carries the name plus a short suffix. */
export const MAX_TRAINING_RUN_NAME_LENGTH = 52;

const METRIC_NAME_REGEX = '^[A-Za-z_][A-Za-z0-9_.:/-]*$';

export const BuiltinTrainer = Type.Object(
  {
    task: StringEnum(TRAINING_TASKS, {
      description:
        'What to learn: tabular-classification and tabular-regression need a tabular Dataset, image-classification an imagefolder one.',
    }),
    algorithm: Type.Optional(
      DnsLabel({
        description: `Algorithm of the built-in trainer for the task, as docs/trainers.md lists them. Default: ${Object.entries(
          STANDARD_ALGORITHMS,
        )
          .map(([task, algorithm]) => `${algorithm} for ${task}`)
          .join(', ')}.`,
        maxLength: 63,
      }),
    ),
    hyperparameters: Type.Optional(
      StringMap(FreeForm({ description: 'A hyperparameter value: number, string, boolean or list.' }), {
        description:
          'Hyperparameters by name, e.g. {epochs: 20, learningRate: 0.001}; passed to the trainer as JSON (BOSUN_HYPERPARAMETERS).',
        maxProperties: 64,
      }),
    ),
  },
  { description: 'A trainer that ships with Bosun.' },
);

const Arguments = (description: string) =>
  Type.Optional(
    Type.Array(Type.String({ description: 'One argument.', maxLength: 4096 }), { description, maxItems: 64 }),
  );

export const ContainerTrainer = Type.Object(
  {
    image: Type.String({
      description:
        'Container image that follows the workload contract: inputs from the BOSUN_* environment variables, model.onnx and metrics.json written under the output prefix, exit 0 only when they are complete.',
      minLength: 1,
      maxLength: 512,
      ...rules(matches('^[^\\s]+$', 'must be a container image reference without spaces')),
    }),
    command: Arguments("Entrypoint; default: the image's ENTRYPOINT."),
    args: Arguments("Arguments to the entrypoint; default: the image's CMD."),
    env: EnvVars('Extra environment variables; the operator sets the BOSUN_* variables of the contract.'),
  },
  { description: 'Your own training image, following the workload contract.' },
);

export const Trainer = Type.Object(
  {
    builtin: Type.Optional(BuiltinTrainer),
    container: Type.Optional(ContainerTrainer),
  },
  {
    description: 'What trains: exactly one of builtin or container.',
    ...rules({
      rule: 'has(self.builtin) != has(self.container)',
      message: 'must set exactly one of builtin or container',
    }),
  },
);

export const Promotion = Type.Object(
  {
    metric: Type.String({
      description: 'Name of the metric (from metrics.json) that decides, e.g. accuracy.',
      minLength: 1,
      maxLength: 128,
      ...rules(
        matches(METRIC_NAME_REGEX, 'must be a metric name: letters, digits, "_", ".", ":", "/" and "-"'),
      ),
    }),
    direction: StringEnum(['maximize', 'minimize'], {
      description: 'Whether a higher (maximize) or a lower (minimize) value is better.',
      default: 'maximize',
    }),
    minDelta: Type.Number({
      description: 'How much better than the current holder of the stage the new version must be.',
      default: 0,
      minimum: 0,
    }),
    stage: ServingStage(
      'The stage the new version takes if it beats the version holding it (or if no version holds it).',
    ),
  },
  { description: 'Champion/challenger: promote the new version only if it beats the current one.' },
);

const DatasetReference = Type.Object(
  {
    name: DnsLabel({ description: 'Name of the Dataset, in the same namespace.', maxLength: 40 }),
    snapshot: Type.String({
      description:
        'latest, or a snapshot version (YYYYMMDD-HHMMSS) listed in the Dataset status. The version it resolves to is pinned in status.snapshot when the run starts.',
      default: 'latest',
      maxLength: 15,
      ...rules({
        rule: `self == 'latest' || self.matches(${celString(SNAPSHOT_VERSION_REGEX)})`,
        message: 'must be latest or a snapshot version such as 20250601-000000',
      }),
    }),
    variant: StringEnum(SNAPSHOT_VARIANTS, {
      description: 'verified (only items whose label was verified) or full (every item).',
      default: DEFAULT_TRAINING_VARIANT,
    }),
  },
  { description: 'The data to train on.' },
);

/** What a run does with its data: a TrainingRun spec but its dataset, and a training template's spec. */
const runProperties = {
  trainer: Trainer,
  resources: Type.Optional(ResourceRequirements('Compute resources of the training container.')),
  nodeSelector: NodeSelector('Node labels the training Pod must be scheduled on, e.g. a GPU pool.'),
  tolerations: Tolerations('Taints the training Pod tolerates.'),
  serviceAccountName: Type.Optional(
    ObjectName({ description: "ServiceAccount of the training Pod. Default: the namespace's default." }),
  ),
  activeDeadlineSeconds: Type.Optional(
    Type.Integer({
      description:
        'Time limit for the whole run, retries included; when exceeded the run fails with reason DeadlineExceeded. Default: none.',
      format: 'int64',
      minimum: 1,
      maximum: 2592000,
    }),
  ),
  backoffLimit: Type.Integer({
    description: 'How many times a failed training Pod is retried before the run fails.',
    format: 'int32',
    default: 1,
    minimum: 0,
    maximum: 10,
  }),
  model: Type.Object(
    {
      name: ModelName(
        'Name of the model; on success the run registers ModelVersion <name>-v<next version number>.',
      ),
    },
    { description: 'The model this run produces a version of.' },
  ),
  promotion: Type.Optional(Promotion),
};

export const TrainingRunSpec = Type.Object(
  { dataset: DatasetReference, ...runProperties },
  {
    description: 'The desired run. Immutable: a TrainingRun runs once.',
    ...rules({
      rule: 'self == oldSelf',
      message: 'is immutable: a TrainingRun runs once; create a new TrainingRun to train again',
    }),
  },
);
export type TrainingRunSpec = Static<typeof TrainingRunSpec>;

// A template is a list item of a Dataset, and a default inside a list item would show as drift on
// every client-side apply: its fields are those of a run, without defaults; the TrainingRun created
// from it takes them from its own schema.
export const TrainingTemplateSpec = Type.Object(
  {
    ...runProperties,
    backoffLimit: withoutDefault(runProperties.backoffLimit),
    promotion: Type.Optional(
      Type.Object(
        {
          ...Promotion.properties,
          direction: withoutDefault(Promotion.properties.direction),
          minDelta: withoutDefault(Promotion.properties.minDelta),
        },
        { description: Promotion.description },
      ),
    ),
  },
  {
    description:
      "The spec of the TrainingRuns the template creates, without dataset: each trains on the new snapshot of this Dataset, in the template's variant. A field left out takes the TrainingRun's default.",
  },
);
export type TrainingTemplateSpec = Static<typeof TrainingTemplateSpec>;

export const TrainingRunStatus = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(
      Conditions(
        'Succeeded: Unknown while Pending or Running; True once the ModelVersion is registered; False with a reason such as DatasetNotFound, SnapshotNotFound, JobFailed, ArtifactInvalid or DeadlineExceeded.',
      ),
    ),
    snapshot: Type.Optional(
      Type.Object(
        {
          version: Type.String({ description: 'The snapshot version.', maxLength: 15 }),
          variant: StringEnum(SNAPSHOT_VARIANTS, { description: 'The variant.' }),
          manifest: ManifestReference('The manifest trained on.'),
        },
        { description: 'The snapshot the run resolved and pinned at start; never changes afterwards.' },
      ),
    ),
    job: Type.Optional(Type.String({ description: 'Name of the training Job.', maxLength: 63 })),
    output: Type.Optional(
      S3Uri("Where the run's outputs are written before registration (runs/<ns>/<run>/)."),
    ),
    startTime: Type.Optional(Timestamp('When the run started.')),
    completionTime: Type.Optional(Timestamp('When the run finished, successfully or not.')),
    attempts: Type.Optional(Type.Integer({ description: 'Training Pods started so far.', minimum: 0 })),
    progress: Type.Optional(
      Type.Object(
        {
          message: Type.String({
            description: "The trainer's latest progress line, e.g. training.",
            maxLength: 256,
          }),
          epoch: Type.Optional(Type.Integer({ description: 'Epoch reached (neural networks).', minimum: 0 })),
          iteration: Type.Optional(
            Type.Integer({ description: 'Iteration reached (other algorithms).', minimum: 0 }),
          ),
          metrics: Type.Optional(Metrics('The numbers of that line, e.g. loss and validationLoss.')),
          updatedAt: Timestamp('When it was read.'),
        },
        {
          description:
            "How far training is, from the trainer's progress log lines (read at most every 15 s).",
        },
      ),
    ),
    metrics: Type.Optional(Metrics('Final metrics from metrics.json.')),
    keyMetric: Type.Optional(
      Type.String({
        description:
          'The deciding metric as name=value (promotion.metric, else the first by name), for display.',
        maxLength: 256,
      }),
    ),
    modelVersion: Type.Optional(
      Type.Object(
        {
          name: Type.String({ description: 'Name of the ModelVersion.', maxLength: 63 }),
          version: ModelVersionNumber('Its version number.'),
        },
        { description: 'The ModelVersion this run registered.' },
      ),
    ),
    promotion: Type.Optional(
      Type.Object(
        {
          promoted: Type.Boolean({ description: 'Whether the new version took the stage.' }),
          stage: ServingStage('The stage competed for.'),
          champion: Type.Optional(
            Type.String({ description: 'The ModelVersion that held the stage, if any.', maxLength: 63 }),
          ),
          value: Type.Optional(Type.Number({ description: "The new version's value of promotion.metric." })),
          championValue: Type.Optional(
            Type.Number({ description: "The champion's value of promotion.metric." }),
          ),
          message: Type.String({ description: 'The comparison, for a person.', maxLength: 1024 }),
        },
        { description: 'The outcome of spec.promotion.' },
      ),
    ),
  },
  { description: 'The observed state of the run, written by the operator.' },
);
export type TrainingRunStatus = Static<typeof TrainingRunStatus>;

export type TrainingRun = Resource<'TrainingRun', TrainingRunSpec, TrainingRunStatus>;

export const trainingRunDefinition: ResourceDefinition = {
  kind: 'TrainingRun',
  plural: 'trainingruns',
  singular: 'trainingrun',
  shortNames: ['btr'],
  schema: objectSchema({
    description:
      'One training of one model on one pinned Dataset snapshot. It runs once: on success it registers the next ModelVersion of spec.model.name and, with spec.promotion, promotes it if it beats the current one.',
    spec: TrainingRunSpec,
    status: TrainingRunStatus,
    name: {
      maxLength: MAX_TRAINING_RUN_NAME_LENGTH,
      rules: [
        matches(
          DNS_LABEL_REGEX,
          'a TrainingRun name must be a DNS label (lowercase letters, digits and "-"; no dots), as it names its Job',
        ),
      ],
    },
  }),
  printerColumns: [
    { name: 'Model', type: 'string', jsonPath: '.spec.model.name', description: 'The model trained.' },
    {
      name: 'Snapshot',
      type: 'string',
      jsonPath: '.status.snapshot.version',
      description: 'The snapshot version trained on.',
    },
    {
      name: 'State',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Succeeded")].reason',
      description: 'Pending, Running, Succeeded or why it failed.',
    },
    { name: 'Metric', type: 'string', jsonPath: '.status.keyMetric', description: 'The deciding metric.' },
    {
      name: 'Dataset',
      type: 'string',
      jsonPath: '.spec.dataset.name',
      description: 'The Dataset trained on.',
      priority: 1,
    },
    {
      name: 'Variant',
      type: 'string',
      jsonPath: '.status.snapshot.variant',
      description: 'The snapshot variant trained on.',
      priority: 1,
    },
    {
      name: 'Registered',
      type: 'string',
      jsonPath: '.status.modelVersion.name',
      description: 'The ModelVersion registered.',
      priority: 1,
    },
    ageColumn,
  ],
  selectableFields: ['.spec.model.name', '.spec.dataset.name'],
};
