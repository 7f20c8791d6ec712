// Invalid Dataset specs, each one change to a valid Dataset: what the API server rejects itself
// (schema and CEL, with a message a person understands; a server-side dry run), and what it must
// accept but the Dataset controller refuses before any Job (checkDatasetSpec: the namespace's
// prefixes, time zones and cron fields, key segments, what the data jobs would refuse).
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { checkDatasetSpec, SPEC_CHECK_REASONS } from '../../../operator/controllers/dataset/spec-check.ts';
import { rejection } from '../clients.ts';
import { type BosunObject, create, read, replace, useNamespace } from './cluster.ts';
import { changed, dataset } from './minimal-objects.ts';

const namespace = useNamespace('api-datasets');
const ns = namespace.name;
/** The operator's bucket, as checkDatasetSpec is given it. */
const BUCKET = 'bosun';
const R = SPEC_CHECK_REASONS;

// Tests reach into any field, valid or not.
// biome-ignore lint/suspicious/noExplicitAny: an invalid object has no type
type Untyped = any;

/** Predictions logged by the inference server: image keys relative to the bucket root. */
const feedback = (change: (postgres: Untyped) => void = () => {}) => {
  const postgres: Untyped = {
    connectionSecret: { name: 'db' },
    query: 'SELECT id, label, object_key FROM predictions WHERE created_at >= $1 AND created_at < $2',
    columns: { id: 'id', label: 'label', objectKey: 'object_key' },
    images: { uri: `s3://${BUCKET}/` },
  };
  change(postgres);
  return { name: 'feedback', postgres };
};
const uploads = (uri: string, extra: Record<string, unknown> = {}) => ({
  name: 'uploads',
  s3: { uri, ...extra },
});
const web = (...urls: { url: string; label?: string }[]) => ({ name: 'web', http: { urls } });

const imagefolder = (change: (o: Untyped) => void) => changed(dataset(), change);
const tabularDataset = (change: (o: Untyped) => void = () => {}) =>
  changed(dataset(), (o) => {
    o.spec.format = 'tabular';
    o.spec.tabular = { labelColumn: 'species' };
    change(o);
  });

type Rejected = [title: string, object: BosunObject, message: string];

const schedules: Rejected[] = [
  [
    'a cron schedule of six fields (with seconds)',
    imagefolder((o) => (o.spec.collection = { schedule: '0 0 2 * * *' })),
    'spec.collection.schedule: Invalid value: "string": must be a cron schedule of five fields',
  ],
  [
    'a snapshot schedule of four fields',
    imagefolder((o) => (o.spec.snapshot = { schedule: '0 3 1 *' })),
    'spec.snapshot.schedule: Invalid value: "string": must be a cron schedule of five fields',
  ],
  [
    'TZ= in a snapshot schedule',
    imagefolder((o) => (o.spec.snapshot = { schedule: 'TZ=Europe/Berlin @monthly' })),
    'spec.snapshot.schedule: Invalid value: "string": must not set a time zone (CRON_TZ or TZ); set timeZone instead',
  ],
  [
    "Quartz's nth weekday (#), which CronJobs do not read",
    imagefolder((o) => (o.spec.collection = { schedule: '0 0 * * 1#2' })),
    'spec.collection.schedule: Invalid value: "string": must be a cron schedule of five fields',
  ],
  [
    'a collection without a schedule',
    imagefolder((o) => (o.spec.collection = { timeZone: 'Europe/Berlin' })),
    'spec.collection.schedule: Required value',
  ],
  [
    'a UTC offset as the time zone',
    imagefolder((o) => (o.spec.collection = { schedule: '@daily', timeZone: 'UTC+01:00' })),
    'spec.collection.timeZone: Invalid value: "string": must be an IANA time zone name, e.g. Etc/UTC or Europe/Berlin',
  ],
];

const sources: Rejected[] = [
  [
    'columns mapping neither row values nor object keys',
    imagefolder((o) => (o.spec.sources = [feedback((p) => (p.columns = { id: 'id', label: 'label' }))])),
    'spec.sources[0].postgres.columns: Invalid value: "object": must map exactly one of objectKey (images) or values (table rows)',
  ],
  [
    'a tabular source mapping both row values and object keys',
    tabularDataset((o) => (o.spec.sources = [feedback((p) => (p.columns.values = ['a']))])),
    'spec.sources[0].postgres.columns: Invalid value: "object": must map exactly one of objectKey (images) or values (table rows)',
  ],
  [
    'a query without $1 (the window start)',
    imagefolder(
      (o) =>
        (o.spec.sources = [feedback((p) => (p.query = 'SELECT * FROM predictions WHERE created_at < $2'))]),
    ),
    'spec.sources[0].postgres.query: Invalid value: "string": must select one collection window with $1 (window start, inclusive) and $2 (window end, exclusive)',
  ],
  [
    'a query without $2 (the window end)',
    imagefolder(
      (o) =>
        (o.spec.sources = [feedback((p) => (p.query = 'SELECT * FROM predictions WHERE created_at >= $1'))]),
    ),
    'spec.sources[0].postgres.query: Invalid value: "string": must select one collection window with $1',
  ],
  [
    'an s3 and an http source with one name',
    imagefolder(
      (o) =>
        (o.spec.sources = [
          { ...uploads(`s3://${BUCKET}/imports/${ns}/in/`), name: 'web' },
          web({ url: 'https://x.example/a.jpg', label: 'cat' }),
        ]),
    ),
    'spec.sources[1]: Duplicate value',
  ],
  [
    'an http source named gold',
    imagefolder(
      (o) => (o.spec.sources = [{ ...web({ url: 'https://x.example/a.jpg', label: 'cat' }), name: 'gold' }]),
    ),
    'spec.sources[0].name: Invalid value: "string": gold names the curated base data in every manifest and summary; choose another source name',
  ],
  [
    'a postgres and an s3 source in one',
    imagefolder(
      (o) => (o.spec.sources = [{ ...feedback(), s3: { uri: `s3://${BUCKET}/imports/${ns}/in/` } }]),
    ),
    'spec.sources[0]: Invalid value: "object": must set exactly one of postgres, s3, http',
  ],
  [
    'a file:// URL',
    imagefolder((o) => (o.spec.sources = [web({ url: 'file:///etc/passwd', label: 'cat' })])),
    'spec.sources[0].http.urls[0].url: Invalid value: "string": must be an http:// or https:// URL',
  ],
  [
    'image locations on a rows source',
    tabularDataset(
      (o) => (o.spec.sources = [feedback((p) => (p.columns = { id: 'id', label: 'label', values: ['a'] }))]),
    ),
    'spec.sources[0].postgres.images: Forbidden: images applies only together with columns.objectKey',
  ],
];

const locations: Rejected[] = [
  [
    'an s3 source prefix that climbs out with ".."',
    imagefolder((o) => (o.spec.sources = [uploads(`s3://${BUCKET}/imports/${ns}/../other/`)])),
    'spec.sources[0].s3.uri: Invalid value: "string": must not contain "." or ".." path segments',
  ],
  [
    'images under a "." segment',
    imagefolder(
      (o) => (o.spec.sources = [feedback((p) => (p.images = { uri: `s3://${BUCKET}/./objects/` }))]),
    ),
    'spec.sources[0].postgres.images.uri: Invalid value: "string": must not contain "." or ".." path segments',
  ],
  [
    'a gold bucket name with capitals',
    imagefolder((o) => (o.spec.gold = { uri: `s3://Bosun/imports/${ns}/gold/` })),
    'spec.gold.uri: Invalid value: "string": must be an S3 URI such as s3://bucket/path/',
  ],
  [
    'an endpoint with a path (the bucket belongs in the URI)',
    imagefolder(
      (o) =>
        (o.spec.gold = {
          uri: 's3://lab/gold/',
          endpoint: 'https://s3.example.com/lab',
          credentialsSecret: { name: 'lab' },
        }),
    ),
    'spec.gold.endpoint: Invalid value: "string": must be the base URL of an S3-compatible store',
  ],
];

const limits: Rejected[] = [
  [
    'keeping more than 120 snapshots',
    imagefolder((o) => (o.spec.retention = { snapshots: 121 })),
    'spec.retention.snapshots: Invalid value: 121: spec.retention.snapshots in body should be less than or equal to 120',
  ],
  [
    'keeping two and a half snapshots',
    imagefolder((o) => (o.spec.retention = { snapshots: 2.5 })),
    'spec.retention.snapshots: Invalid value: "number": spec.retention.snapshots in body must be of type integer',
  ],
  [
    'an unknown snapshot variant',
    imagefolder((o) => (o.spec.snapshot = { variants: ['verified', 'gold'] })),
    'spec.snapshot.variants[1]: Unsupported value: "gold": supported values: "verified", "full"',
  ],
  [
    'a class imbalance above 10^9',
    imagefolder((o) => (o.spec.quality = { maxClassImbalance: 2e9 })),
    'spec.quality.maxClassImbalance: Invalid value: 2000000000: spec.quality.maxClassImbalance in body should be less than or equal to 1000000000',
  ],
  [
    'a fractional minimum of items per label',
    imagefolder((o) => (o.spec.quality = { minItemsPerLabel: 1.5 })),
    'spec.quality.minItemsPerLabel: Invalid value: "number": spec.quality.minItemsPerLabel in body must be of type integer',
  ],
  [
    '17 sources',
    imagefolder(
      (o) =>
        (o.spec.sources = Array.from({ length: 17 }, (_, i) => ({
          ...uploads(`s3://${BUCKET}/imports/${ns}/in-${i}/`),
          name: `in-${i}`,
        }))),
    ),
    'spec.sources: Too many: 17: must have at most 16 items',
  ],
  [
    '101 URLs in one source',
    imagefolder(
      (o) =>
        (o.spec.sources = [
          web(
            ...Array.from({ length: 101 }, (_, i) => ({ url: `https://x.example/${i}.jpg`, label: 'cat' })),
          ),
        ]),
    ),
    'spec.sources[0].http.urls: Too many: 101: must have at most 100 items',
  ],
];

type Accepted = [title: string, object: BosunObject, reason: string, field: string];

/** Accepted by the API server (CEL cannot see the namespace or the time zone database), refused before any Job. */
const refusedByTheController: Accepted[] = [
  [
    'a minute out of range',
    imagefolder((o) => (o.spec.collection = { schedule: '61 * * * *' })),
    R.ScheduleInvalid,
    'spec.collection.schedule',
  ],
  [
    'a day of the week that is no name',
    imagefolder((o) => (o.spec.collection = { schedule: '0 2 * * funday' })),
    R.ScheduleInvalid,
    'spec.collection.schedule',
  ],
  [
    'a snapshot on the 30th of February, which never comes',
    imagefolder((o) => (o.spec.snapshot = { schedule: '0 0 30 2 *' })),
    R.ScheduleInvalid,
    'spec.snapshot.schedule',
  ],
  [
    'an IANA-shaped collection time zone that does not exist',
    imagefolder((o) => (o.spec.collection = { schedule: '@daily', timeZone: 'Mars/Olympus_Mons' })),
    R.ScheduleInvalid,
    'spec.collection.timeZone',
  ],
  [
    'a snapshot time zone that does not exist',
    imagefolder((o) => (o.spec.snapshot = { schedule: '@monthly', timeZone: 'Europe/Atlantis' })),
    R.ScheduleInvalid,
    'spec.snapshot.timeZone',
  ],
  [
    'gold as an absolute path (s3://bucket//...)',
    imagefolder((o) => (o.spec.gold = { uri: `s3://${BUCKET}//imports/${ns}/gold/` })),
    R.LocationInvalid,
    'spec.gold.uri',
  ],
  [
    'an s3 source prefix with an empty segment',
    imagefolder((o) => (o.spec.sources = [uploads(`s3://${BUCKET}/imports/${ns}//incoming/`)])),
    R.LocationInvalid,
    'spec.sources[0].s3.uri',
  ],
  [
    'an http URL that does not parse',
    imagefolder((o) => (o.spec.sources = [web({ url: 'http://[partner]/a.jpg', label: 'cat' })])),
    R.LocationInvalid,
    'spec.sources[0].http.urls[0].url',
  ],
  [
    "gold under another namespace's imports",
    imagefolder((o) => (o.spec.gold = { uri: `s3://${BUCKET}/imports/other-team/gold/` })),
    R.LocationOutsideNamespace,
    'spec.gold.uri',
  ],
  [
    "an s3 source of the operator's whole bucket",
    imagefolder((o) => (o.spec.sources = [feedback(), uploads(`s3://${BUCKET}/`)])),
    R.LocationOutsideNamespace,
    'spec.sources[1].s3.uri',
  ],
  [
    "images among another namespace's blobs",
    imagefolder(
      (o) => (o.spec.sources = [feedback((p) => (p.images = { uri: `s3://${BUCKET}/objects/other-team/` }))]),
    ),
    R.LocationOutsideNamespace,
    'spec.sources[0].postgres.images.uri',
  ],
  [
    'an s3 source in another bucket without its Secret',
    imagefolder((o) => (o.spec.sources = [uploads('s3://partner-data/pets/')])),
    R.CredentialsRequired,
    'spec.sources[0].s3.credentialsSecret',
  ],
  [
    'images in another store without its Secret',
    imagefolder(
      (o) =>
        (o.spec.sources = [
          feedback(
            (p) => (p.images = { uri: `s3://${BUCKET}/`, endpoint: 'https://s3.eu-west-1.amazonaws.com' }),
          ),
        ]),
    ),
    R.CredentialsRequired,
    'spec.sources[0].postgres.images.credentialsSecret',
  ],
  [
    'an image URL whose label is empty',
    imagefolder((o) => (o.spec.sources = [web({ url: 'https://x.example/a.jpg', label: '' })])),
    R.DatasetSpecInvalid,
    'sources.0.http.urls.0.label',
  ],
  [
    'a start of collection with a decimal comma',
    imagefolder((o) => (o.spec.collection = { schedule: '@daily', since: '2026-01-01T00:00:00,5Z' })),
    R.DatasetSpecInvalid,
    'collection.since',
  ],
  [
    'a label of 200 characters outside the Basic Multilingual Plane',
    imagefolder((o) => (o.spec.sources = [web({ url: 'https://x.example/a.jpg', label: '🐈'.repeat(200) })])),
    R.DatasetSpecInvalid,
    'sources.0.http.urls.0.label',
  ],
];

describe('the API server rejects an invalid Dataset', () => {
  const groups = { schedules, sources, locations, limits };

  it('has a table of 40 invalid Datasets, with the update below', () => {
    const rejected = Object.values(groups).flat().length + 1;
    expect(rejected + refusedByTheController.length).toBeGreaterThanOrEqual(40);
  });

  it('accepts the valid Dataset the cases start from, and so does the controller', async () => {
    const valid = imagefolder((o) => {
      o.spec.gold = { uri: `s3://${BUCKET}/imports/${ns}/gold/pets/` };
      o.spec.sources = [
        feedback(),
        uploads(`s3://${BUCKET}/imports/${ns}/incoming/`),
        web({ url: 'https://x.example/a.jpg', label: 'cat' }),
      ];
      o.spec.collection = { schedule: '0 2 * * *', timeZone: 'Europe/Berlin' };
      o.spec.snapshot = { schedule: '0 3 1 * *' };
    });
    const created = (await create(ns, valid, { dryRun: true })) as unknown as Dataset;
    expect(checkDatasetSpec(created, BUCKET)).toEqual({ ok: true });
  });

  it.each(schedules)('schedules: rejects %s', async (_title, object, message) => {
    await expectRejected(object, message);
  });

  it.each(sources)('sources: rejects %s', async (_title, object, message) => {
    await expectRejected(object, message);
  });

  it.each(locations)('locations: rejects %s', async (_title, object, message) => {
    await expectRejected(object, message);
  });

  it.each(limits)('limits: rejects %s', async (_title, object, message) => {
    await expectRejected(object, message);
  });

  it.each([
    [
      'a tabular Dataset changed to imagefolder',
      'spec.format: Invalid value: "string": is immutable: the snapshots of a Dataset share one format',
    ],
  ])('updates: rejects %s', async (_title, message) => {
    const stored = tabularDataset((o) => (o.metadata.name = 'rows'));
    await create(ns, stored);
    const update = changed(await read(ns, 'Dataset', 'rows'), (o) => {
      o.spec.format = 'imagefolder';
      delete o.spec.tabular;
    });
    const { code, message: actual } = await rejection(replace(ns, update));
    expect(code).toBe(422);
    expect(actual).toContain(message);
  });
});

async function expectRejected(object: BosunObject, message: string) {
  const { code, message: actual } = await rejection(create(ns, object, { dryRun: true }));
  expect(code).toBe(422);
  expect(actual).toContain(message);
}

describe('what the API server accepts and the Dataset controller refuses before any Job', () => {
  it.each(refusedByTheController)('%s', async (_title, object, reason, field) => {
    const created = (await create(ns, object, { dryRun: true })) as unknown as Dataset;
    expect(created.metadata.namespace).toBe(ns);
    const result = checkDatasetSpec(created, BUCKET);
    expect(result).toMatchObject({ ok: false, reason });
    if (!result.ok) expect(result.message).toContain(field);
  });
});
