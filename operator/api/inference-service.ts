// InferenceService: serves a model over HTTP, pinned to a version or following a stage, optionally
// with a canary, and logs its predictions so that feedback becomes a Dataset source (DESIGN §1).
import { type Static, Type } from '@sinclair/typebox';
import {
  Conditions,
  ModelName,
  ModelVersionNumber,
  NodeSelector,
  ObservedGeneration,
  PostgresConnectionSecret,
  ResourceRequirements,
  SecretReference,
  ServingStage,
  Sha256,
  Timestamp,
  Tolerations,
} from './common.ts';
import {
  ageColumn,
  conditionColumn,
  objectSchema,
  type Resource,
  type ResourceDefinition,
} from './resource.ts';
import { matches, rules, StringEnum } from './schema.ts';

/** Longest InferenceService name: its Service and Deployments carry it (a DNS-1035 label). */
export const MAX_INFERENCE_SERVICE_NAME_LENGTH = 40;

const ModelSelector = Type.Object(
  {
    name: ModelName('Name of the model to serve.'),
    version: Type.Optional(ModelVersionNumber('Serve this version (pinned: a change is a rollout).')),
    stage: Type.Optional(
      ServingStage('Serve the highest Ready version in this stage; a promotion rolls the new one out.'),
    ),
  },
  {
    description: 'Which model version to serve: a pinned version or a stage.',
    ...rules({
      rule: 'has(self.version) != has(self.stage)',
      message: 'must set exactly one of version (pinned) or stage (follow promotions)',
    }),
  },
);

const Replicas = (description: string, minimum: number) =>
  Type.Integer({ description, format: 'int32', minimum, maximum: 1000 });

export const Autoscaling = Type.Object(
  {
    minReplicas: Type.Integer({
      description: 'Fewest replicas.',
      format: 'int32',
      default: 1,
      minimum: 1,
      maximum: 1000,
    }),
    maxReplicas: Replicas('Most replicas.', 1),
    targetCPUUtilization: Type.Optional(
      Type.Integer({
        description: 'Target average CPU utilization, in percent of the CPU request.',
        format: 'int32',
        minimum: 1,
        maximum: 100,
      }),
    ),
    targetConcurrency: Type.Optional(
      Type.Integer({
        description:
          'Target number of requests in flight per replica. Needs a custom metrics adapter serving bosun_inference_in_flight_requests (the operator is told with --custom-metrics-adapter); without one the Autoscaling condition says so.',
        format: 'int32',
        minimum: 1,
        maximum: 10000,
      }),
    ),
  },
  {
    description:
      "Scale with load through a HorizontalPodAutoscaler on the primary Deployment; a canary keeps its share beside it. The replica bounds are the primary's.",
    ...rules(
      {
        rule: 'self.minReplicas <= self.maxReplicas',
        message: 'minReplicas must not be greater than maxReplicas',
      },
      {
        rule: 'has(self.targetCPUUtilization) != has(self.targetConcurrency)',
        message: 'must set exactly one of targetCPUUtilization or targetConcurrency',
      },
    ),
  },
);

export const Canary = Type.Object(
  {
    version: Type.Optional(ModelVersionNumber('Version the canary serves.')),
    stage: Type.Optional(ServingStage('Stage whose highest Ready version the canary serves.')),
    percent: Type.Integer({
      description: 'Share of requests sent to the canary, in percent.',
      minimum: 1,
      maximum: 99,
    }),
  },
  {
    description: 'A second version of the same model that gets a share of the traffic.',
    ...rules({
      rule: 'has(self.version) != has(self.stage)',
      message: 'must set exactly one of version or stage',
    }),
  },
);

const Number3 = (description: string, fallback: number) =>
  Type.Array(Type.Number({ description: 'Per channel, in channel order.' }), {
    description: `${description} One value for every channel, or three (one per channel).`,
    default: [fallback, fallback, fallback],
    minItems: 1,
    maxItems: 3,
    ...rules({
      rule: 'self.size() == 1 || self.size() == 3',
      message: 'must have 1 value (used for every channel) or 3 (one per channel)',
    }),
  });

export const Preprocessing = Type.Object(
  {
    size: Type.Object(
      {
        width: Type.Integer({ description: 'Width in pixels.', minimum: 1, maximum: 4096 }),
        height: Type.Integer({ description: 'Height in pixels.', minimum: 1, maximum: 4096 }),
      },
      { description: 'Input size of the model; each image is resized to it.' },
    ),
    fit: StringEnum(['fill', 'contain', 'cover'], {
      description:
        'How the image is fitted into size: fill (stretch), contain (letterbox, keep all) or cover (crop, keep the aspect).',
      default: 'cover',
    }),
    channelOrder: StringEnum(['RGB', 'BGR'], {
      description: 'Channel order the model expects.',
      default: 'RGB',
    }),
    layout: StringEnum(['NCHW', 'NHWC'], {
      description: 'Tensor layout the model expects.',
      default: 'NCHW',
    }),
    mean: Number3('Mean subtracted per channel after scaling pixels to [0, 1].', 0),
    std: Number3('Standard deviation divided by per channel after subtracting the mean.', 1),
    labels: Type.Optional(
      Type.Array(Type.String({ description: 'A class name.', maxLength: 253 }), {
        description:
          'Class names in output order. Default: the labels recorded when the model was trained (required for models registered by hand).',
        maxItems: 10000,
      }),
    ),
  },
  {
    description: "Turns an uploaded image into the model's input tensor (image models only).",
    ...rules({
      rule: 'self.std.all(s, s > 0.0)',
      message: 'std values must be greater than 0',
      fieldPath: '.std',
    }),
  },
);

export const Server = Type.Object(
  {
    batching: Type.Object(
      {
        maxBatchSize: Type.Integer({
          description: 'Most requests combined into one model run; 1 turns batching off.',
          default: 1,
          minimum: 1,
          maximum: 1024,
        }),
        maxLatencyMilliseconds: Type.Integer({
          description: 'Longest a request waits for others to fill a batch.',
          default: 5,
          minimum: 0,
          maximum: 10000,
        }),
      },
      { description: 'Dynamic batching of concurrent requests.', default: {} },
    ),
    threads: Type.Object(
      {
        intraOp: Type.Integer({
          description: 'Threads ONNX Runtime uses inside one operator.',
          default: 1,
          minimum: 1,
          maximum: 256,
        }),
        interOp: Type.Integer({
          description: 'Threads ONNX Runtime uses to run operators in parallel.',
          default: 1,
          minimum: 1,
          maximum: 256,
        }),
      },
      { description: 'ONNX Runtime threads per replica.', default: {} },
    ),
    maxRequestBytes: Type.Integer({
      description: 'Largest request body accepted; larger ones get 413.',
      default: 10485760,
      minimum: 1024,
      maximum: 1073741824,
    }),
    maxConcurrency: Type.Integer({
      description: 'Requests in flight per replica before new ones get 503.',
      default: 64,
      minimum: 1,
      maximum: 100000,
    }),
    timeoutSeconds: Type.Integer({
      description: 'Time limit of one request.',
      default: 30,
      minimum: 1,
      maximum: 3600,
    }),
    resources: Type.Optional(ResourceRequirements('Compute resources of each serving container.')),
    nodeSelector: NodeSelector('Node labels the serving Pods must be scheduled on.'),
    tolerations: Tolerations('Taints the serving Pods tolerate.'),
  },
  { description: 'How each replica serves: batching, threads, limits and placement.', default: {} },
);

export const InferenceServiceSpec = Type.Object(
  {
    model: ModelSelector,
    replicas: Type.Optional(
      Type.Integer({
        description:
          "Number of serving Pods, the canary's included (0 stops serving; 1 when left out). Not with autoscaling, whose autoscaler sets the number. kubectl scale sets it.",
        format: 'int32',
        minimum: 0,
        maximum: 1000,
      }),
    ),
    autoscaling: Type.Optional(Autoscaling),
    canary: Type.Optional(Canary),
    preprocessing: Type.Optional(Preprocessing),
    server: Server,
    auth: Type.Optional(
      Type.Object(
        {
          bearerTokenSecret: SecretReference(
            'Secret whose values are the accepted bearer tokens (one per key; the key names the client in logs).',
          ),
        },
        { description: 'Require a bearer token on every prediction request.' },
      ),
    ),
    predictionLog: Type.Optional(
      Type.Object(
        {
          connectionSecret: PostgresConnectionSecret('Secret with the connection to the database.'),
          table: Type.String({
            description:
              'Table, optionally schema-qualified, that receives one row per prediction; created if missing. A Dataset postgres source reads it back once people verify labels.',
            default: 'predictions',
            maxLength: 127,
            ...rules(
              matches(
                '^[a-z_][a-z0-9_]{0,62}([.][a-z_][a-z0-9_]{0,62})?$',
                'must be a lowercase SQL table name, optionally schema-qualified (schema.table)',
              ),
            ),
          }),
          storeInputs: Type.Boolean({
            description: 'Store each input image in the bucket (content-addressed) and log its key.',
            default: true,
          }),
        },
        { description: 'Log every prediction to PostgreSQL, so that feedback can become training data.' },
      ),
    ),
  },
  {
    description: 'The desired serving.',
    ...rules(
      {
        rule: '!has(self.canary) || !has(self.canary.version) || !has(self.model.version) || self.canary.version != self.model.version',
        message: 'the canary must serve a different version than model.version',
        fieldPath: '.canary',
      },
      {
        rule: '!has(self.canary) || !has(self.canary.stage) || !has(self.model.stage) || self.canary.stage != self.model.stage',
        message: 'the canary must follow a different stage than model.stage',
        fieldPath: '.canary',
      },
      {
        // The autoscaler scales the Deployments itself; a replica count beside it would be a
        // second owner of the same number (and kubectl scale meets this rule too).
        rule: '!has(self.replicas) || !has(self.autoscaling)',
        message:
          'set either replicas or autoscaling, not both: with autoscaling the HorizontalPodAutoscaler sets the number of replicas',
        fieldPath: '.replicas',
      },
    ),
  },
);
export type InferenceServiceSpec = Static<typeof InferenceServiceSpec>;

const servedProperties = {
  modelVersion: Type.String({ description: 'Name of the ModelVersion.', maxLength: 63 }),
  version: ModelVersionNumber('Its version number.'),
  sha256: Sha256('Digest of the artifact being served.'),
};

export const InferenceServiceStatus = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(
      Conditions(
        "ModelResolved: the model selector (and the canary's) names a Ready version. Ready: the resolved version(s) serve on every replica this generation asks for. Progressing: a rollout is under way. Autoscaling and PredictionLog, when asked for: whether they work as specified.",
      ),
    ),
    primary: Type.Optional(
      Type.Object(servedProperties, { description: 'The version serving the main share of traffic.' }),
    ),
    canary: Type.Optional(
      Type.Object(
        {
          ...servedProperties,
          percent: Type.Integer({
            description: 'Its share of requests, in percent.',
            minimum: 1,
            maximum: 99,
          }),
        },
        { description: 'The canary version and its share of traffic.' },
      ),
    ),
    url: Type.Optional(
      Type.String({ description: 'In-cluster URL of the prediction endpoint.', maxLength: 512 }),
    ),
    replicas: Type.Optional(
      Type.Integer({ description: 'Serving Pods that exist.', format: 'int32', minimum: 0 }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ description: 'Serving Pods that are ready.', format: 'int32', minimum: 0 }),
    ),
    selector: Type.Optional(
      Type.String({
        description: 'Label selector of the serving Pods (for the scale subresource).',
        maxLength: 1024,
      }),
    ),
    history: Type.Optional(
      Type.Array(
        Type.Object(
          {
            modelVersion: Type.String({ description: 'Name of the ModelVersion.', maxLength: 63 }),
            version: ModelVersionNumber('Its version number.'),
            role: StringEnum(['primary', 'canary'], { description: 'How it served.' }),
            from: Timestamp('When it started serving.'),
            to: Type.Optional(Timestamp('When it stopped serving (absent while it serves).')),
          },
          { description: 'One period during which a version served.' },
        ),
        { description: 'Which version served when, oldest first (the last 100).', maxItems: 100 },
      ),
    ),
  },
  { description: 'The observed state of the service, written by the operator.' },
);
export type InferenceServiceStatus = Static<typeof InferenceServiceStatus>;

export type InferenceService = Resource<'InferenceService', InferenceServiceSpec, InferenceServiceStatus>;

export const inferenceServiceDefinition: ResourceDefinition = {
  kind: 'InferenceService',
  plural: 'inferenceservices',
  singular: 'inferenceservice',
  shortNames: ['bisvc'],
  schema: objectSchema({
    description:
      'Serves a model over HTTP with ONNX Runtime: a pinned version or the highest Ready version of a stage, optionally with a canary, logging predictions for feedback.',
    spec: InferenceServiceSpec,
    status: InferenceServiceStatus,
    name: {
      maxLength: MAX_INFERENCE_SERVICE_NAME_LENGTH,
      rules: [
        matches(
          '^[a-z]([-a-z0-9]*[a-z0-9])?$',
          'an InferenceService name must start with a letter and contain only lowercase letters, digits and "-", as it names a Service',
        ),
      ],
    },
  }),
  printerColumns: [
    { name: 'Model', type: 'string', jsonPath: '.spec.model.name', description: 'The model served.' },
    {
      name: 'Version',
      type: 'integer',
      jsonPath: '.status.primary.version',
      description: 'The version serving the main share of traffic.',
    },
    {
      name: 'Canary',
      type: 'integer',
      jsonPath: '.status.canary.version',
      description: 'The canary version, if any.',
      priority: 1,
    },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas', description: 'Serving Pods.' },
    conditionColumn('Ready', 'Ready', 'Whether the service is serving.'),
    { name: 'URL', type: 'string', jsonPath: '.status.url', description: 'Prediction endpoint.' },
    ageColumn,
  ],
  selectableFields: ['.spec.model.name'],
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.status.selector',
  },
};
