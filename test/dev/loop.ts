// The demo of `make dev`, step by step, on scikit-learn's digits: the loop the design describes
// (serve → log → verify → collect → snapshot → retrain → promote only if better → roll out) run
// against an installed Bosun. `make dev` runs it at full size, test/e2e/dev-loop.test.ts at a
// reduced one; both call these steps. Every step reads what is there first, so running the demo
// again on the same namespace picks up where it is instead of starting over.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { createTableStatements } from '../../images/inference-server/prediction-table.ts';
import type { ArtifactStore } from '../../lib/store/client.ts';
import { blobKey, snapshotSummaryKey } from '../../lib/store/keys.ts';
import type { Dataset } from '../../operator/api/dataset.ts';
import { API_VERSION, SNAPSHOT_REQUESTED_ANNOTATION } from '../../operator/api/group.ts';
import type { InferenceService } from '../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../operator/api/model-version.ts';
import type { TrainingRun } from '../../operator/api/training-run.ts';
import { KubeApiError, type KubeClient } from '../../operator/runtime/kube-client.ts';
import type { ServingFixture } from '../e2e/operator/serving.ts';
import { startClient } from '../e2e/operator/serving.ts';
import { type Digit, digitPath, digitPng, loadDigits, type SplitSizes, splitDigits } from './digits.ts';
import { type BatchInfo, type LineageVersion, readBatches } from './lineage.ts';
import { type Progress, waitFor } from './progress.ts';

/** Where the demo runs: an installed Bosun watching `namespace`, and how to reach its stores. */
export interface DemoTarget {
  /** A client with the rights of the namespace's owner. */
  client: KubeClient;
  namespace: string;
  /** The operator's bucket, reached with credentials that may write the namespace's imports/. */
  store: ArtifactStore;
  bucket: string;
  /** The prediction log's table (one per demo, so a test's never meets make dev's). */
  table: string;
  database: {
    /** PostgreSQL as this process reaches it: creating the log table, giving feedback. */
    url: string;
    /** The same database as Pods reach it, for the Secrets. */
    urlForPods: string;
  };
}

export interface DemoSize extends SplitSizes {
  /** Training epochs of the image classifier. */
  epochs: number;
}

/** `make dev`: 300 gold digits, 400 sent to the model, 300 of them given their true label. */
export const FULL_DEMO: DemoSize = { goldPerClass: 30, heldOutPerClass: 40, feedbackShare: 0.75, epochs: 15 };
/** The test's: 120 gold, 80 sent, 60 verified. */
export const SMALL_DEMO: DemoSize = { goldPerClass: 12, heldOutPerClass: 8, feedbackShare: 0.75, epochs: 8 };

/** The names of everything the demo creates in its namespace. */
export const DEMO_NAMES = {
  dataset: 'digits',
  model: 'digits',
  template: 'digits-retrain',
  service: 'digits',
  databaseSecret: 'digits-predictions',
  firstRequest: 'first',
  secondRequest: 'after-feedback',
} as const;

const FIELD_MANAGER = 'bosun-dev';
const STAGE = 'production';

export interface Sample {
  digit: Digit;
  png: Buffer;
  sha256: string;
}

export interface DemoData {
  gold: Sample[];
  heldOut: Sample[];
  feedback: Sample[];
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const goldPrefix = (t: DemoTarget) => `imports/${t.namespace}/${DEMO_NAMES.dataset}/gold/`;
const apiPath = (t: DemoTarget, plural: string, name = '') =>
  `/apis/${API_VERSION}/namespaces/${t.namespace}/${plural}${name ? `/${name}` : ''}`;

/** Step 0: the digits, split and encoded as PNG. */
export async function prepareData(size: DemoSize, progress: Progress): Promise<DemoData> {
  const digits = await loadDigits((line) => progress.info(line));
  const split = splitDigits(digits, size);
  const encode = (list: Digit[]) =>
    Promise.all(
      list.map(async (digit) => {
        const png = await digitPng(digit);
        return { digit, png, sha256: sha256(png) };
      }),
    );
  const [gold, heldOut] = await Promise.all([encode(split.gold), encode(split.heldOut)]);
  const feedback = heldOut.slice(0, split.feedback.length);
  progress.info(
    `${digits.length} digits from scikit-learn: ${gold.length} gold, ${heldOut.length} held out, ${feedback.length} of those get feedback`,
  );
  return { gold, heldOut, feedback };
}

async function applyObject(t: DemoTarget, path: string, body: Record<string, unknown>): Promise<void> {
  await t.client.request('PATCH', path, {
    query: { fieldManager: FIELD_MANAGER, force: true },
    body,
    contentType: 'application/apply-patch+yaml',
  });
}

/** Step 1a: the gold PNGs under the namespace's imports/, as `<label>/<index>.png`. */
export async function uploadGold(t: DemoTarget, data: DemoData, progress: Progress): Promise<void> {
  const there = new Set(await t.store.list(goldPrefix(t)));
  const missing = data.gold.filter((s) => !there.has(`${goldPrefix(t)}${digitPath(s.digit)}`));
  for (const s of missing)
    await t.store.putObject(`${goldPrefix(t)}${digitPath(s.digit)}`, s.png, 'image/png');
  progress.info(
    `gold: ${data.gold.length} PNGs at s3://${t.bucket}/${goldPrefix(t)} (${missing.length} uploaded now)`,
  );
}

/** The Dataset: gold, the prediction log as a source collected every minute, and the template. */
export function datasetSpec(t: DemoTarget, size: DemoSize): Record<string, unknown> {
  const table = t.table;
  return {
    format: 'imagefolder',
    gold: { uri: `s3://${t.bucket}/${goldPrefix(t)}` },
    sources: [
      {
        name: 'feedback',
        postgres: {
          connectionSecret: { name: DEMO_NAMES.databaseSecret },
          // Windowed on the time a row becomes final: a prediction verified later lands, verified,
          // in the window of its verification (datasets.md, Late rows).
          query: [
            'SELECT id, coalesce(label, predicted_label) AS label, verified, confidence, object_key',
            `FROM ${table}`,
            `WHERE model = '${DEMO_NAMES.model}'`,
            '  AND coalesce(verified_at, created_at) >= $1 AND coalesce(verified_at, created_at) < $2',
          ].join('\n'),
          columns: {
            id: 'id',
            label: 'label',
            verified: 'verified',
            confidence: 'confidence',
            objectKey: 'object_key',
          },
          images: { uri: `s3://${t.bucket}/` },
        },
      },
    ],
    collection: { schedule: '* * * * *', timeZone: 'Etc/UTC' },
    snapshot: { variants: ['verified', 'full'] },
    training: [
      {
        name: DEMO_NAMES.template,
        variant: 'verified',
        spec: {
          trainer: {
            builtin: {
              task: 'image-classification',
              // The digits are 8×8: twice that leaves room for both poolings.
              hyperparameters: { imageSize: 16, fit: 'fill', epochs: size.epochs },
            },
          },
          model: { name: DEMO_NAMES.model },
          promotion: { metric: 'accuracy', direction: 'maximize', stage: STAGE },
        },
      },
    ],
  };
}

/** Step 1b: the prediction log's table and Secret, and the Dataset. */
export async function applyDataset(t: DemoTarget, size: DemoSize, progress: Progress): Promise<void> {
  // The server creates the table too, but the first collection may run before it starts.
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  try {
    for (const statement of createTableStatements(t.table)) await db.query(statement);
  } finally {
    await db.end();
  }
  await applyObject(t, `/api/v1/namespaces/${t.namespace}/secrets/${DEMO_NAMES.databaseSecret}`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: DEMO_NAMES.databaseSecret },
    data: { url: Buffer.from(t.database.urlForPods).toString('base64') },
  });
  await applyObject(t, apiPath(t, 'datasets', DEMO_NAMES.dataset), {
    apiVersion: API_VERSION,
    kind: 'Dataset',
    metadata: { name: DEMO_NAMES.dataset },
    spec: datasetSpec(t, size),
  });
  progress.info(
    `Dataset ${DEMO_NAMES.dataset}: gold + the prediction log (table ${t.table}) collected every minute; template ${DEMO_NAMES.template} promotes to ${STAGE} only a better version`,
  );
}

export const readDataset = (t: DemoTarget) =>
  t.client.request<Dataset>('GET', apiPath(t, 'datasets', DEMO_NAMES.dataset));
export const readRun = (t: DemoTarget, name: string) =>
  t.client.request<TrainingRun>('GET', apiPath(t, 'trainingruns', name));
export const readModelVersion = (t: DemoTarget, name: string) =>
  t.client.request<ModelVersion>('GET', apiPath(t, 'modelversions', name));
export const readService = (t: DemoTarget) =>
  t.client.request<InferenceService>('GET', apiPath(t, 'inferenceservices', DEMO_NAMES.service));
const nameOf = (o: { metadata: { name?: string } }) => o.metadata.name ?? '';
const modelVersionName = (version: number) => `${DEMO_NAMES.model}-v${version}`;

const optional = <T>(read: Promise<T>): Promise<T | undefined> =>
  read.catch((error: unknown) => {
    if (error instanceof KubeApiError && error.code === 404) return undefined;
    throw error;
  });

/** Requests a snapshot (unless one newer than `after` exists) and waits until it is published. */
async function snapshotAfter(
  t: DemoTarget,
  after: string,
  request: string,
  progress: Progress,
  timeoutMs: number,
): Promise<string> {
  const now = await readDataset(t);
  if ((now.status?.latestSnapshot?.version ?? '') <= after) {
    await t.client.request('PATCH', apiPath(t, 'datasets', DEMO_NAMES.dataset), {
      body: { metadata: { annotations: { [SNAPSHOT_REQUESTED_ANNOTATION]: request } } },
      contentType: 'application/merge-patch+json',
    });
    progress.info(`requested a snapshot (${SNAPSHOT_REQUESTED_ANNOTATION}: ${request})`);
  }
  const ds = await waitFor(progress, {
    what: `Dataset ${DEMO_NAMES.dataset}`,
    read: () => readDataset(t),
    describe: (d) => {
      const ready = d.status?.conditions?.find((c) => c.type === 'Ready');
      const latest = d.status?.latestSnapshot;
      return latest && latest.version > after
        ? `snapshot ${latest.version} published (${latest.items} items)`
        : `${ready?.reason ?? 'no status yet'}${ready?.message ? `: ${ready.message}` : ''}`;
    },
    done: (d) => (d.status?.latestSnapshot?.version ?? '') > after,
    timeoutMs,
  });
  return ds.status?.latestSnapshot?.version as string;
}

export interface TrainedVersion {
  snapshot: string;
  run: TrainingRun;
  modelVersion: ModelVersion;
}

/** Waits for the template's run on `snapshot` to succeed, and for its ModelVersion. */
async function trainedOn(
  t: DemoTarget,
  snapshot: string,
  progress: Progress,
  timeoutMs: number,
): Promise<TrainedVersion> {
  const name = `${DEMO_NAMES.template}-${snapshot}`;
  const run = await waitFor(progress, {
    what: `TrainingRun ${name}`,
    read: () => readRun(t, name),
    describe: (r) => {
      const c = r.status?.conditions?.find((x) => x.type === 'Succeeded');
      const epoch = r.status?.progress?.epoch;
      return `${c?.reason ?? 'created'}${epoch !== undefined && c?.reason === 'Running' ? ` (epoch ${epoch})` : ''}${
        c?.status === 'False' ? `: ${c.message}` : ''
      }`;
    },
    done: (r) => {
      const c = r.status?.conditions?.find((x) => x.type === 'Succeeded');
      if (c?.status === 'False' && ['JobFailed', 'DeadlineExceeded', 'ArtifactInvalid'].includes(c.reason))
        throw new Error(`TrainingRun ${name} failed: ${c.reason}: ${c.message}`);
      return c?.status === 'True';
    },
    timeoutMs,
  });
  const registered = run.status?.modelVersion?.name as string;
  const modelVersion = await readModelVersion(t, registered);
  progress.info(
    `${registered}: ${run.status?.keyMetric ?? 'no metric'}; ${run.status?.promotion?.message ?? 'no promotion asked'}`,
  );
  return { snapshot, run, modelVersion };
}

/** Step 2a: the first snapshot (gold only), its TrainingRun, and digits-v1 in production. */
export async function firstVersion(
  t: DemoTarget,
  progress: Progress,
  timeoutMs = 600_000,
): Promise<TrainedVersion> {
  const v1 = await optional(readModelVersion(t, modelVersionName(1)));
  const snapshot =
    v1?.spec.source?.dataset?.snapshot ??
    (await snapshotAfter(t, '', DEMO_NAMES.firstRequest, progress, timeoutMs));
  return trainedOn(t, snapshot, progress, timeoutMs);
}

/** Step 2b: the InferenceService that follows production, Ready. */
export async function serve(
  t: DemoTarget,
  progress: Progress,
  timeoutMs = 300_000,
): Promise<InferenceService> {
  await applyObject(t, apiPath(t, 'inferenceservices', DEMO_NAMES.service), {
    apiVersion: API_VERSION,
    kind: 'InferenceService',
    metadata: { name: DEMO_NAMES.service },
    spec: {
      model: { name: DEMO_NAMES.model, stage: STAGE },
      replicas: 1,
      predictionLog: {
        connectionSecret: { name: DEMO_NAMES.databaseSecret },
        table: t.table,
        storeInputs: true,
      },
    },
  });
  return servingProduction(t, progress, timeoutMs);
}

/** The InferenceService once Ready, serving the highest Ready version in production. */
export async function servingProduction(
  t: DemoTarget,
  progress: Progress,
  timeoutMs = 300_000,
  version?: number,
): Promise<InferenceService> {
  return waitFor(progress, {
    what: `InferenceService ${DEMO_NAMES.service}`,
    read: () => readService(t),
    describe: (s) => {
      const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
      const serving = s.status?.primary?.modelVersion ?? 'nothing';
      return `${ready?.status === 'True' ? 'Ready' : (ready?.reason ?? 'no status yet')}, serving ${serving}`;
    },
    done: (s) => {
      const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
      return (
        ready?.status === 'True' &&
        ready.observedGeneration === s.metadata.generation &&
        (version === undefined || s.status?.primary?.version === version)
      );
    },
    timeoutMs,
  });
}

async function withDatabase<T>(t: DemoTarget, body: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  try {
    return await body(db);
  } finally {
    await db.end();
  }
}

/** Logged predictions of these samples' images, by the blob key the server stored each under. */
async function loggedKeys(t: DemoTarget, samples: Sample[]): Promise<Set<string>> {
  const keys = samples.map((s) => blobKey(t.namespace, s.sha256));
  return withDatabase(t, async (db) => {
    const rows = await db.query<{ object_key: string }>(
      `SELECT DISTINCT object_key FROM ${t.table} WHERE object_key = ANY($1)`,
      [keys],
    );
    return new Set(rows.rows.map((r) => r.object_key));
  });
}

export interface Classified {
  sent: number;
  /** Of those sent now, how many the serving version got right. */
  correct: number;
  versions: Record<string, number>;
}

/**
 * Step 3a: the held-out images not yet logged are sent to classify through the Service, from a
 * client Pod in the namespace; resolves once every one of them is in the prediction log.
 */
export async function classifyHeldOut(
  t: DemoTarget,
  data: DemoData,
  service: InferenceService,
  progress: Progress,
  timeoutMs = 300_000,
): Promise<Classified> {
  const logged = await loggedKeys(t, data.heldOut);
  const toSend = data.heldOut.filter((s) => !logged.has(blobKey(t.namespace, s.sha256)));
  const result: Classified = { sent: toSend.length, correct: 0, versions: {} };
  if (toSend.length > 0) {
    const url = `${service.status?.url}/v2/models/${DEMO_NAMES.model}/classify?top_k=1`;
    progress.info(`sending ${toSend.length} held-out images to ${url} from a client Pod`);
    const args = ['requests', 'POST', url, '--header', 'content-type=image/png'];
    for (const s of toSend) args.push('--body-base64', s.png.toString('base64'));
    // startClient needs only the client and the namespace of a serving fixture.
    const fixture = { client: t.client, ns: { watched: t.namespace } } as ServingFixture;
    const log = await (await startClient(fixture, args)).finished(timeoutMs);
    const answers = log
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { status: number; body: string });
    if (answers.length !== toSend.length)
      throw new Error(`the client got ${answers.length} answers to ${toSend.length} images`);
    answers.forEach((a, i) => {
      if (a.status !== 200) throw new Error(`classify answered ${a.status}: ${a.body.slice(0, 300)}`);
      const body = JSON.parse(a.body) as { model_version: string; predictions: { label: string }[] };
      result.versions[body.model_version] = (result.versions[body.model_version] ?? 0) + 1;
      if (body.predictions[0]?.label === toSend[i]?.digit.label) result.correct++;
    });
    progress.info(
      `${result.correct} of ${toSend.length} classified right by ${Object.keys(result.versions)
        .map((v) => `${DEMO_NAMES.model}-v${v}`)
        .join(', ')}`,
    );
  }
  await waitFor(progress, {
    what: 'prediction log',
    read: () => loggedKeys(t, data.heldOut),
    describe: (keys) => `${keys.size} of ${data.heldOut.length} held-out predictions logged`,
    done: (keys) => keys.size === data.heldOut.length,
    timeoutMs: 60_000,
  });
  return result;
}

export interface Feedback {
  /** Rows verified by this call. */
  updated: number;
  /** Rows of the feedback samples verified in all. */
  verified: number;
  /** The latest verified_at among them: a collection past it has them. */
  lastVerifiedAt: Date;
}

/**
 * Step 3b: a person's feedback — the true label of a share of the held-out predictions, written
 * into the prediction log as a labelling tool would (an UPDATE of the rows).
 */
export async function giveFeedback(t: DemoTarget, data: DemoData, progress: Progress): Promise<Feedback> {
  return withDatabase(t, async (db) => {
    let updated = 0;
    for (const s of data.feedback) {
      const r = await db.query(
        `UPDATE ${t.table} SET label = $1, verified = true, verified_at = now()
         WHERE object_key = $2 AND model = $3 AND NOT verified`,
        [s.digit.label, blobKey(t.namespace, s.sha256), DEMO_NAMES.model],
      );
      updated += r.rowCount ?? 0;
    }
    const summary = await db.query<{ verified: string; last: Date; corrected: string }>(
      `SELECT count(*) AS verified, max(verified_at) AS last, count(*) FILTER (WHERE label <> predicted_label) AS corrected
       FROM ${t.table} WHERE verified AND object_key = ANY($1)`,
      [data.feedback.map((s) => blobKey(t.namespace, s.sha256))],
    );
    const row = summary.rows[0] as { verified: string; last: Date; corrected: string };
    progress.info(
      `feedback: ${row.verified} predictions verified with their true label (${row.corrected} of them corrected), ${updated} now`,
    );
    return { updated, verified: Number(row.verified), lastVerifiedAt: new Date(row.last) };
  });
}

/** Step 4a: waits for a collection whose window ends after the last feedback. */
export async function feedbackCollected(
  t: DemoTarget,
  feedback: Feedback,
  progress: Progress,
  timeoutMs = 300_000,
): Promise<Dataset> {
  return waitFor(progress, {
    what: 'collection',
    read: () => readDataset(t),
    describe: (d) => {
      const last = d.status?.lastCollection;
      return last
        ? `window up to ${last.window.end} collected${last.batch ? '' : ' (empty)'}`
        : 'no collection yet';
    },
    done: (d) =>
      new Date(d.status?.lastCollection?.window.end ?? 0).getTime() > feedback.lastVerifiedAt.getTime(),
    timeoutMs,
    intervalMs: 2000,
  });
}

/** Step 4b: a snapshot with the collected feedback; the template trains the next version on it. */
export async function secondVersion(
  t: DemoTarget,
  first: TrainedVersion,
  progress: Progress,
  timeoutMs = 600_000,
): Promise<TrainedVersion> {
  const next = await optional(readModelVersion(t, modelVersionName(first.modelVersion.spec.version + 1)));
  const snapshot =
    next?.spec.source?.dataset?.snapshot ??
    (await snapshotAfter(t, first.snapshot, DEMO_NAMES.secondRequest, progress, timeoutMs));
  return trainedOn(t, snapshot, progress, timeoutMs);
}

/** Step 4c: the InferenceService serving the winner: the new version if it was promoted. */
export async function rolledOver(
  t: DemoTarget,
  first: TrainedVersion,
  second: TrainedVersion,
  progress: Progress,
  timeoutMs = 300_000,
): Promise<InferenceService> {
  const winner = second.run.status?.promotion?.promoted ? second : first;
  progress.info(
    second.run.status?.promotion?.promoted
      ? `${second.modelVersion.metadata.name} took ${STAGE}: the InferenceService rolls over to it`
      : `${second.modelVersion.metadata.name} did not beat ${first.modelVersion.metadata.name}: the InferenceService stays`,
  );
  return servingProduction(t, progress, timeoutMs, winner.modelVersion.spec.version);
}

/** What step 5 prints: each version's lineage, read back from the cluster and the store. */
export async function lineageOf(t: DemoTarget, trained: TrainedVersion): Promise<LineageVersion> {
  const run = await readRun(t, nameOf(trained.run));
  const mv = await readModelVersion(t, nameOf(trained.modelVersion));
  const variant = run.status?.snapshot?.variant ?? 'verified';
  const summary = JSON.parse(
    (
      await t.store.getObject(snapshotSummaryKey(t.namespace, DEMO_NAMES.dataset, trained.snapshot, variant))
    ).toString(),
  ) as { items: number; sources?: Record<string, number>; batches?: { windows?: string[] } };
  const batches: BatchInfo[] = await readBatches(
    t.store,
    t.namespace,
    DEMO_NAMES.dataset,
    summary.batches?.windows ?? [],
  );
  return {
    modelVersion: nameOf(mv),
    stage: mv.spec.stage ?? 'none',
    run: nameOf(run),
    snapshot: trained.snapshot,
    variant,
    manifestSha256: run.status?.snapshot?.manifest.sha256 ?? '',
    items: summary.items,
    sources: summary.sources ?? {},
    batches,
    metrics: run.status?.metrics ?? {},
    promotion: run.status?.promotion?.message ?? '',
  };
}

export interface DemoResult {
  data: DemoData;
  first: TrainedVersion;
  second: TrainedVersion;
  classified: Classified;
  feedback: Feedback;
  service: InferenceService;
  lineage: LineageVersion[];
}

/** The whole demo, in the issue's five steps; `step` numbers them on the caller's progress. */
export async function runDemo(t: DemoTarget, size: DemoSize, progress: Progress): Promise<DemoResult> {
  progress.step('gold data and the Dataset');
  const data = await prepareData(size, progress);
  await uploadGold(t, data, progress);
  await applyDataset(t, size, progress);
  progress.step('first snapshot → TrainingRun → digits-v1 → production → InferenceService');
  const first = await firstVersion(t, progress);
  await serve(t, progress);
  progress.step('held-out images to classify; feedback on a share of them');
  const classified = await classifyHeldOut(t, data, await readService(t), progress);
  const feedback = await giveFeedback(t, data, progress);
  progress.step('collection → snapshot → digits-v2 → promotion decided by accuracy');
  await feedbackCollected(t, feedback, progress);
  const second = await secondVersion(t, first, progress);
  const service = await rolledOver(t, first, second, progress);
  progress.step('lineage');
  const lineage = [await lineageOf(t, first), await lineageOf(t, second)];
  return { data, first, second, classified, feedback, service, lineage };
}
