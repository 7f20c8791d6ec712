// The operator's overhead around a trivial trainer: 50 TrainingRuns created at once on the real
// node, each training the example custom trainer (test/e2e/images/example-trainer: reads a
// 30-row snapshot, writes model.onnx, signature.json and metrics.json within a second or so).
// From watches on the TrainingRuns, their Jobs, the ModelVersions and the verification Jobs it
// times, per run, apply → training Job created (target ≤ 2 s) and training Job succeeded →
// ModelVersion Ready, its verification included (target ≤ 15 s), with the steps between. Prints
// the per-run table, p50/p95/max and the verdicts (every run that did not get there is an error),
// and keeps the moments and every observed change in a results directory; asserts nothing.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Condition } from '../../../operator/api/common.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import type { TrainingRun } from '../../../operator/api/training-run.ts';
import { verificationJobName } from '../../../operator/controllers/model-version/artifact-identity.ts';
import { jobState } from '../../../operator/controllers/shared/job-state.ts';
import { TERMINAL_REASONS } from '../../../operator/controllers/training-run/reasons.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { stopEnvironment } from '../../cluster/environment.ts';
import { buildLocalImages, imageRef, importImages } from '../../cluster/local-images.ts';
import type { DatasetFixture } from '../../e2e/operator/datasets.ts';
import { watchJobCreations } from '../../e2e/operator/job-creations.ts';
import { stopServing } from '../../e2e/operator/serving.ts';
import { createTrainingRun, startTraining, tabularDataset } from '../../e2e/operator/training.ts';
import { sleep } from '../../integration/operator/harness.ts';
import { useRunTempDir } from '../../integration/run-dirs.ts';
import { nodeEnvironment } from '../node-environment.ts';
import { type Latencies, latencies, meetsTarget } from './latencies.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const ROWS = Number(process.env.BENCH_ROWS ?? 30);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600);
/** The operator's `--concurrency` (reconciles at once per controller); its own default when unset. */
const CONCURRENCY = process.env.BENCH_CONCURRENCY;
const TARGET_JOB_SECONDS = 2;
const TARGET_READY_SECONDS = 15;
const DATASET = 'tiny';
const MODEL = 'bench';
/** Small requests, so that the node's CPU requests do not hold the 50 trivial Pods back. */
const RESOURCES = { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } };
const RESULTS =
  process.env.BENCH_RESULTS_DIR ?? join(here, 'results', new Date().toISOString().replace(/[:.]/g, '-'));

/** One run's moments, epoch milliseconds, as the benchmark's watches first saw them. */
interface RunMoments {
  name: string;
  /** Just before its POST. */
  sentAt: number;
  /** The POST's answer. */
  answeredAt?: number;
  /**
   * The TrainingRun's ADDED event ("apply": it exists, and watchers such as the operator see it).
   * Seen through the same kind of watch as the Job's, so the watches' delay cancels out.
   */
  appliedAt?: number;
  createError?: string;
  /** The snapshot pinned in its status: the operator's first reconcile of it has begun. */
  pinnedAt?: number;
  jobAddedAt?: number;
  /** The Job unsuspended, its store credentials minted. */
  jobResumedAt?: number;
  /** ADDED events of its training Job: more than one is a duplicate Job. */
  jobAdded: number;
  /**
   * The Job's first success condition, SuccessCriteriaMet or Complete (the operator's jobState):
   * Complete follows only once the Job's Pods have gone, and the operator does not wait for it.
   */
  jobSucceededAt?: number;
  jobFailedAt?: number;
  modelVersion?: string;
  modelVersionAddedAt?: number;
  verificationJob?: string;
  verificationAddedAt?: number;
  /** Its (first) Pod bound to the node, its container running, its container terminated. */
  verificationScheduledAt?: number;
  verificationStartedAt?: number;
  verificationExitedAt?: number;
  verificationDoneAt?: number;
  readyAt?: number;
  /** Ready=False: the version failed verification. */
  notReady?: string;
  succeededAt?: number;
  /** Succeeded=False with a terminal reason. */
  failed?: string;
}

interface WatchSpec<T> {
  kind: string;
  path: string;
  onEvent: (object: T, at: number) => void;
  /** A short summary of what matters in the object: a change of it is written to events.jsonl. */
  summary: (object: T) => string;
}

const conditionOf = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);

/** Watches from a list's resourceVersion (nothing after it is missed); `stop()` throws if a watch ended early. */
async function watchAll(
  client: KubeClient,
  specs: WatchSpec<never>[],
  record: (line: object) => void,
): Promise<() => void> {
  const abort = new AbortController();
  const failures: string[] = [];
  for (const spec of specs as WatchSpec<{ metadata?: { name?: string } }>[]) {
    const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', spec.path);
    const last = new Map<string, string>();
    void client
      .watch<{ metadata?: { name?: string } }>(
        spec.path,
        { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
        (event) => {
          if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
          const at = Date.now();
          const name = event.object.metadata?.name as string;
          spec.onEvent(event.object as never, at);
          const summary = `${event.type} ${spec.summary(event.object as never)}`;
          if (last.get(name) !== summary) record({ t: at, kind: spec.kind, name, event: summary });
          last.set(name, summary);
        },
        { signal: abort.signal, idleMs: 900_000 },
      )
      .then(
        () => abort.signal.aborted || failures.push(`${spec.kind}: the API server closed the watch`),
        (error: unknown) => abort.signal.aborted || failures.push(`${spec.kind}: ${String(error)}`),
      );
  }
  return () => {
    abort.abort();
    if (failures.length > 0)
      throw new Error(`a watch ended before the benchmark did: ${failures.join('; ')}`);
  };
}

function runSpec(): Record<string, unknown> {
  return {
    dataset: { name: DATASET, snapshot: 'latest', variant: 'full' },
    trainer: {
      container: {
        image: imageRef('example-trainer'),
        args: ['--hyperparameters', JSON.stringify({ target: 'cls' })],
      },
    },
    model: { name: MODEL },
    resources: RESOURCES,
  };
}

const seconds = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? undefined : (to - from) / 1000;
const cell = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));

/** Why a run did not give both figures, or undefined. */
function errorOf(r: RunMoments): string | undefined {
  if (r.createError) return `not created: ${r.createError}`;
  if (r.jobAdded > 1) return `training Job created ${r.jobAdded} times`;
  if (r.failed) return `run failed: ${r.failed}`;
  if (r.notReady) return `ModelVersion not Ready: ${r.notReady}`;
  if (r.jobAddedAt === undefined) return 'no training Job';
  if (r.jobFailedAt !== undefined) return 'training Job failed';
  if (r.jobSucceededAt === undefined) return 'training Job did not succeed in time';
  if (r.readyAt === undefined) return 'ModelVersion not Ready in time';
  if (r.succeededAt === undefined) return 'run not Succeeded in time';
  return undefined;
}

/** Warnings and errors in the operator's log (pino levels 40 and up), counted by message and first line of the error. */
function operatorProblems(logFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; err?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if ((entry.level ?? 0) < 40) continue;
    const err = typeof entry.err === 'string' ? entry.err.split('\n')[0] : undefined;
    const key = `${entry.level === 40 ? 'warn' : 'error'} ${entry.msg}${err ? `: ${err.slice(0, 160)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Columns right-aligned (figures), but for the first and any in `left` (names, errors). */
function table(rows: string[][], print: (line: string) => void, left: number[] = []): void {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  for (const row of rows)
    print(
      row
        .map((text, c) =>
          c === 0 || left.includes(c) ? text.padEnd(widths[c] as number) : text.padStart(widths[c] as number),
        )
        .join('  ')
        .trimEnd(),
    );
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  process.stderr.write(`raw outputs go to ${RESULTS}\n`);
  const images = buildLocalImages();
  images.catch(() => undefined);
  const { env, owned } = await nodeEnvironment('the benchmark needs a node for the training Pods');
  // The operator ServiceAccount's kubeconfig (a token) and other temporary files: removed at the end.
  const removeRunTempDir = useRunTempDir();
  let f: DatasetFixture | undefined;
  let stopWatches: (() => void) | undefined;
  const runs = new Map<string, RunMoments>();
  const byVerificationJob = new Map<string, RunMoments>();
  const events: string[] = [];
  const out: string[] = [];
  const print = (line = '') => {
    console.log(line);
    out.push(line);
  };
  const saveRaw = () => {
    writeFileSync(
      join(RESULTS, 'runs.jsonl'),
      `${[...runs.values()].map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
    writeFileSync(join(RESULTS, 'events.jsonl'), `${events.join('\n')}\n`);
  };
  try {
    const imported = await importImages(env.node?.containerdSocket as string, await images);
    if (imported.length > 0) process.stderr.write(`imported ${imported.join(', ')}\n`);
    f = await startTraining(env, 'bench-train', CONCURRENCY ? [`--concurrency=${CONCURRENCY}`] : []);
    const fixture = f;
    process.stderr.write(`operator log: ${f.operator.logFile}\n`);
    await tabularDataset(f, DATASET, { rows: ROWS });
    const ns = f.ns.watched;
    const runOfJob = (job: V1Job) =>
      runs.get(job.metadata?.ownerReferences?.find((o) => o.kind === 'TrainingRun')?.name ?? '');
    const jobDone = (job: V1Job, type: string) =>
      job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
    const jobSummary = (job: V1Job) =>
      `suspend=${job.spec?.suspend} active=${job.status?.active ?? 0} succeeded=${job.status?.succeeded ?? 0} failed=${job.status?.failed ?? 0} ${(job.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',')}`;
    stopWatches = await watchAll(
      f.client,
      [
        {
          kind: 'TrainingRun',
          path: `/apis/${API_VERSION}/namespaces/${ns}/trainingruns`,
          onEvent: (run: TrainingRun, at) => {
            const r = runs.get(run.metadata.name as string);
            if (r) r.appliedAt ??= at;
            if (r && run.status?.snapshot) r.pinnedAt ??= at;
            const c = conditionOf(run.status?.conditions, 'Succeeded');
            if (!r || !c) return;
            if (c.status === 'True') r.succeededAt ??= at;
            if (c.status === 'False' && TERMINAL_REASONS.has(c.reason))
              r.failed ??= `${c.reason}: ${c.message}`;
          },
          summary: (run: TrainingRun) => {
            const c = conditionOf(run.status?.conditions, 'Succeeded');
            return `${c?.status} ${c?.reason}: ${c?.message}`;
          },
        },
        {
          kind: 'Job',
          path: `/apis/batch/v1/namespaces/${ns}/jobs`,
          onEvent: (job: V1Job, at) => {
            const r = runOfJob(job);
            if (!r) return;
            r.jobAddedAt ??= at;
            if (job.spec?.suspend === false) r.jobResumedAt ??= at;
            const state = jobState(job).phase;
            if (state === 'Succeeded') r.jobSucceededAt ??= at;
            if (state === 'Failed') r.jobFailedAt ??= at;
          },
          summary: jobSummary,
        },
        {
          kind: 'ModelVersion',
          path: `/apis/${API_VERSION}/namespaces/${ns}/modelversions`,
          onEvent: (mv: ModelVersion, at) => {
            const r = runs.get(mv.spec.source?.trainingRun ?? '');
            if (!r) return;
            r.modelVersion ??= mv.metadata.name as string;
            r.modelVersionAddedAt ??= at;
            const job = verificationJobName({
              namespace: ns,
              uri: mv.spec.artifact.uri,
              sha256: mv.spec.artifact.sha256,
            });
            r.verificationJob ??= job;
            byVerificationJob.set(job, r);
            const ready = conditionOf(mv.status?.conditions, 'Ready');
            if (ready?.status === 'True') r.readyAt ??= at;
            if (ready?.status === 'False') r.notReady ??= `${ready.reason}: ${ready.message}`;
          },
          summary: (mv: ModelVersion) => {
            const ready = conditionOf(mv.status?.conditions, 'Ready');
            return `v${mv.spec.version} of ${mv.spec.source?.trainingRun}: Ready ${ready?.status} ${ready?.reason}`;
          },
        },
        {
          kind: 'VerificationJob',
          path: `/apis/batch/v1/namespaces/${f.ns.operator}/jobs`,
          onEvent: (job: V1Job, at) => {
            const r = byVerificationJob.get(job.metadata?.name as string);
            if (!r) return;
            r.verificationAddedAt ??= at;
            if (jobDone(job, 'Complete') || jobDone(job, 'Failed')) r.verificationDoneAt ??= at;
          },
          summary: jobSummary,
        },
        {
          kind: 'VerificationPod',
          path: `/api/v1/namespaces/${f.ns.operator}/pods`,
          onEvent: (pod: V1Pod, at) => {
            const r = byVerificationJob.get(pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? '');
            if (!r) return;
            if (pod.spec?.nodeName) r.verificationScheduledAt ??= at;
            const state = pod.status?.containerStatuses?.[0]?.state;
            if (state?.running || state?.terminated) r.verificationStartedAt ??= at;
            if (state?.terminated) r.verificationExitedAt ??= at;
          },
          summary: (pod: V1Pod) => {
            const state = pod.status?.containerStatuses?.[0]?.state;
            const container = state?.terminated
              ? `terminated ${state.terminated.exitCode}`
              : state?.running
                ? 'running'
                : (state?.waiting?.reason ?? 'none');
            return `node=${pod.spec?.nodeName ?? ''} phase=${pod.status?.phase} container=${container}`;
          },
        },
      ] as WatchSpec<never>[],
      (line) => events.push(JSON.stringify(line)),
    );
    // ADDED events per Job name: a second one is a duplicate Job (the moments above take the first).
    const jobCreations = watchJobCreations(f.client, ns);
    const names = Array.from({ length: RUNS }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}`);
    for (const name of names) runs.set(name, { name, sentAt: 0, jobAdded: 0 });
    process.stderr.write(`creating ${RUNS} TrainingRuns at once (example trainer, ${ROWS} rows)…\n`);
    const started = Date.now();
    await Promise.all(
      names.map(async (name) => {
        const r = runs.get(name) as RunMoments;
        r.sentAt = Date.now();
        try {
          await createTrainingRun(fixture, name, runSpec());
          r.answeredAt = Date.now();
        } catch (error) {
          r.createError = error instanceof Error ? error.message : String(error);
        }
      }),
    );
    const deadline = started + TIMEOUT_SECONDS * 1000;
    const settled = (r: RunMoments) =>
      r.createError !== undefined ||
      r.failed !== undefined ||
      (r.succeededAt !== undefined && r.readyAt !== undefined);
    let reported = 0;
    while (![...runs.values()].every(settled) && Date.now() < deadline) {
      await sleep(500);
      const done = [...runs.values()].filter(settled).length;
      if (done >= reported + 10 || (done === RUNS && done !== reported)) {
        process.stderr.write(
          `${done} of ${RUNS} runs settled after ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
        reported = done;
      }
    }
    const wall = (Math.max(...[...runs.values()].map((r) => r.succeededAt ?? Date.now())) - started) / 1000;
    jobCreations.stop();
    for (const [job, n] of jobCreations.created) {
      const r = runs.get(job.replace(/-train$/, ''));
      if (r) r.jobAdded = n;
    }
    stopWatches();
    stopWatches = undefined;

    const all = [...runs.values()];
    const header = [
      'run',
      'pinned (s)',
      'Job created (s)',
      'resumed (s)',
      'Job ran (s)',
      'MV created (s)',
      'verify Job (s)',
      'verified (s)',
      'MV Ready (s)',
      'run Succeeded (s)',
      'error',
    ];
    print(
      `\nTrainingRun overhead: ${RUNS} runs of the example custom trainer on a ${ROWS}-row snapshot, created at once, one node`,
    );
    print(
      "seconds as the watches saw each change: pinned, Job created and resumed from the TrainingRun's ADDED event; Job ran from the Job's; the rest from the Job's first success condition (SuccessCriteriaMet or Complete)",
    );
    const rows: string[][] = [header];
    for (const r of all)
      rows.push([
        r.name,
        cell(seconds(r.appliedAt, r.pinnedAt)),
        cell(seconds(r.appliedAt, r.jobAddedAt)),
        cell(seconds(r.appliedAt, r.jobResumedAt)),
        cell(seconds(r.jobAddedAt, r.jobSucceededAt)),
        cell(seconds(r.jobSucceededAt, r.modelVersionAddedAt)),
        cell(seconds(r.jobSucceededAt, r.verificationAddedAt)),
        cell(seconds(r.jobSucceededAt, r.verificationDoneAt)),
        cell(seconds(r.jobSucceededAt, r.readyAt)),
        cell(seconds(r.jobSucceededAt, r.succeededAt)),
        (errorOf(r) ?? '').slice(0, 120),
      ]);
    table(rows, print, [header.length - 1]);

    const figures = (pick: (r: RunMoments) => number | undefined) =>
      latencies(all.map(pick).filter((v): v is number => v !== undefined));
    const intervals: { name: string; figures: Latencies; target?: number }[] = [
      { name: 'apply → snapshot pinned', figures: figures((r) => seconds(r.appliedAt, r.pinnedAt)) },
      {
        name: 'apply → training Job created',
        figures: figures((r) => seconds(r.appliedAt, r.jobAddedAt)),
        target: TARGET_JOB_SECONDS,
      },
      {
        name: 'apply → Job resumed (credentials minted)',
        figures: figures((r) => seconds(r.appliedAt, r.jobResumedAt)),
      },
      {
        name: 'training Job created → succeeded',
        figures: figures((r) => seconds(r.jobAddedAt, r.jobSucceededAt)),
      },
      {
        name: 'Job succeeded → ModelVersion created',
        figures: figures((r) => seconds(r.jobSucceededAt, r.modelVersionAddedAt)),
      },
      {
        name: 'Job succeeded → verification Job created',
        figures: figures((r) => seconds(r.jobSucceededAt, r.verificationAddedAt)),
      },
      {
        name: 'verification Job created → its Pod scheduled',
        figures: figures((r) => seconds(r.verificationAddedAt, r.verificationScheduledAt)),
      },
      {
        name: 'verification Pod scheduled → running',
        figures: figures((r) => seconds(r.verificationScheduledAt, r.verificationStartedAt)),
      },
      {
        name: 'verification Pod running → exited',
        figures: figures((r) => seconds(r.verificationStartedAt, r.verificationExitedAt)),
      },
      {
        name: 'verification Pod exited → Job done',
        figures: figures((r) => seconds(r.verificationExitedAt, r.verificationDoneAt)),
      },
      {
        name: 'Job succeeded → verification Job done',
        figures: figures((r) => seconds(r.jobSucceededAt, r.verificationDoneAt)),
      },
      {
        name: 'verification Job done → ModelVersion Ready',
        figures: figures((r) => seconds(r.verificationDoneAt, r.readyAt)),
      },
      {
        name: 'Job succeeded → ModelVersion Ready',
        figures: figures((r) => seconds(r.jobSucceededAt, r.readyAt)),
        target: TARGET_READY_SECONDS,
      },
      {
        name: 'Job succeeded → run Succeeded',
        figures: figures((r) => seconds(r.jobSucceededAt, r.succeededAt)),
      },
    ];
    print();
    const summary: string[][] = [['interval', 'runs', 'p50 (s)', 'p95 (s)', 'max (s)', 'target']];
    for (const i of intervals)
      summary.push([
        i.name,
        String(i.figures.n),
        cell(i.figures.p50),
        cell(i.figures.p95),
        cell(i.figures.max),
        i.target === undefined ? '' : `≤ ${i.target} s`,
      ]);
    table(summary, print);

    const errors = all.map(errorOf).filter((e): e is string => e !== undefined);
    print();
    print(`all ${RUNS} runs, first POST to last run Succeeded: ${wall.toFixed(1)} s`);
    for (const i of intervals.filter((i) => i.target !== undefined)) {
      const ok = meetsTarget(i.figures, RUNS, i.target as number);
      print(
        `${i.name}, worst of ${i.figures.n} of ${RUNS}: ${cell(i.figures.max)} s (target ≤ ${i.target} s for every run): ${ok ? 'PASS' : 'FAIL'}`,
      );
    }
    print(
      `runs with an error: ${errors.length} of ${RUNS} (target 0): ${errors.length === 0 ? 'PASS' : 'FAIL'}`,
    );
    const kinds = new Map<string, number>();
    for (const e of errors) kinds.set(e, (kinds.get(e) ?? 0) + 1);
    for (const [kind, n] of kinds) print(`  ${n} × ${kind.slice(0, 300)}`);
    const problems = operatorProblems(fixture.operator.logFile);
    print(
      `operator log: ${[...problems.values()].reduce((a, b) => a + b, 0)} warnings and errors${problems.size > 0 ? ':' : ''}`,
    );
    for (const [problem, n] of problems) print(`  ${n} × ${problem}`);
    writeFileSync(join(RESULTS, 'table.txt'), `${out.join('\n')}\n`);
    process.stderr.write(`table and raw outputs in ${RESULTS}\n`);
  } finally {
    try {
      stopWatches?.();
    } catch {
      // Already reported when the run got to its end.
    }
    saveRaw();
    if (f) {
      await stopServing(env, f);
      copyFileSync(f.operator.logFile, join(RESULTS, 'operator.log'));
    }
    if (owned) await stopEnvironment(env);
    removeRunTempDir();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
