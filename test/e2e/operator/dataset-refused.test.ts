// Specs the API server accepts and the Dataset controller refuses before any CronJob or Job
// (operator/controllers/dataset/spec-check.ts): CEL cannot see the namespace or the time zone
// database, and reads any five fields of cron characters. Each refused Dataset says why in Ready,
// naming the field, and has no CronJob and no Job while the spec stays as it is. Fixing the spec
// brings the CronJob; refusing a spec again removes it.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { eventually, sleep } from '../../integration/operator/harness.ts';
import {
  createDataset,
  type DatasetFixture,
  datasetCondition,
  datasetCronJobs,
  datasetJobs,
  datasetWhen,
  patchDataset,
  startDatasets,
} from './datasets.ts';
import { stopServing } from './serving.ts';

const env = inject('environment');
/** How long a refused Dataset is watched for a CronJob or Job that must not come. */
const QUIET_MS = 20_000;
let f: DatasetFixture;

interface Refused {
  name: string;
  title: string;
  spec: (f: DatasetFixture) => Record<string, unknown>;
  reason: string;
  field: string;
}

/** A valid imagefolder Dataset collecting uploads every minute; each case changes one thing. */
function spec(f: DatasetFixture, change: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'imagefolder',
    sources: [{ name: 'uploads', s3: { uri: `s3://${f.ns.bucket}/imports/${f.ns.watched}/incoming/` } }],
    collection: { schedule: '* * * * *', timeZone: 'Etc/UTC' },
    snapshot: { variants: ['full'] },
    ...change,
  };
}

const CASES: Refused[] = [
  {
    name: 'unknown-zone',
    title: 'an unknown time zone',
    spec: (f) => spec(f, { collection: { schedule: '* * * * *', timeZone: 'Mars/Olympus_Mons' } }),
    reason: 'ScheduleInvalid',
    field: 'spec.collection.timeZone',
  },
  {
    name: 'foreign-gold',
    title: 'gold outside the namespace',
    spec: (f) => spec(f, { gold: { uri: `s3://${f.ns.bucket}/imports/other-team/gold/` } }),
    reason: 'LocationOutsideNamespace',
    field: 'spec.gold.uri',
  },
  {
    name: 'last-day',
    title: 'a schedule with L (the last day of the month)',
    spec: (f) => spec(f, { collection: { schedule: '0 0 L * *', timeZone: 'Etc/UTC' } }),
    reason: 'ScheduleInvalid',
    field: 'spec.collection.schedule',
  },
  {
    name: 'partner-bucket',
    title: 'another bucket without credentialsSecret',
    spec: (f) => spec(f, { sources: [{ name: 'partner', s3: { uri: 's3://partner-data/pets/' } }] }),
    reason: 'CredentialsRequired',
    field: 'spec.sources[0].s3.credentialsSecret',
  },
];

/** Ready=False with `reason` for the Dataset's current generation. */
function refusedWith(reason: string) {
  return (ds: Dataset) => {
    const ready = datasetCondition(ds, 'Ready');
    if (
      ready?.status !== 'False' ||
      ready.reason !== reason ||
      ready.observedGeneration !== ds.metadata.generation
    )
      throw new Error(
        `${ds.metadata.name}: not refused with ${reason}: ${JSON.stringify(ds.status?.conditions)}`,
      );
  };
}

async function children(name: string): Promise<{ cronJobs: string[]; jobs: string[] }> {
  const [cronJobs, jobs] = await Promise.all([datasetCronJobs(f, name), datasetJobs(f, name)]);
  return { cronJobs: cronJobs.map((c) => c.metadata?.name ?? ''), jobs: jobs.map((j) => j.name) };
}

beforeAll(async () => {
  f = await startDatasets(env, 'ds-refused');
}, 120_000);

afterAll(async () => {
  await stopServing(env, f);
});

describe('Dataset specs the controller refuses', () => {
  it('says why in Ready, naming the field, and starts no CronJob and no Job', async () => {
    // Every spec below is one the API server takes.
    for (const c of CASES) await createDataset(f, c.name, c.spec(f));
    await Promise.all(
      CASES.map(async (c) => {
        const ds = await datasetWhen(f, c.name, refusedWith(c.reason), 60_000);
        const ready = datasetCondition(ds, 'Ready');
        expect(ready?.message, c.title).toContain(c.field);
        expect(ready?.message, c.title).toContain('no Job is started until the spec is fixed');
        expect(ready?.message, c.title).not.toMatch(/\n|\bat .*\.ts:\d+/);
        const since = ready?.lastTransitionTime;
        for (const deadline = Date.now() + QUIET_MS; Date.now() < deadline; await sleep(1_000))
          expect(await children(c.name), c.title).toEqual({ cronJobs: [], jobs: [] });
        // Still refused, for the same reason, since the same moment.
        const after = await datasetWhen(f, c.name, refusedWith(c.reason), 1_000);
        expect(datasetCondition(after, 'Ready')?.lastTransitionTime, c.title).toBe(since);
      }),
    );
  }, 180_000);

  it('renders the CronJob once the spec is fixed, and removes it when a refused spec is applied again', async () => {
    const name = 'last-day';
    // A schedule a CronJob reads, with no run due during the test.
    await patchDataset(f, name, { spec: { collection: { schedule: '0 3 1 * *' } } });
    const fixed = await datasetWhen(f, name, (ds) => {
      const ready = datasetCondition(ds, 'Ready');
      if (ready?.observedGeneration !== ds.metadata.generation || ready?.reason === 'ScheduleInvalid')
        throw new Error(`not reconciled yet: ${JSON.stringify(ds.status?.conditions)}`);
    });
    // Nothing else is wrong: it waits for its first snapshot.
    expect(datasetCondition(fixed, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingSnapshot' });
    const [cronJob] = await eventually(async () => {
      const list = await datasetCronJobs(f, name);
      if (list.length === 0) throw new Error('no CronJob yet');
      return list;
    }, 60_000);
    expect(cronJob?.metadata?.name).toBe(`${name}-collect`);
    expect(cronJob?.spec).toMatchObject({ schedule: '0 3 1 * *', timeZone: 'Etc/UTC', suspend: false });

    await patchDataset(f, name, { spec: { collection: { timeZone: 'Europe/Atlantis' } } });
    const refused = await datasetWhen(f, name, refusedWith('ScheduleInvalid'));
    expect(datasetCondition(refused, 'Ready')?.message).toContain('spec.collection.timeZone');
    await eventually(async () => {
      const left = await children(name);
      if (left.cronJobs.length > 0) throw new Error(`the CronJob is still there: ${left.cronJobs}`);
    }, 60_000);
    expect(await children(name)).toEqual({ cronJobs: [], jobs: [] });
  }, 180_000);
});
