import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../../operator/api/dataset.ts';
import { checkDatasetSpec, SPEC_CHECK_REASONS } from '../../../../operator/controllers/dataset/spec-check.ts';
import {
  aDataset,
  anHttpSource,
  anS3Source,
  aPostgresSource,
  aRowsSource,
  inNamespace,
  tabular,
  withCollection,
  withGold,
  withSnapshotSchedule,
  withSources,
} from '../../gen/dataset.ts';

const R = SPEC_CHECK_REASONS;
const BUCKET = 'bosun';
const TEAM_A_PREFIXES = 'models/team-a/, runs/team-a/, datasets/team-a/, objects/team-a/, imports/team-a/';

const ds = (...mods: Parameters<typeof aDataset>[1][]) => aDataset('pets', ...mods);

describe('checkDatasetSpec accepts', () => {
  it.each<[string, Dataset]>([
    ['the smallest Dataset', ds()],
    [
      'a Dataset of every kind of source, in its own prefixes, schedules in known zones',
      ds(
        withGold('s3://bosun/imports/team-a/gold/pets/'),
        withSources(
          aPostgresSource('feedback'),
          anS3Source('uploads', 's3://bosun/imports/team-a/incoming'),
          anHttpSource('partner', { url: 'https://partner.example/pets/1.jpg?sig=x', label: 'cat' }),
        ),
        withCollection('@daily', 'Europe/Berlin'),
        withSnapshotSchedule('0 3 1 * *', 'America/New_York'),
      ),
    ],
    [
      'images relative to a folder above or below its own prefixes',
      ds(
        withSources(
          aPostgresSource('blobs', (p) => (p.images = { uri: 's3://bosun/objects/' })),
          aPostgresSource('imports', (p) => (p.images = { uri: 's3://bosun/imports/team-a/served/' })),
        ),
      ),
    ],
    [
      'another bucket or store with its credentials Secret',
      ds(
        withGold('s3://partner/gold/', { credentialsSecret: { name: 'partner' } }),
        withSources(
          anS3Source('lab', 's3://bosun/', {
            endpoint: 'https://s3.eu-west-1.amazonaws.com',
            credentialsSecret: { name: 'lab' },
          }),
        ),
      ),
    ],
    ['a tabular Dataset with a rows source', ds(tabular(), withSources(aRowsSource('rows')))],
    ['a time zone without a snapshot schedule', ds(withSnapshotSchedule(undefined, 'Asia/Tokyo'))],
  ])('%s', (_title, dataset) => {
    expect(checkDatasetSpec(dataset, BUCKET)).toEqual({ ok: true });
  });
});

const refusals: [title: string, dataset: Dataset, reason: string, contains: string[]][] = [
  // Schedules: what CEL lets through and cron-parser or the time zone database does not.
  [
    'a minute out of range',
    ds(withCollection('61 * * * *')),
    R.ScheduleInvalid,
    ['spec.collection.schedule "61 * * * *"', 'range 0-59'],
  ],
  [
    'a day of the week that is no name',
    ds(withCollection('0 2 * * funday')),
    R.ScheduleInvalid,
    ['spec.collection.schedule'],
  ],
  [
    'a snapshot day that never comes',
    ds(withSnapshotSchedule('0 0 30 2 *')),
    R.ScheduleInvalid,
    ['spec.snapshot.schedule "0 0 30 2 *"'],
  ],
  [
    'an unknown collection time zone',
    ds(withCollection('@daily', 'Mars/Olympus_Mons')),
    R.ScheduleInvalid,
    ['spec.collection.timeZone "Mars/Olympus_Mons" is not a known IANA time zone'],
  ],
  [
    'an unknown snapshot time zone, even without a schedule',
    ds(withSnapshotSchedule(undefined, 'Europe/Atlantis')),
    R.ScheduleInvalid,
    ['spec.snapshot.timeZone "Europe/Atlantis"'],
  ],
  // Locations that do not parse into key segments.
  [
    'gold with an empty path segment',
    ds(withGold('s3://bosun/imports/team-a//gold/')),
    R.LocationInvalid,
    ['spec.gold.uri', '"//"'],
  ],
  [
    'gold as an absolute path',
    ds(withGold('s3://bosun//imports/team-a/gold/')),
    R.LocationInvalid,
    ['spec.gold.uri', 'must not start with "/"'],
  ],
  [
    'an s3 source with an encoded ".."',
    ds(withSources(anS3Source('up', 's3://bosun/imports/team-a/%2e%2e/team-b/'))),
    R.LocationInvalid,
    ['spec.sources[0].s3.uri'],
  ],
  [
    'an s3 source with no slash after the bucket',
    ds(withSources(anS3Source('up', 's3://bosun'))),
    R.LocationInvalid,
    ['spec.sources[0].s3.uri "s3://bosun" must be s3://<bucket>/<prefix>/'],
  ],
  [
    'images with a backslash',
    ds(withSources(aPostgresSource('fb', (p) => (p.images = { uri: 's3://bosun/imports\\team-a/' })))),
    R.LocationInvalid,
    ['spec.sources[0].postgres.images.uri'],
  ],
  [
    'an endpoint that is no URL',
    ds(withGold('s3://lab/gold/', { endpoint: 'http://[lab]', credentialsSecret: { name: 'lab' } })),
    R.LocationInvalid,
    ['spec.gold.endpoint is not a URL'],
  ],
  [
    'an http URL that does not parse',
    ds(
      withSources(
        anHttpSource('web', { url: 'https://x/1.jpg', label: 'a' }, { url: 'http://[x]/2.jpg', label: 'b' }),
      ),
    ),
    R.LocationInvalid,
    ['spec.sources[0].http.urls[1].url "http://[x]/2.jpg" is not a URL'],
  ],
  // Locations in the operator's bucket outside the namespace.
  [
    "gold under another namespace's imports",
    ds(withGold('s3://bosun/imports/team-b/gold/')),
    R.LocationOutsideNamespace,
    ['spec.gold.uri must lie under', TEAM_A_PREFIXES],
  ],
  [
    'gold at the bucket root',
    ds(withGold('s3://bosun/')),
    R.LocationOutsideNamespace,
    ['spec.gold.uri', TEAM_A_PREFIXES],
  ],
  [
    'gold as the whole imports prefix of the namespace',
    ds(withGold('s3://bosun/imports/team-a/')),
    R.LocationOutsideNamespace,
    ['spec.gold.uri'],
  ],
  [
    "an s3 source in another namespace's datasets",
    ds(withSources(aPostgresSource('fb'), anS3Source('up', 's3://bosun/datasets/team-b/pets/'))),
    R.LocationOutsideNamespace,
    ['spec.sources[1].s3.uri', TEAM_A_PREFIXES],
  ],
  [
    'images that can only lead to another namespace',
    ds(withSources(aPostgresSource('fb', (p) => (p.images = { uri: 's3://bosun/objects/team-b/' })))),
    R.LocationOutsideNamespace,
    ['spec.sources[0].postgres.images.uri must be the bucket root or lead to', TEAM_A_PREFIXES],
  ],
  [
    'a namespace whose name is a prefix of another',
    ds(inNamespace('team'), withGold('s3://bosun/imports/team-a/gold/')),
    R.LocationOutsideNamespace,
    ['imports/team/'],
  ],
  // Other buckets and stores need their Secret.
  [
    'gold in another bucket',
    ds(withGold('s3://partner/gold/')),
    R.CredentialsRequired,
    ['spec.gold.uri is in another bucket or store (partner)', 'spec.gold.credentialsSecret', 'team-a'],
  ],
  [
    "the operator's bucket name in another store",
    ds(
      withSources(anS3Source('lab', 's3://bosun/imports/team-a/x/', { endpoint: 'https://s3.example.com' })),
    ),
    R.CredentialsRequired,
    ['spec.sources[0].s3.credentialsSecret'],
  ],
  [
    'images in another bucket',
    ds(withSources(aPostgresSource('fb', (p) => (p.images = { uri: 's3://served/' })))),
    R.CredentialsRequired,
    ['spec.sources[0].postgres.images.credentialsSecret'],
  ],
  // What the data jobs refuse and CEL does not.
  [
    'an imagefolder URL with an empty label',
    ds(withSources(anHttpSource('web', { url: 'https://x/1.jpg', label: '' }))),
    R.DatasetSpecInvalid,
    ['sources.0.http.urls.0.label: required for an imagefolder Dataset'],
  ],
  [
    'a start of collection that is not RFC 3339',
    ds(withCollection('@daily'), (d) => {
      if (d.spec.collection) d.spec.collection.since = '2026-01-01T00:00:00,5Z';
    }),
    R.DatasetSpecInvalid,
    ['collection.since'],
  ],
  [
    'a label longer than 253 UTF-16 code units (the API counts characters)',
    ds(withSources(anHttpSource('web', { url: 'https://x/1.jpg', label: '🐈'.repeat(200) }))),
    R.DatasetSpecInvalid,
    ['sources.0.http.urls.0.label'],
  ],
];

describe('checkDatasetSpec refuses', () => {
  it('has a case of every reason', () => {
    expect(new Set(refusals.map(([, , reason]) => reason))).toEqual(new Set(Object.values(R)));
  });

  it.each(refusals)('%s', (_title, dataset, reason, contains) => {
    const result = checkDatasetSpec(dataset, BUCKET);
    expect(result).toMatchObject({ ok: false, reason });
    if (result.ok) return;
    for (const text of contains) expect(result.message).toContain(text);
  });

  const problems = [
    withGold('s3://bosun/imports/team-b/gold/'),
    withSources(anS3Source('a', 's3://bosun/imports/team-a/a/'), anS3Source('b', 's3://elsewhere/b/')),
    withCollection('@daily', 'Nowhere/Town'),
    withSnapshotSchedule('0 0 30 2 *'),
  ];
  it.each([
    [0, 'spec.gold.uri'],
    [1, 'spec.sources[1].s3.uri'],
    [2, 'spec.collection.timeZone'],
    [3, 'spec.snapshot.schedule'],
  ])('reports the first problem in spec order: without the first %i, %s', (first, field) => {
    const result = checkDatasetSpec(ds(...problems.slice(first)), BUCKET);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.startsWith(field)).toBe(true);
  });

  it("never names another namespace's key or whether anything exists", () => {
    for (const dataset of [
      ds(withGold('s3://bosun/imports/team-b/secret-gold/')),
      ds(withSources(anS3Source('up', 's3://bosun/datasets/team-b/pets/'))),
      ds(withSources(aPostgresSource('fb', (p) => (p.images = { uri: 's3://bosun/objects/team-b/' })))),
    ]) {
      const result = checkDatasetSpec(dataset, BUCKET);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.message).not.toContain('team-b');
      expect(result.message).not.toMatch(/exist/i);
    }
  });
});
