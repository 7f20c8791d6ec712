// ModelVersion: an immutable registry entry (one artifact of one model version) whose only mutable
// field that matters is its stage; changing the stage is a promotion (DESIGN §1).
import { type Static, Type } from '@sinclair/typebox';
import {
  Conditions,
  DnsLabel,
  Metrics,
  ModelName,
  ModelVersionNumber,
  ObservedGeneration,
  S3Uri,
  SecretReference,
  Sha256,
  SNAPSHOT_VERSION_REGEX,
  STAGES,
  s3LocationProperties,
  Timestamp,
} from './common.ts';
import { SNAPSHOT_VARIANTS } from './dataset.ts';
import {
  ageColumn,
  conditionColumn,
  objectSchema,
  type Resource,
  type ResourceDefinition,
} from './resource.ts';
import { IntOrString, immutable, matches, rules, StringEnum } from './schema.ts';

export const ARTIFACT_FORMATS = ['onnx'] as const;

export const Artifact = Type.Object(
  {
    uri: S3Uri(
      "S3 URI of the model file. In the operator's bucket it must lie under this namespace's own prefixes (models/<namespace>/ or imports/<namespace>/), e.g. s3://bosun/imports/team/fraud/3/model.onnx; in another bucket it needs credentialsSecret.",
    ),
    endpoint: s3LocationProperties.endpoint,
    credentialsSecret: Type.Optional(
      SecretReference(
        "For an artifact in another bucket: a Secret in this namespace with the keys accessKeyId and secretAccessKey that can read it. The operator's own credentials are never used outside its bucket.",
      ),
    ),
    sha256: Sha256('sha256 of the file; the operator refuses an artifact whose bytes do not match.'),
    format: StringEnum(ARTIFACT_FORMATS, { description: 'File format of the model.', default: 'onnx' }),
  },
  {
    description: 'The model file. Immutable: a ModelVersion always means the same bytes.',
    ...rules(
      immutable('is immutable: a ModelVersion always means the same bytes; register a new version instead'),
    ),
  },
);

export const ModelSource = Type.Object(
  {
    trainingRun: Type.Optional(
      DnsLabel({ description: 'The TrainingRun that produced this version.', maxLength: 63 }),
    ),
    dataset: Type.Optional(
      Type.Object(
        {
          name: DnsLabel({ description: 'Name of the Dataset.', maxLength: 40 }),
          snapshot: Type.String({
            description: 'Snapshot version trained on (YYYYMMDD-HHMMSS).',
            maxLength: 15,
            ...rules(matches(SNAPSHOT_VERSION_REGEX, 'must be a snapshot version such as 20250601-000000')),
          }),
          variant: StringEnum(SNAPSHOT_VARIANTS, { description: 'Snapshot variant trained on.' }),
          manifestSha256: Sha256('sha256 of the snapshot manifest trained on.'),
        },
        { description: 'The data this version was trained on; it keeps that snapshot from being deleted.' },
      ),
    ),
    description: Type.Optional(
      Type.String({
        description: 'Free text for a version trained elsewhere: where, how, by whom.',
        maxLength: 2048,
      }),
    ),
  },
  {
    description: 'Where this version came from (lineage). Immutable.',
    minProperties: 1,
    ...rules(immutable('is immutable: the lineage of a version cannot be rewritten')),
  },
);

export const ModelVersionSpec = Type.Object(
  {
    model: ModelName(
      'Name of the model this is a version of. Immutable.',
      immutable('is immutable: register a new ModelVersion instead'),
    ),
    version: ModelVersionNumber(
      'Version number, unique per model (the object is named <model>-v<version>). Immutable.',
      immutable('is immutable: register a new ModelVersion instead'),
    ),
    artifact: Artifact,
    source: Type.Optional(ModelSource),
    stage: StringEnum(STAGES, {
      description:
        'Lifecycle stage: none, dev, staging, production or archived. Changing it is a promotion; InferenceServices that follow a stage serve the highest Ready version in it.',
      default: 'none',
    }),
    deletionPolicy: StringEnum(['Retain', 'Delete'], {
      description: 'What happens to the artifact in the store when this ModelVersion is deleted.',
      default: 'Retain',
    }),
  },
  {
    description: 'The registered version. Everything but stage and deletionPolicy is immutable.',
    // A transition rule on source itself runs only when both the old and new object have one.
    ...rules({
      rule: 'has(self.source) == has(oldSelf.source)',
      message: 'is immutable: the lineage of a version cannot be added or removed later',
      fieldPath: '.source',
    }),
  },
);
export type ModelVersionSpec = Static<typeof ModelVersionSpec>;

const Tensor = Type.Object(
  {
    name: Type.String({ description: 'Name of the input or output.', maxLength: 256 }),
    type: Type.String({ description: 'Element type, e.g. float32, int64, string.', maxLength: 32 }),
    shape: Type.Array(
      IntOrString({ description: 'A dimension: a size, or a symbolic name such as batch for a free one.' }),
      { description: 'Dimensions.', maxItems: 16 },
    ),
  },
  { description: 'One input or output of the model.' },
);

export const ModelVersionStatus = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(
      Conditions(
        'Ready: the artifact exists, its sha256 matches and it loads as ONNX; False with a reason such as ArtifactNotFound, DigestMismatch or InvalidModel.',
      ),
    ),
    artifact: Type.Optional(
      Type.Object(
        {
          size: Type.Integer({ description: 'Size of the file in bytes.', format: 'int64', minimum: 0 }),
          verifiedAt: Timestamp('When the file was last verified.'),
        },
        { description: 'What the operator found in the store.' },
      ),
    ),
    signature: Type.Optional(
      Type.Object(
        {
          inputs: Type.Array(Tensor, { description: 'Model inputs.', maxItems: 64 }),
          outputs: Type.Array(Tensor, { description: 'Model outputs.', maxItems: 64 }),
        },
        { description: 'Inputs and outputs of the ONNX graph.' },
      ),
    ),
    metrics: Type.Optional(Metrics('Metrics recorded at training (metrics.json).')),
    keyMetric: Type.Optional(
      Type.String({
        description:
          'The main metric as name=value (the promotion metric, else the first by name), for display.',
        maxLength: 256,
      }),
    ),
    history: Type.Optional(
      Type.Array(
        Type.Object(
          {
            stage: StringEnum(STAGES, { description: 'The stage entered.' }),
            time: Timestamp('When.'),
            reason: Type.Optional(
              Type.String({ description: 'Why, e.g. the TrainingRun that promoted it.', maxLength: 1024 }),
            ),
          },
          { description: 'One stage change.' },
        ),
        { description: 'Every stage change, oldest first.', maxItems: 1000 },
      ),
    ),
    servedBy: Type.Optional(
      Type.Array(Type.String({ description: 'Name of an InferenceService.', maxLength: 63 }), {
        description: 'InferenceServices serving this version; while any does, deletion waits.',
        maxItems: 1000,
      }),
    ),
  },
  { description: 'The observed state of the version, written by the operator.' },
);
export type ModelVersionStatus = Static<typeof ModelVersionStatus>;

export type ModelVersion = Resource<'ModelVersion', ModelVersionSpec, ModelVersionStatus>;

/** The name a ModelVersion must have, which makes a version number unique per model. */
export function modelVersionName(model: string, version: number): string {
  return `${model}-v${version}`;
}

export const modelVersionDefinition: ResourceDefinition = {
  kind: 'ModelVersion',
  plural: 'modelversions',
  singular: 'modelversion',
  shortNames: ['bmv'],
  schema: objectSchema({
    description:
      'An immutable registry entry: one ONNX artifact of one version of a model, with its lineage. Created by a TrainingRun or by hand; spec.stage is the only field that changes (a promotion). It must be named <model>-v<version>.',
    name: {
      // <model (≤ 50)>-v<version (≤ 6 digits)>, so the name fits in a label value.
      maxLength: 63,
      rules: [],
    },
    spec: ModelVersionSpec,
    status: ModelVersionStatus,
    rules: [
      {
        // Compared piecewise: string(int) has no size bound, so building the whole name would exceed
        // the API server's cost budget.
        rule: "self.metadata.name.startsWith(self.spec.model + '-v') && self.metadata.name.substring(self.spec.model.size() + 2) == string(self.spec.version)",
        message:
          'must be <spec.model>-v<spec.version>, e.g. fraud-v3 for model fraud version 3, so that each version number exists once per model',
        fieldPath: '.metadata.name',
      },
    ],
  }),
  printerColumns: [
    { name: 'Model', type: 'string', jsonPath: '.spec.model', description: 'The model.' },
    { name: 'Version', type: 'integer', jsonPath: '.spec.version', description: 'The version number.' },
    { name: 'Stage', type: 'string', jsonPath: '.spec.stage', description: 'Its lifecycle stage.' },
    conditionColumn('Ready', 'Ready', 'Whether the artifact is verified.'),
    { name: 'Metric', type: 'string', jsonPath: '.status.keyMetric', description: 'The main metric.' },
    ageColumn,
  ],
  selectableFields: ['.spec.model', '.spec.stage'],
};
