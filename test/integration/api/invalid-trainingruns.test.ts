// Invalid TrainingRuns, each one change to a valid run, and invalid training templates on a
// Dataset (spec.training[]): the API server rejects every one itself (schema and CEL, a server-side
// dry run) with a message that names the field and says what is wrong. A run's spec cannot change
// once created; a Dataset's templates can.
import { describe, expect, it } from 'vitest';
import { MAX_TRAINING_TEMPLATE_NAME_LENGTH } from '../../../operator/api/dataset.ts';
import { MAX_TRAINING_RUN_NAME_LENGTH } from '../../../operator/api/training-run.ts';
import { rejection } from '../clients.ts';
import { type BosunObject, create, read, replace, useNamespace } from './cluster.ts';
import { changed, dataset, trainingRun } from './minimal-objects.ts';

const namespace = useNamespace('api-trainingruns');
const ns = namespace.name;

// Tests reach into any field, valid or not.
// biome-ignore lint/suspicious/noExplicitAny: an invalid object has no type
type Untyped = any;

const IMAGE = 'registry.example.com/ml/train:1.0';

const run = (change: (o: Untyped) => void) => changed(trainingRun(), change);
/** A run with a custom container trainer, changed by `change` (given the container). */
const containerRun = (change: (container: Untyped) => void) =>
  run((o) => {
    o.spec.trainer = { container: { image: IMAGE } };
    change(o.spec.trainer.container);
  });
const promoted = (promotion: Record<string, unknown>) =>
  run((o) => (o.spec.promotion = { metric: 'accuracy', stage: 'production', ...promotion }));
const many = <T>(n: number, item: (i: number) => T) => Array.from({ length: n }, (_, i) => item(i));

type Rejected = [title: string, object: BosunObject, message: string];

const trainers: Rejected[] = [
  [
    'a built-in tabular trainer together with a container',
    run((o) => (o.spec.trainer = { builtin: { task: 'tabular-regression' }, container: { image: IMAGE } })),
    'spec.trainer: Invalid value: "object": must set exactly one of builtin or container',
  ],
  ['no trainer field', run((o) => delete o.spec.trainer), 'spec.trainer: Required value'],
  [
    'an unknown built-in task',
    run((o) => (o.spec.trainer.builtin.task = 'text-classification')),
    'spec.trainer.builtin.task: Unsupported value: "text-classification": supported values: "tabular-classification", "tabular-regression", "image-classification"',
  ],
  [
    'a built-in trainer without a task',
    run((o) => (o.spec.trainer.builtin = { algorithm: 'cnn' })),
    'spec.trainer.builtin.task: Required value',
  ],
  [
    'an algorithm name with capitals',
    run((o) => (o.spec.trainer.builtin.algorithm = 'XGBoost')),
    'spec.trainer.builtin.algorithm: Invalid value: "string": must consist of lowercase letters, digits and "-"',
  ],
  [
    '65 hyperparameters',
    run((o) => (o.spec.trainer.builtin.hyperparameters = Object.fromEntries(many(65, (i) => [`p${i}`, i])))),
    'spec.trainer.builtin.hyperparameters: Too many: 65: must have at most 64 items',
  ],
];

const containers: Rejected[] = [
  [
    'an image reference with a space before the tag',
    containerRun((c) => (c.image = 'registry.example.com/ml/train latest')),
    'spec.trainer.container.image: Invalid value: "string": must be a container image reference without spaces',
  ],
  [
    'an empty image reference',
    containerRun((c) => (c.image = '')),
    'spec.trainer.container.image: Invalid value: "": spec.trainer.container.image in body should be at least 1 chars long',
  ],
  [
    '65 arguments',
    containerRun((c) => (c.args = many(65, (i) => `--flag-${i}`))),
    'spec.trainer.container.args: Too many: 65: must have at most 64 items',
  ],
  [
    '65 environment variables',
    containerRun((c) => (c.env = many(65, (i) => ({ name: `VAR_${i}`, value: 'x' })))),
    'spec.trainer.container.env: Too many: 65: must have at most 64 items',
  ],
  [
    'one environment variable twice',
    containerRun(
      (c) =>
        (c.env = [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'LOG_LEVEL', value: 'debug' },
        ]),
    ),
    'spec.trainer.container.env[1]: Duplicate value',
  ],
  [
    'an environment variable name starting with a digit',
    containerRun((c) => (c.env = [{ name: '1ST_RUN', value: 'yes' }])),
    'spec.trainer.container.env[0].name: Invalid value: "string": must be letters, digits, "_", "-" and ".", not starting with a digit',
  ],
  [
    'a variable taken from a Secret and a ConfigMap at once',
    containerRun(
      (c) =>
        (c.env = [
          {
            name: 'TOKEN',
            valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } },
          },
        ]),
    ),
    'spec.trainer.container.env[0].valueFrom: Invalid value: "object": valueFrom must set exactly one of secretKeyRef or configMapKeyRef',
  ],
];

const data: Rejected[] = [
  [
    'a snapshot written as a date',
    run((o) => (o.spec.dataset.snapshot = '2025-06-01')),
    'spec.dataset.snapshot: Invalid value: "string": must be latest or a snapshot version such as 20250601-000000',
  ],
  [
    'Latest with a capital',
    run((o) => (o.spec.dataset.snapshot = 'Latest')),
    'spec.dataset.snapshot: Invalid value: "string": must be latest or a snapshot version such as 20250601-000000',
  ],
  [
    'the gold data as the variant',
    run((o) => (o.spec.dataset.variant = 'gold')),
    'spec.dataset.variant: Unsupported value: "gold": supported values: "verified", "full"',
  ],
  [
    'a Dataset name over 40 characters',
    run((o) => (o.spec.dataset.name = 'd'.repeat(41))),
    'spec.dataset.name: Too long: may not be more than 40',
  ],
];

const limits: Rejected[] = [
  [
    'a negative deadline',
    run((o) => (o.spec.activeDeadlineSeconds = -60)),
    'spec.activeDeadlineSeconds: Invalid value: -60: spec.activeDeadlineSeconds in body should be greater than or equal to 1',
  ],
  [
    'a deadline of zero seconds',
    run((o) => (o.spec.activeDeadlineSeconds = 0)),
    'spec.activeDeadlineSeconds: Invalid value: 0: spec.activeDeadlineSeconds in body should be greater than or equal to 1',
  ],
  [
    'a deadline over 30 days',
    run((o) => (o.spec.activeDeadlineSeconds = 30 * 86400 + 1)),
    'spec.activeDeadlineSeconds: Invalid value: 2592001: spec.activeDeadlineSeconds in body should be less than or equal to 2592000',
  ],
  [
    'a negative number of retries',
    run((o) => (o.spec.backoffLimit = -1)),
    'spec.backoffLimit: Invalid value: -1: spec.backoffLimit in body should be greater than or equal to 0',
  ],
  [
    'one and a half retries',
    run((o) => (o.spec.backoffLimit = 1.5)),
    'spec.backoffLimit: Invalid value: "number": spec.backoffLimit in body must be of type integer',
  ],
];

const models: Rejected[] = [
  [
    'a model name with an underscore',
    run((o) => (o.spec.model.name = 'pets_v2')),
    'spec.model.name: Invalid value: "string": must consist of lowercase letters, digits and "-", and start and end with a letter or digit',
  ],
  ['no model', run((o) => delete o.spec.model), 'spec.model: Required value'],
  [
    'a metric name with spaces',
    promoted({ metric: 'top 5 accuracy' }),
    'spec.promotion.metric: Invalid value: "string": must be a metric name: letters, digits, "_", ".", ":", "/" and "-"',
  ],
  [
    'a metric name starting with a digit',
    promoted({ metric: '5-fold-accuracy' }),
    'spec.promotion.metric: Invalid value: "string": must be a metric name',
  ],
  [
    'a promotion without a metric',
    run((o) => (o.spec.promotion = { stage: 'staging' })),
    'spec.promotion.metric: Required value',
  ],
  [
    'a negative margin for a loss',
    promoted({ metric: 'loss', direction: 'minimize', minDelta: -0.01 }),
    'spec.promotion.minDelta: Invalid value: -0.01: spec.promotion.minDelta in body should be greater than or equal to 0',
  ],
  [
    'an unknown stage',
    promoted({ stage: 'prod' }),
    'spec.promotion.stage: Unsupported value: "prod": supported values: "dev", "staging", "production"',
  ],
  [
    'an unknown direction',
    promoted({ direction: 'higher' }),
    'spec.promotion.direction: Unsupported value: "higher": supported values: "maximize", "minimize"',
  ],
];

const scheduling: Rejected[] = [
  [
    'a CPU request in cores written out',
    run((o) => (o.spec.resources = { requests: { cpu: '2 cores' } })),
    'spec.resources.requests[cpu]: Invalid value: "": must be a quantity, e.g. 2, 500m, 512Mi or 4Gi',
  ],
  [
    'a negative memory limit',
    run((o) => (o.spec.resources = { limits: { memory: '-1Gi' } })),
    'spec.resources.limits[memory]: Invalid value: "": must not be negative',
  ],
  [
    'a CPU request above its limit in millicores',
    run((o) => (o.spec.resources = { requests: { cpu: 2 }, limits: { cpu: '1500m' } })),
    'spec.resources: Invalid value: "object": a request must not exceed the limit for the same resource',
  ],
  [
    'a toleration of an unknown effect',
    run((o) => (o.spec.tolerations = [{ key: 'gpu', operator: 'Exists', effect: 'NoRun' }])),
    'spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ],
  [
    'a toleration with a set operator',
    run((o) => (o.spec.tolerations = [{ key: 'gpu', operator: 'In', value: 'a100' }])),
    'spec.tolerations[0].operator: Unsupported value: "In": supported values: "Exists", "Equal"',
  ],
  [
    'a negative toleration time',
    run((o) => (o.spec.tolerations = [{ key: 'spot', effect: 'NoExecute', tolerationSeconds: -1 }])),
    'spec.tolerations[0].tolerationSeconds: Invalid value: -1: spec.tolerations[0].tolerationSeconds in body should be greater than or equal to 0',
  ],
  [
    'a toleration time for a taint that does not evict',
    run((o) => (o.spec.tolerations = [{ key: 'spot', effect: 'NoSchedule', tolerationSeconds: 60 }])),
    'spec.tolerations[0].tolerationSeconds: Forbidden: tolerationSeconds applies only to effect NoExecute',
  ],
  [
    'a toleration of every key that matches a value',
    run((o) => (o.spec.tolerations = [{ value: 'a100', effect: 'NoSchedule' }])),
    'spec.tolerations[0]: Invalid value: "object": a toleration without key tolerates every taint and must use operator Exists',
  ],
  [
    'a ServiceAccount name with capitals',
    run((o) => (o.spec.serviceAccountName = 'Trainer')),
    'spec.serviceAccountName: Invalid value: "string": must be a Kubernetes object name',
  ],
  [
    'a node label value over 63 characters',
    run((o) => (o.spec.nodeSelector = { 'node.kubernetes.io/pool': 'p'.repeat(64) })),
    'spec.nodeSelector.node.kubernetes.io/pool: Too long: may not be more than 63',
  ],
];

const names: Rejected[] = [
  [
    `a name over ${MAX_TRAINING_RUN_NAME_LENGTH} characters`,
    trainingRun(`pets-${'r'.repeat(MAX_TRAINING_RUN_NAME_LENGTH - 4)}`),
    `metadata.name: Too long: may not be more than ${MAX_TRAINING_RUN_NAME_LENGTH}`,
  ],
  ['an epoch count written into the spec', run((o) => (o.spec.epochs = 20)), 'unknown field "spec.epochs"'],
];

const runCases = { trainers, containers, data, limits, models, scheduling, names };

/** The Dataset the templates go on, with templates made by `templates`. */
const withTemplates = (
  format: 'imagefolder' | 'tabular',
  templates: Untyped[],
  change = (_o: Untyped) => {},
) =>
  changed(dataset(), (o) => {
    o.spec.format = format;
    if (format === 'tabular') o.spec.tabular = { labelColumn: 'species' };
    o.spec.training = templates;
    change(o);
  });
const template = (name: string, change: (t: Untyped) => void = () => {}) => {
  const t: Untyped = {
    name,
    spec: {
      trainer: { builtin: { task: 'image-classification' } },
      model: { name: 'pets' },
      promotion: { metric: 'accuracy', stage: 'production' },
    },
  };
  change(t);
  return t;
};
const tabularTemplate = (name: string) =>
  template(name, (t) => (t.spec.trainer.builtin.task = 'tabular-classification'));

const templates: Rejected[] = [
  [
    'two templates with one name',
    withTemplates('imagefolder', [template('monthly'), template('monthly', (t) => (t.variant = 'full'))]),
    'spec.training[1]: Duplicate value: {"name":"monthly"}',
  ],
  [
    `a template name over ${MAX_TRAINING_TEMPLATE_NAME_LENGTH} characters (runs are <name>-<snapshot version>)`,
    withTemplates('imagefolder', [template('m'.repeat(MAX_TRAINING_TEMPLATE_NAME_LENGTH + 1))]),
    `spec.training[0].name: Too long: may not be more than ${MAX_TRAINING_TEMPLATE_NAME_LENGTH}`,
  ],
  [
    'a template name with an underscore',
    withTemplates('imagefolder', [template('monthly_run')]),
    'spec.training[0].name: Invalid value: "string": must consist of lowercase letters, digits and "-"',
  ],
  [
    'an image task on a tabular Dataset',
    withTemplates('tabular', [tabularTemplate('rows'), template('images')]),
    'spec.training: Invalid value: "object": the built-in task of a training template must fit the Dataset\'s format: image-classification on imagefolder Datasets, tabular-classification and tabular-regression on tabular Datasets',
  ],
  [
    'a tabular task on an image Dataset',
    withTemplates('imagefolder', [tabularTemplate('rows')]),
    'spec.training: Invalid value: "object": the built-in task of a training template must fit the Dataset\'s format',
  ],
  [
    'a template following the full variant of a Dataset that builds only verified',
    withTemplates('imagefolder', [template('all', (t) => (t.variant = 'full'))], (o) => {
      o.spec.snapshot = { variants: ['verified'] };
    }),
    'spec.training: Invalid value: "object": a training template must follow a variant the Dataset builds (snapshot.variants)',
  ],
  [
    'a template without variant on a Dataset that builds only full',
    withTemplates('imagefolder', [template('monthly')], (o) => {
      o.spec.snapshot = { variants: ['full'] };
    }),
    'spec.training: Invalid value: "object": a training template must follow a variant the Dataset builds (snapshot.variants), and one without variant follows verified',
  ],
  [
    'an unknown variant',
    withTemplates('imagefolder', [template('monthly', (t) => (t.variant = 'latest'))]),
    'spec.training[0].variant: Unsupported value: "latest": supported values: "verified", "full"',
  ],
  [
    'nine templates',
    withTemplates(
      'imagefolder',
      many(9, (i) => template(`t${i}`)),
    ),
    'spec.training: Too many: 9: must have at most 8 items',
  ],
  [
    'a template naming its own dataset (the Dataset it is on is the data)',
    withTemplates('imagefolder', [template('monthly', (t) => (t.spec.dataset = { name: 'other' }))]),
    'unknown field "spec.training[0].spec.dataset"',
  ],
  [
    'a template without a spec',
    withTemplates('imagefolder', [{ name: 'monthly' }]),
    'spec.training[0].spec: Required value',
  ],
  [
    'a template with both trainers',
    withTemplates('imagefolder', [template('monthly', (t) => (t.spec.trainer.container = { image: IMAGE }))]),
    'spec.training[0].spec.trainer: Invalid value: "object": must set exactly one of builtin or container',
  ],
  [
    'a template with eleven retries',
    withTemplates('imagefolder', [template('monthly', (t) => (t.spec.backoffLimit = 11))]),
    'spec.training[0].spec.backoffLimit: Invalid value: 11: spec.training[0].spec.backoffLimit in body should be less than or equal to 10',
  ],
  [
    'a template promoting by a negative margin',
    withTemplates('imagefolder', [template('monthly', (t) => (t.spec.promotion.minDelta = -1))]),
    'spec.training[0].spec.promotion.minDelta: Invalid value: -1: spec.training[0].spec.promotion.minDelta in body should be greater than or equal to 0',
  ],
];

async function expectRejected(object: BosunObject, message: string) {
  const { code, message: actual } = await rejection(create(ns, object, { dryRun: true }));
  // An unknown field fails decoding (400) before validation (422).
  expect(code).toBe(message.startsWith('unknown field') ? 400 : 422);
  expect(actual).toContain(message);
}

describe('the API server rejects an invalid TrainingRun', () => {
  it('has a table of 30 invalid TrainingRuns, with the update below', () => {
    expect(Object.values(runCases).flat().length + 1).toBeGreaterThanOrEqual(30);
  });

  it.each([
    ['the built-in run the cases start from', trainingRun()],
    ['a container run', containerRun((c) => (c.env = [{ name: 'LOG_LEVEL', value: 'info' }]))],
    ['a run that names every field', promoted({ direction: 'minimize', metric: 'val/loss', minDelta: 0.01 })],
  ])('accepts %s', async (_title, object) => {
    await expect(create(ns, object, { dryRun: true })).resolves.toMatchObject({ kind: 'TrainingRun' });
  });

  for (const [group, cases] of Object.entries(runCases)) {
    it.each(cases)(`${group}: rejects %s`, async (_title, object, message) => {
      await expectRejected(object, message);
    });
  }

  it('rejects a change to the trainer or the model after creation: a TrainingRun runs once', async () => {
    await create(ns, trainingRun('once'));
    const stored = await read(ns, 'TrainingRun', 'once');
    for (const change of [
      (o: Untyped) => (o.spec.trainer.builtin.hyperparameters = { epochs: 50 }),
      (o: Untyped) => (o.spec.model.name = 'pets-large'),
    ]) {
      const { code, message } = await rejection(replace(ns, changed(stored, change)));
      expect(code).toBe(422);
      expect(message).toContain(
        'spec: Invalid value: "object": is immutable: a TrainingRun runs once; create a new TrainingRun to train again',
      );
    }
  });
});

describe('the API server rejects an invalid training template on a Dataset', () => {
  it('accepts templates for both formats and variants, and adds no default inside them', async () => {
    const images = withTemplates('imagefolder', [
      template('monthly'),
      template('monthly-full', (t) => {
        t.variant = 'full';
        t.spec.trainer = { container: { image: IMAGE, args: ['--epochs=5'] } };
      }),
    ]);
    const rows = withTemplates('tabular', [tabularTemplate('rows')], (o) => (o.metadata.name = 'rows'));
    for (const object of [images, rows]) {
      const created = await create(ns, object, { dryRun: true });
      expect(created.spec.training).toEqual(object.spec.training);
    }
  });

  it.each(templates)('rejects %s', async (_title, object, message) => {
    await expectRejected(object, message);
  });

  it('lets the templates change: unlike a TrainingRun, a template only shapes runs yet to come', async () => {
    await create(
      ns,
      withTemplates('imagefolder', [template('monthly')], (o) => (o.metadata.name = 'growing')),
    );
    const stored = await read(ns, 'Dataset', 'growing');
    const updated = await replace(
      ns,
      changed(stored, (o) => {
        o.spec.training[0].spec.trainer.builtin.hyperparameters = { epochs: 30 };
        o.spec.training.push(template('monthly-full', (t) => (t.variant = 'full')));
      }),
    );
    expect((updated.spec.training as Untyped[]).map((t) => t.name)).toEqual(['monthly', 'monthly-full']);
  });
});
