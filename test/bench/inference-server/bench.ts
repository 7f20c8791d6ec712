// Runs the inference server benchmark: raw in-process onnxruntime-node, the Bosun server (JSON,
// binary tensors, the image endpoint with and without batching) and FastAPI + uvicorn +
// onnxruntime, each server pinned to one core and wrk pinned to another, at several concurrencies.
// The servers compared on one model run side by side and are measured in alternation with each
// other and with raw in-process runs, so a drift of this shared machine falls on all of them
// alike. Prints a table and the targets' verdicts (any error of a contender fails its verdicts),
// and writes both with every raw wrk output to a results directory; asserts nothing.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { imageStage, nodeFlags } from '../../cluster/dockerfile.ts';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../images/inference-server/main.ts', import.meta.url));
// The server runs with its image's environment and the Node flags of its entry point (V8's memory
// settings), so what is measured is what ships.
const IMAGE = imageStage('inference-server');

const [dir, venv] = process.argv.slice(2);
if (!dir || !venv) throw new Error('usage: bench.ts <prepared dir> <venv>');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Steady state is what is compared. When the load pattern changes (another concurrency, new
// connections), V8 deoptimises and recompiles Node's HTTP code paths and ours; the recompiles run
// on background threads that share the server's one core and show as a tail of a few
// milliseconds. Measured at concurrency 1 after concurrency 8, in 2 s windows: p99 2.9, 1.8, 1.3,
// 0.9, 0.8 ms, then steady; with V8's optimising compilers off there is no such tail. So every
// server gets a warm-up at each concurrency before its first round there (and the re-warm below).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
// Each point is measured in this many rounds and the medians are reported, so one blip of this
// shared machine does not decide a comparison. In a round every server is measured once in turn.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// A server that sat idle while the others were measured has a tail for its first seconds back
// (measured at concurrency 1 after 10 s idle, 2 s windows: p99.9 23–29 ms, then 2–4 ms), so each
// measurement follows this much load at its concurrency.
const REWARM_SECONDS = Number(process.env.BENCH_REWARM_SECONDS ?? 5);
// A freshly started server is still compiling: each scenario first runs this long at concurrency 8.
const START_WARMUP_SECONDS = Number(process.env.BENCH_START_WARMUP_SECONDS ?? 10);
// Only the scenarios whose name contains this (all when unset), for a quicker look at one part.
const ONLY = process.env.BENCH_ONLY ?? '';
const CONCURRENCIES = (process.env.BENCH_CONCURRENCIES ?? '1,8,32').split(',').map(Number);
// Batching must not cost throughput: batched ≥ unbatched at every concurrency, within this share,
// the spread of repeated runs of one server on this machine.
const NOISE_ALLOWANCE = 0.05;
const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? '1';
const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '0';
const FIRST_PORT = 18_600 + Math.floor(Math.random() * 300);
let portsTaken = 0;
const nextPort = () => FIRST_PORT + portsTaken++;
// Every wrk run's own output, the raw in-process results and the table, for a look behind a figure.
const RESULTS =
  process.env.BENCH_RESULTS_DIR ?? join(here, 'results', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(RESULTS, { recursive: true });
process.stderr.write(`raw outputs go to ${RESULTS}\n`);
let outputsWritten = 0;
/** Writes one measurement's raw output under a name that says what it measured. */
function keep(what: string, text: string): void {
  const slug = what.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  writeFileSync(join(RESULTS, `${String(++outputsWritten).padStart(4, '0')}-${slug}.txt`), text);
}

const prepared = JSON.parse(readFileSync(join(dir, 'prepared.json'), 'utf8')) as {
  tabular: { uri: string; sha256: string; headerLength: number };
  image: { uri: string; sha256: string };
};

interface Result {
  name: string;
  concurrency: number;
  rps: number;
  p50: number;
  p99: number;
  /** The p99 of each round, for the spread. */
  p99s: number[];
  /** Non-2xx answers, socket errors and timeouts in every load at this concurrency, warm-ups included. */
  errors: number;
}
const results: Result[] = [];

function ms(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v;
}

async function wrk(
  what: string,
  url: string,
  body: string,
  contentType: string,
  concurrency: number,
  seconds: number,
  headerLength?: number,
) {
  const args = [
    '-c',
    LOAD_CORE,
    'wrk',
    '-t1',
    `-c${concurrency}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    join(here, 'post.lua'),
    url,
  ];
  const { stdout } = await run('taskset', args, {
    env: {
      ...process.env,
      BODY: body,
      CONTENT_TYPE: contentType,
      HEADER_LENGTH: headerLength ? String(headerLength) : '',
    },
  });
  keep(
    `${what} c${concurrency}`,
    `# ${what}\n# taskset ${args.join(' ')}\n# body ${body} (${contentType})\n\n${stdout}`,
  );
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
    return m ? ms(m[1] as string, m[2] as string) : Number.NaN;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (socket ? socket.slice(1).reduce((a, v) => a + Number(v), 0) : 0);
  return { rps, p50: percentile('50'), p99: percentile('99'), errors };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered 200`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

interface Scenario {
  name: string;
  path: string;
  body: string;
  contentType: string;
  headerLength?: number;
}

interface Server {
  base: string;
  child: ChildProcess;
}

/**
 * What a round measures: a scenario and the server (an index into its group's servers) that
 * answers it, or raw in-process onnxruntime-node on one of raw.ts's scenarios. Raw runs one call
 * at a time whatever the concurrency; it is measured in the same rounds so that the machine's
 * drift falls on it too.
 */
type Contender = ServedContender | { raw: string };
interface ServedContender {
  server: number;
  scenario: Scenario;
}

const RAW = 'raw in-process onnxruntime-node';
const nameOf = (c: Contender) => ('raw' in c ? `${c.raw}: ${RAW}` : c.scenario.name);

/** One raw measurement in a fresh process, pinned to the servers' core, after its own warm-up. */
async function raw(scenario: string, concurrency: number, seconds: number, warmupSeconds: number) {
  const { stdout } = await run(
    'taskset',
    [
      '-c',
      SERVER_CORE,
      process.execPath,
      join(here, 'raw.ts'),
      dir as string,
      scenario,
      String(seconds),
      String(warmupSeconds),
    ],
    { env: process.env },
  );
  keep(`${scenario}: ${RAW} round at c${concurrency}`, stdout);
  return JSON.parse(stdout) as { rps: number; p50: number; p99: number; errors: number };
}

/** Measures the contenders at each concurrency, in rounds that take every contender in turn. */
async function compare(contenders: Contender[], servers: Server[]): Promise<void> {
  const base = (server: number) => {
    const found = servers[server];
    if (!found) throw new Error(`no server ${server}: the group started ${servers.length}`);
    return found.base;
  };
  const served = contenders.filter((c): c is ServedContender => !('raw' in c));
  const load = (
    phase: string,
    { server, scenario: s }: ServedContender,
    concurrency: number,
    seconds: number,
  ) =>
    wrk(
      `${s.name} ${phase}`,
      `${base(server)}${s.path}`,
      s.body,
      s.contentType,
      concurrency,
      seconds,
      s.headerLength,
    );
  // Each raw measurement starts a fresh process with its own warm-up, so only servers warm here.
  // Errors in a warm-up count too: a server that fails requests under load fails its verdicts.
  const startErrors = new Map<Contender, number>();
  for (const c of served)
    startErrors.set(c, (await load('start warm-up', c, 8, START_WARMUP_SECONDS)).errors);
  for (const concurrency of CONCURRENCIES) {
    const warmErrors = new Map<Contender, number>(contenders.map((c) => [c, startErrors.get(c) ?? 0]));
    startErrors.clear();
    const addErrors = (c: Contender, n: number) => warmErrors.set(c, (warmErrors.get(c) ?? 0) + n);
    for (const c of served) addErrors(c, (await load('warm-up', c, concurrency, WARMUP_SECONDS)).errors);
    const rounds = new Map<Contender, Awaited<ReturnType<typeof wrk>>[]>(contenders.map((c) => [c, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const c of contenders) {
        if ('raw' in c) {
          rounds.get(c)?.push(await raw(c.raw, concurrency, SECONDS, REWARM_SECONDS));
          continue;
        }
        addErrors(c, (await load('re-warm', c, concurrency, REWARM_SECONDS)).errors);
        rounds.get(c)?.push(await load(`round ${i + 1}`, c, concurrency, SECONDS));
      }
    }
    for (const [c, runs] of rounds) {
      const r = {
        rps: median(runs.map((x) => x.rps)),
        p50: median(runs.map((x) => x.p50)),
        p99: median(runs.map((x) => x.p99)),
        p99s: runs.map((x) => x.p99),
        errors: runs.reduce((a, x) => a + x.errors, warmErrors.get(c) ?? 0),
      };
      results.push({ name: nameOf(c), concurrency, ...r });
      process.stderr.write(
        `  ${nameOf(c)} c=${concurrency}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms\n`,
      );
    }
  }
}

async function bosun(model: 'tabular' | 'image', env: Record<string, string> = {}): Promise<Server> {
  const port = nextPort();
  const child = spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...nodeFlags(IMAGE), MAIN], {
    env: {
      ...IMAGE.env,
      PATH: process.env.PATH ?? '',
      BOSUN_HOST: '127.0.0.1',
      BOSUN_PORT: String(port),
      BOSUN_NAMESPACE: 'bench',
      BOSUN_MODEL_NAME: model,
      BOSUN_MODEL_URI: prepared[model].uri,
      BOSUN_MODEL_SHA256: prepared[model].sha256,
      BOSUN_LOG_LEVEL: 'warn',
      BOSUN_MAX_CONCURRENCY: '10000',
      BOSUN_SHUTDOWN_DELAY_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/v2/health/ready`, child);
  return { base, child };
}

async function fastapi(model: 'tabular' | 'image'): Promise<Server> {
  const port = nextPort();
  const child = spawn(
    'taskset',
    [
      '-c',
      SERVER_CORE,
      join(venv as string, 'bin/python'),
      join(here, 'fastapi_server.py'),
      dir as string,
      model,
      String(port),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/openapi.json`, child);
  return { base, child };
}

/** Starts a group's servers side by side, runs its comparisons, and stops the servers. */
async function group(starts: (() => Promise<Server>)[], comparisons: Contender[][]): Promise<void> {
  const wanted = comparisons
    .map((contenders) => contenders.filter((c) => nameOf(c).includes(ONLY)))
    .filter((contenders) => contenders.length > 0);
  if (wanted.length === 0) return;
  const servers: Server[] = [];
  try {
    for (const start of starts) servers.push(await start());
    for (const contenders of wanted) await compare(contenders, servers);
  } finally {
    await Promise.all(servers.map((s) => stop(s.child)));
  }
}

const tabularJson: Scenario = {
  name: '',
  path: '/v2/models/tabular/infer',
  body: join(dir, 'tabular.json'),
  contentType: 'application/json',
};
const PHOTOS = ['320x240', '1024x768'];
const image = (size: string, name: string): Scenario => ({
  name: `image ${size}: ${name}`,
  path: '/v2/models/image/classify',
  body: join(dir as string, `photo-${size}.jpg`),
  contentType: 'image/jpeg',
});

process.stderr.write('tabular: raw, Bosun and FastAPI…\n');
await group(
  [() => bosun('tabular'), () => fastapi('tabular')],
  [
    [
      { raw: 'tabular' },
      { server: 0, scenario: { ...tabularJson, name: 'tabular: Bosun, JSON' } },
      {
        server: 0,
        scenario: {
          name: 'tabular: Bosun, binary tensors',
          path: '/v2/models/tabular/infer',
          body: join(dir, 'tabular.bin'),
          contentType: 'application/octet-stream',
          headerLength: prepared.tabular.headerLength,
        },
      },
      { server: 1, scenario: { ...tabularJson, name: 'tabular: FastAPI + onnxruntime, JSON' } },
    ],
  ],
);
process.stderr.write('image: raw, Bosun, Bosun with batching and FastAPI…\n');
await group(
  [
    () => bosun('image'),
    () => bosun('image', { BOSUN_MAX_BATCH_SIZE: '8', BOSUN_BATCH_WINDOW_MS: '2' }),
    () => fastapi('image'),
  ],
  PHOTOS.map((size) => [
    { raw: `image ${size}` },
    { server: 0, scenario: image(size, 'Bosun') },
    { server: 1, scenario: image(size, 'Bosun, batching ≤8') },
    { server: 2, scenario: image(size, 'FastAPI + onnxruntime + Pillow') },
  ]),
);

const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const out: string[] = [];
const say = (line: string) => {
  out.push(line);
  console.log(line);
};
say(
  `\nserver on core ${SERVER_CORE}, wrk on core ${LOAD_CORE}; the servers of one model run side by side; each point is the median of ${ROUNDS} rounds in which every contender is measured in turn for ${SECONDS} s, each after ${REWARM_SECONDS} s at that concurrency (and ${WARMUP_SECONDS} s at each new concurrency, ${START_WARMUP_SECONDS} s at concurrency 8 after the servers start); raw in-process runs one call at a time, in a fresh process after ${REWARM_SECONDS} s of warm-up, in the rounds of each concurrency; errors are non-2xx answers, socket errors and timeouts in every load of that concurrency, warm-ups included\n`,
);
say('| scenario | concurrency | req/s | p50 ms | p99 ms | p99 of each run | errors |');
say('|---|---|---|---|---|---|---|');
for (const r of results)
  say(
    `| ${r.name} | ${r.concurrency} | ${f(r.rps, 0)} | ${f(r.p50)} | ${f(r.p99)} | ${r.p99s.map((v) => f(v)).join(' ')} | ${r.errors} |`,
  );

const get = (name: string, c: number) => results.find((r) => r.name === name && r.concurrency === c);
/** A verdict: met only when the figures meet the target and neither contender had an error. */
const verdict = (met: boolean, ...compared: Result[]) => {
  const errors = compared.reduce((a, r) => a + r.errors, 0);
  if (errors > 0) return `NOT met: ${errors} error${errors === 1 ? '' : 's'}`;
  return met ? 'met' : 'NOT met';
};
const percent = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${f(Math.abs(ratio - 1) * 100, 1)}%`;
say('\n| target | measured | |');
say('|---|---|---|');
for (const c of CONCURRENCIES) {
  const b = get('tabular: Bosun, JSON', c);
  const p = get('tabular: FastAPI + onnxruntime, JSON', c);
  if (b && p)
    say(
      `| tabular c=${c}: ≥ 2× FastAPI throughput at equal or better p99 | ${f(b.rps / p.rps)}×, p99 ${f(b.p99)} vs ${f(p.p99)} ms | ${verdict(b.rps >= 2 * p.rps && b.p99 <= p.p99, b, p)} |`,
    );
}
const gains: string[] = [];
for (const size of PHOTOS) {
  for (const c of CONCURRENCIES) {
    const b = get(`image ${size}: Bosun`, c);
    const p = get(`image ${size}: FastAPI + onnxruntime + Pillow`, c);
    if (b && p)
      say(
        `| image ${size} c=${c}: ≥ 1.5× FastAPI throughput | ${f(b.rps / p.rps)}× | ${verdict(b.rps >= 1.5 * p.rps, b, p)} |`,
      );
  }
  // Batching against the same server without it, at the same concurrency, in the same rounds: it
  // must not cost throughput anywhere (within the noise allowance), and what it gains shows at
  // concurrency 32. A subset run (BENCH_ONLY) may have left either out.
  for (const c of CONCURRENCIES) {
    const batched = get(`image ${size}: Bosun, batching ≤8`, c);
    const alone = get(`image ${size}: Bosun`, c);
    if (!batched || !alone) continue;
    const ratio = batched.rps / alone.rps;
    say(
      `| image ${size} c=${c}: with batching ≥ without (−${NOISE_ALLOWANCE * 100}% noise allowance) | ${f(batched.rps, 0)} vs ${f(alone.rps, 0)} req/s (${percent(ratio)}), p99 ${f(batched.p99)} vs ${f(alone.p99)} ms | ${verdict(ratio >= 1 - NOISE_ALLOWANCE, batched, alone)} |`,
    );
    if (c === 32) gains.push(`${size}: ${percent(ratio)}`);
  }
}
if (gains.length > 0)
  say(`\nBatching's throughput against the same server without it at concurrency 32: ${gains.join(', ')}.`);
writeFileSync(join(RESULTS, 'table.md'), `${out.join('\n')}\n`);
console.log(`\nraw wrk outputs and this table: ${RESULTS}`);
