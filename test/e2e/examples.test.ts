// The tabular example, examples/iris-stages, run by hand as its README says: the test reads the
// README's `sh` blocks and runs every command in them, step by step, on the real node, in a fresh
// namespace watched by an operator with the data-jobs, trainer and inference-server images. Each
// step's outcome is then checked: the CSV in the store, the snapshot published, the run
// Succeeded with iris-v1 Ready, the stages dev → staging → production, the InferenceService Ready
// serving iris-v1, and a prediction answered with a class.
//
// The README is written for make dev's namespace bosun-demo and bucket bosun; the test puts its
// own namespace, bucket and a free local port in their place, in the commands and in the YAML
// files they apply, as the README tells a user of another namespace to do. kubectl is the test
// cluster's; `node test/dev/cli.ts upload` (which writes to make dev's bucket) is done with the
// same store client on the test's bucket; every other command runs as written.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePorts } from '../cluster/process.ts';
import { execute } from '../dev/commands.ts';
import { condition, eventually } from '../integration/operator/harness.ts';
import { type DatasetFixture, datasetCondition, readDataset } from './operator/datasets.ts';
import {
  readInferenceService,
  readyInferenceService,
  servingEvents,
  stopServing,
} from './operator/serving.ts';
import { finishedRun, readModelVersion, runCondition, startTraining } from './operator/training.ts';
import { localize, type ReadmeCommand, type ReadmeStep, readmeSteps } from './readme-commands.ts';

const EXAMPLE = 'examples/iris-stages';
/** What the README names, and the test replaces with its own. */
const README_NAMESPACE = 'bosun-demo';
const README_BUCKET = 's3://bosun/';
const README_PORT = '18080';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const env = inject('environment');
const steps: ReadmeStep[] = readmeSteps(readFileSync(join(repoRoot, EXAMPLE, 'README.md'), 'utf8'));
const csv = readFileSync(join(repoRoot, EXAMPLE, 'iris.csv'));

let f: DatasetFixture;
let replacements: [string, string][];
let workDir: string;
const background: ChildProcess[] = [];

interface Ran {
  line: string;
  stdout: string;
}

/** Starts a background command and resolves once it has written its first line (port-forward's "Forwarding from"). */
function startBackground(program: string, args: string[]): Promise<void> {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  background.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${program} ${args.join(' ')} exited ${code}: ${err}`)));
    child.once('error', reject);
  });
}

async function stopBackground(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A file the README applies, with the test's names in place of the README's. */
function localFile(path: string): string {
  const copy = join(workDir, basename(path));
  writeFileSync(copy, localize(readFileSync(join(repoRoot, path), 'utf8'), replacements));
  return copy;
}

async function run(command: ReadmeCommand): Promise<Ran> {
  const [program, ...args] = command.words.map((w) => localize(w, replacements));
  const line = command.line;
  if (program === 'kubectl') {
    const local = args.map((a, i) =>
      args[i - 1] === '-f' && a.startsWith(`${EXAMPLE}/`) ? localFile(a) : a,
    );
    const kubectlArgs = ['--kubeconfig', env.controlPlane.kubeconfig, ...local];
    if (command.background) {
      await startBackground(env.kubectl, kubectlArgs);
      return { line, stdout: '' };
    }
    return { line, stdout: await execute({ program: env.kubectl, args: kubectlArgs }) };
  }
  if (command.background) throw new Error(`only kubectl runs in the background here: ${line}`);
  if (program === 'node' && args[0] === 'test/dev/cli.ts' && args[1] === 'upload') {
    const [, , file, key] = args;
    if (!file || !key) throw new Error(`upload needs a file and a key: ${line}`);
    await f.bucket.store.putObject(key, readFileSync(join(repoRoot, file)));
    return { line, stdout: '' };
  }
  if (program === 'kill') {
    const job = /^%(\d+)$/.exec(args[0] ?? '')?.[1];
    if (!job) throw new Error(`kill takes a job number here: ${line}`);
    await stopBackground(background[Number(job) - 1]);
    return { line, stdout: '' };
  }
  if (program === 'curl' || program === 'sleep') return { line, stdout: await execute({ program, args }) };
  throw new Error(`the example test does not know how to run: ${line}`);
}

async function runStep(title: string): Promise<Ran[]> {
  const step = steps.find((s) => s.title === title);
  if (!step) throw new Error(`the README has no step "${title}"`);
  const ran: Ran[] = [];
  for (const command of step.commands) ran.push(await run(command));
  return ran;
}

const output = (ran: Ran[], program: string) => ran.find((r) => r.line.startsWith(program))?.stdout ?? '';

beforeAll(async () => {
  const noNode = inject('noNodeReason');
  if (noNode) throw new Error(`the example needs a node: ${noNode}`);
  f = await startTraining(env, 'example');
  const [port] = await freePorts(1);
  replacements = [
    [README_BUCKET, `s3://${f.ns.bucket}/`],
    [README_NAMESPACE, f.ns.watched],
    [README_PORT, String(port)],
  ];
  workDir = mkdtempSync(join(tmpdir(), 'bosun-example-'));
}, 240_000);

afterAll(async () => {
  for (const child of background) await stopBackground(child);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await stopServing(env, f);
}, 120_000);

describe(`${EXAMPLE}, as its README says`, () => {
  it('has the six steps this test checks, in order', () => {
    expect(steps.map((s) => s.title)).toEqual([
      '1. Upload the CSV',
      '2. The Dataset and its first snapshot',
      '3. Train iris-v1',
      '4. Promote: dev, staging, production',
      '5. Serve the production stage',
      '6. Predict',
    ]);
  });

  it('1: uploads the CSV under the namespace imports/', async () => {
    await runStep('1. Upload the CSV');
    const stored = await f.bucket.store.getObject(`imports/${f.ns.watched}/gold/iris/iris.csv`);
    expect(Buffer.from(stored).equals(csv)).toBe(true);
  });

  it('2: the Dataset publishes its requested snapshot of the CSV', { timeout: 330_000 }, async () => {
    const ran = await runStep('2. The Dataset and its first snapshot');
    const ds = await readDataset(f, 'iris');
    const version = ds.status?.latestSnapshot?.version;
    expect(version).toMatch(/^\d{8}-\d{6}$/);
    expect(datasetCondition(ds, 'Ready')?.status).toBe('True');
    expect(ds.status?.snapshots?.find((s) => s.version === version && s.variant === 'full')).toMatchObject({
      items: 1,
    });
    expect(ds.status?.snapshots?.some((s) => s.rejected)).toBe(false);
    expect(output(ran, 'kubectl -n bosun-demo get')).toContain('iris');
  });

  it('3: the TrainingRun succeeds and registers iris-v1, Ready', { timeout: 660_000 }, async () => {
    const ran = await runStep('3. Train iris-v1');
    const run = await finishedRun(f, 'iris-1');
    expect(runCondition(run)).toMatchObject({ status: 'True', reason: 'Succeeded' });
    const latest = (await readDataset(f, 'iris')).status?.latestSnapshot?.version;
    expect(run.status?.snapshot).toMatchObject({ version: latest, variant: 'full' });
    expect(run.status?.modelVersion).toEqual({ name: 'iris-v1', version: 1 });
    expect(run.status?.metrics?.accuracy).toBeGreaterThan(0.8);
    const mv = await readModelVersion(f, 'iris-v1');
    expect(condition(mv, 'Ready')?.status).toBe('True');
    expect(mv.spec).toMatchObject({ model: 'iris', version: 1, stage: 'none' });
    expect(mv.spec.source).toMatchObject({
      trainingRun: 'iris-1',
      dataset: { name: 'iris', snapshot: latest, variant: 'full' },
    });
    expect(output(ran, 'kubectl -n bosun-demo get btr')).toContain('iris-v1');
  });

  it('4: iris-v1 goes dev → staging → production', { timeout: 120_000 }, async () => {
    const ran = await runStep('4. Promote: dev, staging, production');
    const mv = await readModelVersion(f, 'iris-v1');
    expect(mv.spec.stage).toBe('production');
    expect((mv.status?.history ?? []).map((h) => h.stage)).toEqual(['none', 'dev', 'staging', 'production']);
    expect(output(ran, 'kubectl -n bosun-demo get bmv')).toContain('production');
    // The Events may be written a moment after the status.
    const notes = await eventually(async () => {
      const events = await servingEvents(f, 'iris-v1', 'ModelVersion');
      const notes = events.filter((e) => e.reason === 'StageChanged').map((e) => e.note);
      if (notes.length < 3) throw new Error(`StageChanged Events so far: ${notes.join('; ')}`);
      return notes;
    }, 30_000);
    expect(notes).toEqual([
      'Stage changed from none to dev',
      'Stage changed from dev to staging',
      'Stage changed from staging to production',
    ]);
  });

  it('5: the InferenceService following production is Ready serving iris-v1', {
    timeout: 660_000,
  }, async () => {
    await runStep('5. Serve the production stage');
    const isvc = await readyInferenceService(f, 'iris', 1);
    expect(isvc.spec.model).toEqual({ name: 'iris', stage: 'production' });
    expect(isvc.status?.primary).toMatchObject({ modelVersion: 'iris-v1', version: 1 });
  });

  it('6: a prediction by stage is answered with a class, by iris-v1', { timeout: 120_000 }, async () => {
    const ran = await runStep('6. Predict');
    const answer = JSON.parse(output(ran, 'curl')) as {
      model_name: string;
      model_version: string;
      outputs: { name: string; datatype: string; data: unknown[] }[];
    };
    expect(answer).toMatchObject({ model_name: 'iris', model_version: '1' });
    // The README's row is the CSV's first, a setosa.
    expect(answer.outputs.find((o) => o.name === 'label')).toMatchObject({
      datatype: 'BYTES',
      data: ['setosa'],
    });
    // The port-forward was stopped by the README's own kill.
    expect(background.every((c) => c.exitCode !== null || c.signalCode !== null)).toBe(true);
    expect((await readInferenceService(f, 'iris')).status?.primary?.version).toBe(1);
  });
});
