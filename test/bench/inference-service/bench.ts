// Rollouts under load: an InferenceService that follows `production` with 2 replicas, a client Pod
// sending steady OIP v2 infer load through its Service (keep-alive, concurrency 8), and 5
// promotions that alternate the served version between two Ready tabular ModelVersions. For each
// it measures the time from the promotion to the new version serving every primary replica, when
// the client first saw the new version and last saw the old one, and the requests that succeeded
// and failed. Prints a table and the targets' verdicts (every failed request counts), and keeps
// the client's raw lines, the timings and the observed states in a results directory; asserts nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Deployment, V1PodList } from '@kubernetes/client-node';
import {
  MODEL_VERSION_LABEL,
  ROLE_LABEL,
  selectorString,
} from '../../../operator/controllers/inference-service/serving-names.ts';
import { stopEnvironment } from '../../cluster/environment.ts';
import { buildLocalImages, importImages } from '../../cluster/local-images.ts';
import {
  type ClientPod,
  createInferenceService,
  isvcCondition,
  readInferenceService,
  readyInferenceService,
  type ServingFixture,
  setStage,
  startClient,
  startServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from '../../e2e/operator/serving.ts';
import { cleanup, eventually, sleep } from '../../integration/operator/harness.ts';
import { useRunTempDir } from '../../integration/run-dirs.ts';
import { nodeEnvironment } from '../node-environment.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 5);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
// Steady load before the first promotion, so the first rollout meets warm servers and connections.
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
// One promotion every this many seconds: long enough for a rollout (two Pods started one after the
// other, each old Pod drained) and some steady load after it, so every row covers the same time.
const PERIOD_SECONDS = Number(process.env.BENCH_PERIOD_SECONDS ?? 40);
// The client runs this much longer than the last period, so its end never cuts a rollout short.
const CLIENT_SLACK_SECONDS = 5;
const TARGET_SECONDS = 20;
const TARGET_FAILED = 0;
const POLL_MS = 200;
const MODEL = 'bench';
const SERVICE = 'bench';

const RESULTS =
  process.env.BENCH_RESULTS_DIR ?? join(here, 'results', new Date().toISOString().replace(/[:.]/g, '-'));

/** One per-second line of the client's `load` command. */
interface ClientSecond {
  t: number;
  ok: number;
  failed: number;
  versions: Record<string, number>;
  seen: Record<string, [number, number]>;
  errors: Record<string, number>;
}

interface ClientSummary {
  summary: true;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  versions: Record<string, { first: number; last: number; count: number }>;
}

/** One promotion's moments, epoch milliseconds. */
interface Rollout {
  index: number;
  from: number;
  to: number;
  /** Just before the first PATCH of the promotion. */
  promotedAt: number;
  /**
   * The InferenceService was first Ready for its generation with the new version: that is also
   * once the replaced version's draining Pods have exited, so it comes after servedAt.
   */
  readyAt?: number;
  /** The primary Deployment first had every replica updated and ready on the new version's template. */
  deploymentAt?: number;
  /** The new version served every primary replica: the Deployment's moment (the target's figure). */
  servedAt?: number;
  /** No Pod of the old version was left (terminating ones included). */
  oldPodsGoneAt?: number;
  /** When status.history says the new version began to serve. */
  historyFrom?: string;
}

/** What a poll saw, in the few figures that tell a rollout's progress. */
interface Observed {
  ready: boolean;
  progressing: string | undefined;
  serving: number | undefined;
  templateVersion: string | undefined;
  desired: number;
  replicas: number;
  updated: number;
  readyReplicas: number;
  oldPods: number;
  historyFrom: string | undefined;
}

async function observe(
  f: ServingFixture,
  rollout: Rollout,
  names: Record<number, string>,
): Promise<Observed> {
  const ns = f.ns.watched;
  const oldSelector = selectorString({
    [ROLE_LABEL]: 'primary',
    [MODEL_VERSION_LABEL]: names[rollout.from] as string,
  });
  const [isvc, deployment, oldPods] = await Promise.all([
    readInferenceService(f, SERVICE),
    f.client.request<V1Deployment>('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${SERVICE}-primary`),
    f.client.request<V1PodList>(
      'GET',
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(oldSelector)}`,
    ),
  ]);
  const ready = isvcCondition(isvc, 'Ready');
  const status = deployment.status ?? {};
  const history = isvc.status?.history ?? [];
  return {
    ready: ready?.status === 'True' && ready.observedGeneration === isvc.metadata.generation,
    progressing: isvcCondition(isvc, 'Progressing')?.status,
    serving: isvc.status?.primary?.version,
    templateVersion:
      (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
        ? deployment.spec?.template.metadata?.labels?.[MODEL_VERSION_LABEL]
        : undefined,
    desired: deployment.spec?.replicas ?? 1,
    replicas: status.replicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    oldPods: oldPods.items.length,
    historyFrom: history.findLast((h) => h.role === 'primary' && h.version === rollout.to && !h.to)?.from,
  };
}

/**
 * Promotes `rollout.to` to production and moves the version leaving it to staging (the stage
 * serves its highest Ready version, so either PATCH may be the one that changes it), then polls
 * until the new version serves every primary replica and no Pod of the old one is left.
 */
async function promote(
  f: ServingFixture,
  rollout: Rollout,
  names: Record<number, string>,
  record: (line: object) => void,
  deadline: number,
): Promise<void> {
  rollout.promotedAt = Date.now();
  await setStage(f, names[rollout.to] as string, 'production');
  await setStage(f, names[rollout.from] as string, 'staging');
  let last = '';
  while (
    rollout.oldPodsGoneAt === undefined ||
    rollout.servedAt === undefined ||
    rollout.readyAt === undefined
  ) {
    if (Date.now() > deadline)
      throw new Error(
        `rollout ${rollout.index} (v${rollout.from} → v${rollout.to}) did not finish before the load ended: raise BENCH_PERIOD_SECONDS`,
      );
    const seen = await observe(f, rollout, names);
    // When the answers came: the state held by then at the latest, so no time is understated.
    const at = Date.now();
    const state = JSON.stringify(seen);
    if (state !== last) record({ rollout: rollout.index, at, ...seen });
    last = state;
    const isReady = seen.ready && seen.serving === rollout.to;
    const deployed =
      seen.templateVersion === names[rollout.to] &&
      seen.updated === seen.desired &&
      seen.readyReplicas === seen.desired &&
      seen.replicas === seen.desired;
    if (isReady) rollout.readyAt ??= at;
    if (deployed) rollout.deploymentAt ??= at;
    if (deployed) rollout.servedAt ??= at;
    if (seen.oldPods === 0 && rollout.servedAt !== undefined) rollout.oldPodsGoneAt ??= at;
    rollout.historyFrom ??= seen.historyFrom;
    await sleep(POLL_MS);
  }
}

/** The client's per-second lines and its summary, from its log. */
function parseClient(log: string): { seconds: ClientSecond[]; summary: ClientSummary | undefined } {
  const seconds: ClientSecond[] = [];
  let summary: ClientSummary | undefined;
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as ClientSecond | ClientSummary;
    if ('summary' in parsed) summary = parsed;
    else seconds.push(parsed);
  }
  return { seconds, summary };
}

interface Window {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** First and last time each version was seen in the window. */
  seen: Record<string, [number, number]>;
}

/** What the client counted in the seconds that ended in (start, end]. */
function windowOf(seconds: ClientSecond[], start: number, end: number): Window {
  const window: Window = { ok: 0, failed: 0, errors: {}, seen: {} };
  for (const s of seconds) {
    if (s.t <= start || s.t > end) continue;
    window.ok += s.ok;
    window.failed += s.failed;
    for (const [kind, n] of Object.entries(s.errors)) window.errors[kind] = (window.errors[kind] ?? 0) + n;
    for (const [v, [first, last]] of Object.entries(s.seen)) {
      const known = window.seen[v];
      window.seen[v] = known ? [Math.min(known[0], first), Math.max(known[1], last)] : [first, last];
    }
  }
  return window;
}

const secondsSince = (from: number, at: number | undefined) =>
  at === undefined ? '—' : `${((at - from) / 1000).toFixed(1)}`;

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  process.stderr.write(`raw outputs go to ${RESULTS}\n`);
  const images = buildLocalImages();
  images.catch(() => undefined);
  const { env, owned } = await nodeEnvironment('the benchmark needs a node for the serving Pods');
  // The operator ServiceAccount's kubeconfig (a token) and other temporary files: removed at the end.
  const removeRunTempDir = useRunTempDir();
  let f: ServingFixture | undefined;
  let client: ClientPod | undefined;
  let clientLog: string | undefined;
  const out: string[] = [];
  const print = (line = '') => {
    console.log(line);
    out.push(line);
  };
  try {
    if (!env.node) throw new Error(`the environment ${env.dir} has no node: the benchmark needs one`);
    const imported = await importImages(env.node.containerdSocket, await images);
    if (imported.length > 0) process.stderr.write(`imported ${imported.join(', ')}\n`);
    f = await startServing(env, 'bench-isvc');
    process.stderr.write(`operator log: ${f.operator.logFile}\n`);
    process.stderr.write('training two tabular models and registering them…\n');
    const first = await trainedModelVersion(f, MODEL, 1, { stage: 'production' });
    const second = await trainedModelVersion(f, MODEL, 2, { stage: 'staging' });
    const names: Record<number, string> = {
      1: first.metadata.name as string,
      2: second.metadata.name as string,
    };
    await createInferenceService(f, SERVICE, {
      model: { name: MODEL, stage: 'production' },
      replicas: REPLICAS,
    });
    const isvc = await readyInferenceService(f, SERVICE, 1);
    const url = `${isvc.status?.url}/v2/models/${MODEL}/infer`;

    const clientSeconds = WARMUP_SECONDS + ROLLOUTS * PERIOD_SECONDS + CLIENT_SLACK_SECONDS;
    process.stderr.write(
      `load: ${CONCURRENCY} keep-alive connections to ${url} for ${clientSeconds} s; a promotion every ${PERIOD_SECONDS} s after ${WARMUP_SECONDS} s\n`,
    );
    client = await startClient(f, [
      'load',
      url,
      '--json',
      TABULAR_REQUEST,
      '--concurrency',
      String(CONCURRENCY),
      '--seconds',
      String(clientSeconds),
    ]);
    const running = client;
    // The client's clock starts with its process: its first line comes a second later.
    const clientStart = await eventually(
      async () => {
        const line = parseClient(await running.logs()).seconds[0];
        if (!line) throw new Error(`the client ${running.name} has not started its load`);
        return line.t - 1000;
      },
      120_000,
      500,
    );
    const clientEnd = clientStart + clientSeconds * 1000;

    const states: string[] = [];
    const record = (line: object) => states.push(JSON.stringify(line));
    const rollouts: Rollout[] = [];
    let current = 1;
    for (let i = 1; i <= ROLLOUTS; i++) {
      const slot = clientStart + (WARMUP_SECONDS + (i - 1) * PERIOD_SECONDS) * 1000;
      if (Date.now() < slot) await sleep(slot - Date.now());
      const rollout: Rollout = { index: i, from: current, to: current === 1 ? 2 : 1, promotedAt: 0 };
      rollouts.push(rollout);
      try {
        // Every rollout must be over before the load ends, or the run would not measure it whole.
        await promote(f, rollout, names, record, clientEnd - 1000);
      } finally {
        writeFileSync(
          join(RESULTS, 'timings.jsonl'),
          `${rollouts.map((r) => JSON.stringify(r)).join('\n')}\n`,
        );
        writeFileSync(join(RESULTS, 'states.jsonl'), `${states.join('\n')}\n`);
      }
      process.stderr.write(
        `rollout ${i}: v${rollout.from} → v${rollout.to} served every replica after ${secondsSince(rollout.promotedAt, rollout.servedAt)} s\n`,
      );
      current = rollout.to;
    }

    clientLog = await client.finished(clientEnd - Date.now() + 60_000);
    const { seconds, summary } = parseClient(clientLog);
    if (!summary) throw new Error(`the client ${client.name} printed no summary`);

    print(
      `\nrollouts under load: InferenceService following production, ${REPLICAS} replicas, client Pod with ${CONCURRENCY} keep-alive connections (OIP v2 infer)`,
    );
    print(
      'seconds are from the promotion (the first PATCH); the client columns are when it first/last saw a version',
    );
    const header = [
      'rollout',
      'from→to',
      'every replica (s)',
      'Ready (s)',
      'Deployment (s)',
      'client 1st new (s)',
      'client last old (s)',
      'old Pods gone (s)',
      'requests ok',
      'requests failed',
    ];
    const rows: string[][] = [header];
    const before = windowOf(seconds, 0, rollouts[0]?.promotedAt ?? clientEnd);
    rows.push(['warm-up', `v1`, '', '', '', '', '', '', String(before.ok), String(before.failed)]);
    rollouts.forEach((r, at) => {
      const end = rollouts[at + 1]?.promotedAt ?? Number.POSITIVE_INFINITY;
      const w = windowOf(seconds, r.promotedAt, end);
      rows.push([
        String(r.index),
        `v${r.from}→v${r.to}`,
        secondsSince(r.promotedAt, r.servedAt),
        secondsSince(r.promotedAt, r.readyAt),
        secondsSince(r.promotedAt, r.deploymentAt),
        secondsSince(r.promotedAt, w.seen[String(r.to)]?.[0]),
        secondsSince(r.promotedAt, w.seen[String(r.from)]?.[1]),
        secondsSince(r.promotedAt, r.oldPodsGoneAt),
        String(w.ok),
        String(w.failed),
      ]);
    });
    const widths = header.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
    for (const row of rows) print(row.map((cell, c) => cell.padStart(widths[c] as number)).join('  '));

    const worst = Math.max(
      ...rollouts.map((r) => ((r.servedAt ?? Number.POSITIVE_INFINITY) - r.promotedAt) / 1000),
    );
    const counted = seconds.reduce((n, s) => n + s.ok + s.failed, 0);
    print();
    print(
      `time from the promotion to the new version on every primary replica, worst of ${rollouts.length}: ${worst.toFixed(1)} s (target ≤ ${TARGET_SECONDS} s): ${worst <= TARGET_SECONDS ? 'PASS' : 'FAIL'}`,
    );
    const worstReady = Math.max(
      ...rollouts.map((r) => ((r.readyAt ?? Number.POSITIVE_INFINITY) - r.promotedAt) / 1000),
    );
    print(
      `time from the promotion to Ready (which also waits for the replaced version's draining Pods to exit), worst of ${rollouts.length}: ${worstReady.toFixed(1)} s (no target)`,
    );
    print(
      `failed requests over the whole run: ${summary.failed} of ${summary.ok + summary.failed} (target ${TARGET_FAILED}): ${summary.failed <= TARGET_FAILED ? 'PASS' : 'FAIL'}`,
    );
    for (const [kind, n] of Object.entries(summary.errors)) print(`  ${n} × ${kind}`);
    if (counted !== summary.ok + summary.failed)
      print(
        `note: the per-second lines count ${counted} requests, the summary ${summary.ok + summary.failed}`,
      );
    writeFileSync(join(RESULTS, 'table.txt'), `${out.join('\n')}\n`);
    process.stderr.write(`table and raw outputs in ${RESULTS}\n`);
  } finally {
    // Also when the run ended early: what the load saw up to then.
    const log = clientLog ?? (await client?.logs());
    if (log) writeFileSync(join(RESULTS, 'client.jsonl'), log);
    if (f) {
      f.operator.kill('SIGTERM');
      await f.operator.exited;
      await cleanup(env, f.ns);
    }
    if (owned) await stopEnvironment(env);
    removeRunTempDir();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
