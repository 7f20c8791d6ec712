// The collect job's s3 and http sources against the real MinIO and an HTTP server of the test's own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCollectMessage } from '../../../images/data-jobs/job-contract.ts';
import { windowSegment } from '../../../lib/dataset/batch-window.ts';
import { batchManifestKey, batchSummaryKey, blobKey } from '../../../lib/store/keys.ts';
import { type BucketFixture, freshBucket } from '../clients.ts';
import { collectEnv, jpeg, readItems, readJson, runDataJob } from './helpers.ts';

const NS = 'default';
const HOUR = 3_600_000;
let t: BucketFixture;

/** The hourly window of now, with a minute left of it at least: the objects a test writes fall into it. */
async function hourWindow() {
  const left = HOUR - (Date.now() % HOUR);
  if (left < 60_000) await new Promise((resolve) => setTimeout(resolve, left + 1000));
  const start = new Date(Math.floor(Date.now() / HOUR) * HOUR);
  return { start, end: new Date(start.getTime() + HOUR) };
}

beforeAll(async () => {
  t = await freshBucket('collect-s3');
});

describe('collect from an s3 source', () => {
  it('collects the objects written in the window, labelled by their folder', async () => {
    const window = await hourWindow();
    const prefix = 'imports/default/incoming/';
    const cat = await jpeg(1);
    const png = await sharp(await jpeg(2))
      .png()
      .toBuffer();
    await t.store.putObject(`${prefix}cat/a.jpg`, cat);
    await t.store.putObject(`${prefix}cat/b.jpg`, await jpeg(3));
    await t.store.putObject(`${prefix}dog/c`, png);
    await t.store.putObject(`${prefix}dog/a-copy.jpg`, cat);
    await t.store.putObject(`${prefix}dog/broken.jpg`, cat.subarray(0, cat.length / 2));
    await t.store.putObject(`${prefix}readme.txt`, Buffer.from('not in a label folder'));
    await t.store.putObject('imports/default/gold/cat/g1.jpg', await jpeg(40));
    const spec = {
      format: 'imagefolder',
      gold: { uri: `s3://${t.bucket}/imports/default/gold/` },
      sources: [{ name: 'uploads', s3: { uri: `s3://${t.bucket}/${prefix}`, verified: true } }],
      collection: { schedule: '0 * * * *', timeZone: 'Etc/UTC', since: window.start.toISOString() },
    };
    const run = await runDataJob(
      'collect',
      collectEnv(t.env, 'uploads', spec, {
        BOSUN_NOW: new Date(window.end.getTime() + 60_000).toISOString(),
      }),
    );
    expect(run.stderr).toBe('');
    expect(parseCollectMessage(run.message)).toMatchObject({
      ok: true,
      windows: 1,
      items: 3,
      corrupt: 1,
      duplicates: 1,
    });
    const segment = windowSegment(window);
    const items = await readItems(t.store, batchManifestKey(NS, 'uploads', segment));
    expect(items.map((i) => [i.path, i.label, i.verified])).toEqual([
      ['cat/uploads/a.jpg', 'cat', true],
      ['cat/uploads/b.jpg', 'cat', true],
      ['dog/uploads/c.png', 'dog', true],
    ]);
    // Copied into the namespace's blobs, once per content.
    for (const item of items) expect(await t.store.exists(blobKey(NS, item.sha256))).toBe(true);
    expect(Date.parse(items[0]?.collectedAt ?? '')).toBeGreaterThanOrEqual(window.start.getTime());
    expect(await readJson(t.store, batchSummaryKey(NS, 'uploads', segment))).toMatchObject({
      labels: { cat: 2, dog: 1 },
      newLabels: ['dog'],
      leftOut: { corrupt: 1, unlabelled: 1, missing: 0 },
      sources: { uploads: { candidates: 6, items: 3, duplicates: 1 } },
    });
  });

  it('reads another bucket only with its own credentials, and copies what it collects', async () => {
    const window = await hourWindow();
    const partner = await freshBucket('partner');
    await partner.store.putObject('exports/cat/p1.jpg', await jpeg(50));
    const spec = {
      format: 'imagefolder',
      sources: [
        {
          name: 'partner',
          s3: { uri: `s3://${partner.bucket}/exports/`, credentialsSecret: { name: 'partner-s3' } },
        },
      ],
      collection: { schedule: '0 * * * *', timeZone: 'Etc/UTC', since: window.start.toISOString() },
    };
    const now = { BOSUN_NOW: window.end.toISOString() };
    const without = await runDataJob('collect', collectEnv(t.env, 'partner', spec, now));
    expect(without.code).toBe(1);
    expect(without.message).toMatch(
      /^CredentialsRequired: spec.sources\[0\].s3.uri s3:\/\/partner-[^ ]+\/exports\/ is not in the operator's bucket: it is read only with its credentialsSecret/,
    );
    const credentials = {
      BOSUN_SOURCE_0_ACCESS_KEY_ID: partner.env.BOSUN_STORE_ACCESS_KEY as string,
      BOSUN_SOURCE_0_SECRET_ACCESS_KEY: partner.env.BOSUN_STORE_SECRET_KEY as string,
    };
    const run = await runDataJob('collect', collectEnv(t.env, 'partner', spec, { ...now, ...credentials }));
    expect(parseCollectMessage(run.message)).toMatchObject({ ok: true, items: 1 });
    const [item] = await readItems(t.store, batchManifestKey(NS, 'partner', windowSegment(window)));
    expect(item).toMatchObject({
      path: 'cat/partner/p1.jpg',
      attributes: { object: `s3://${partner.bucket}/exports/cat/p1.jpg` },
    });
    expect(await t.store.exists(blobKey(NS, item?.sha256 as string))).toBe(true);
  });

  it("refuses a prefix outside the namespace's own", async () => {
    const spec = {
      format: 'imagefolder',
      sources: [{ name: 'theirs', s3: { uri: `s3://${t.bucket}/imports/other/photos/` } }],
      collection: { schedule: '@daily', timeZone: 'Etc/UTC' },
    };
    const run = await runDataJob('collect', collectEnv(t.env, 'theirs', spec));
    expect(run.code).toBe(1);
    expect(run.message).toMatch(
      /^OutsideNamespace: spec.sources\[0\].s3.uri must lie under the namespace's own prefixes/,
    );
  });

  it('takes the CSV and JSON lines files of a tabular Dataset as they are', async () => {
    const window = await hourWindow();
    const prefix = 'imports/default/lab/';
    await t.store.putObject(`${prefix}2026/a.csv`, Buffer.from('x,y,species\n1,2,setosa\n'));
    await t.store.putObject(`${prefix}b.jsonl`, Buffer.from('{"x":1,"y":2,"species":"virginica"}\n'));
    await t.store.putObject(`${prefix}notes.txt`, Buffer.from('what the lab measured'));
    const spec = {
      format: 'tabular',
      tabular: { labelColumn: 'species' },
      sources: [{ name: 'lab', s3: { uri: `s3://${t.bucket}/${prefix}` } }],
      collection: { schedule: '0 * * * *', timeZone: 'Etc/UTC', since: window.start.toISOString() },
    };
    const run = await runDataJob(
      'collect',
      collectEnv(t.env, 'lab', spec, { BOSUN_NOW: new Date(window.end.getTime()).toISOString() }),
    );
    expect(parseCollectMessage(run.message)).toMatchObject({ ok: true, items: 2, corrupt: 1 });
    const items = await readItems(t.store, batchManifestKey(NS, 'lab', windowSegment(window)));
    expect(items.map((i) => [i.path, i.label])).toEqual([
      ['lab/2026/a.csv', null],
      ['lab/b.jsonl', null],
    ]);
  });
});

describe('collect from an http source', () => {
  let server: Server;
  let base: string;
  const content = new Map<string, Buffer>();
  const requests: string[] = [];

  beforeAll(async () => {
    content.set('/photos/1.jpg', await jpeg(10));
    content.set(
      '/photos/2',
      await sharp(await jpeg(11))
        .png()
        .toBuffer(),
    );
    content.set('/export/rows?day=1', Buffer.from('a,b,label\n1,2,x\n'));
    content.set('/export/rows.jsonl', Buffer.from('{"a":1,"b":2,"label":"y"}\n'));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.headers['x-api-key'] !== 'k-123') {
        res.writeHead(401).end();
        return;
      }
      const body = content.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'content-type': req.url?.startsWith('/export/rows?') ? 'text/csv' : 'application/octet-stream',
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const imageSpec = () => ({
    format: 'imagefolder',
    sources: [
      {
        name: 'web',
        http: {
          urls: [
            { url: `${base}/photos/1.jpg`, label: 'cat' },
            { url: `${base}/photos/2`, label: 'dog' },
            { url: `${base}/photos/gone.jpg`, label: 'dog' },
          ],
          headersSecret: { name: 'web-headers' },
        },
      },
    ],
    collection: { schedule: '0 0 * * *', timeZone: 'Etc/UTC' },
  });
  const headers = { BOSUN_SOURCE_0_HEADER_X_Api_Key: 'k-123' };

  it('fetches every URL with the Secret’s headers, and collects each content once', async () => {
    const day = (d: number) => ({ BOSUN_NOW: `2026-02-0${d}T01:00:00Z`, ...headers });
    const first = await runDataJob('collect', collectEnv(t.env, 'web', imageSpec(), day(2)));
    expect(first.stderr).toBe('');
    expect(parseCollectMessage(first.message)).toMatchObject({ ok: true, windows: 1, items: 2 });
    const key = (d: number) => batchManifestKey(NS, 'web', `2026020${d - 1}T000000Z-2026020${d}T000000Z`);
    const items = await readItems(t.store, key(2));
    expect(items.map((i) => [i.path, i.label, i.attributes.url])).toEqual([
      ['cat/web/0.jpg', 'cat', `${base}/photos/1.jpg`],
      ['dog/web/1.png', 'dog', `${base}/photos/2`],
    ]);
    expect(
      await readJson(t.store, batchSummaryKey(NS, 'web', `20260201T000000Z-20260202T000000Z`)),
    ).toMatchObject({
      leftOut: { missing: 1 },
    });
    // The next window sees the same content: nothing new. Then one URL changes.
    const second = await runDataJob('collect', collectEnv(t.env, 'web', imageSpec(), day(3)));
    expect(parseCollectMessage(second.message)).toMatchObject({ ok: true, windows: 1, items: 0 });
    expect(
      await readJson(t.store, batchSummaryKey(NS, 'web', `20260202T000000Z-20260203T000000Z`)),
    ).toMatchObject({
      sources: { web: { unchanged: 2 } },
    });
    content.set('/photos/1.jpg', await jpeg(12));
    const third = await runDataJob('collect', collectEnv(t.env, 'web', imageSpec(), day(4)));
    expect(parseCollectMessage(third.message)).toMatchObject({ ok: true, windows: 1, items: 1 });
    expect((await readItems(t.store, key(4))).map((i) => i.path)).toEqual(['cat/web/0.jpg']);
  });

  it('fails with SourceAccessDenied when the server refuses the headers', async () => {
    const run = await runDataJob(
      'collect',
      collectEnv(t.env, 'refused', imageSpec(), { BOSUN_NOW: '2026-02-02T01:00:00Z' }),
    );
    expect(run.code).toBe(1);
    expect(run.message).toBe(
      `SourceAccessDenied: http source web: ${base}/photos/1.jpg answered 401: check the headersSecret`,
    );
  });

  it('collects CSV and JSON lines files for a tabular Dataset, with no query in what it records', async () => {
    const spec = {
      format: 'tabular',
      tabular: { labelColumn: 'label' },
      sources: [
        {
          name: 'exports',
          http: { urls: [{ url: `${base}/export/rows?day=1` }, { url: `${base}/export/rows.jsonl` }] },
        },
      ],
      collection: { schedule: '0 0 * * *', timeZone: 'Etc/UTC' },
    };
    const run = await runDataJob(
      'collect',
      collectEnv(t.env, 'exports', spec, { BOSUN_NOW: '2026-02-02T01:00:00Z', ...headers }),
    );
    expect(parseCollectMessage(run.message)).toMatchObject({ ok: true, items: 2 });
    const items = await readItems(
      t.store,
      batchManifestKey(NS, 'exports', '20260201T000000Z-20260202T000000Z'),
    );
    expect(items.map((i) => [i.path, i.attributes.url])).toEqual([
      ['exports/0.csv', `${base}/export/rows`],
      ['exports/1.jsonl', `${base}/export/rows.jsonl`],
    ]);
    const summary = JSON.stringify(
      await readJson(t.store, batchSummaryKey(NS, 'exports', '20260201T000000Z-20260202T000000Z')),
    );
    expect(summary).not.toContain('day=1');
  });
});

describe('when the store fails', () => {
  const spec = { format: 'imagefolder', collection: { schedule: '@daily', timeZone: 'Etc/UTC' } };

  it('exits for a retry with StoreUnavailable, saying so without a stack', async () => {
    const gone = await runDataJob(
      'collect',
      collectEnv({ ...t.env, BOSUN_STORE_BUCKET: `${t.bucket}-gone` }, 'any', spec),
    );
    expect(gone.code).toBe(2);
    expect(gone.message).toBe(
      'StoreUnavailable: the artifact store failed a request: The specified bucket does not exist',
    );
    const down = await runDataJob(
      'collect',
      collectEnv({ ...t.env, BOSUN_STORE_ENDPOINT: 'http://127.0.0.1:1' }, 'any', spec),
    );
    expect(down.code).toBe(2);
    expect(down.message).toBe(
      'StoreUnavailable: the artifact store failed a request: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(down.stdout + down.stderr).not.toContain('    at ');
  });
});
