// Bosun's Argo CD health scripts, run through Argo CD itself: test/argocd-health reads the
// argocd-cm that users apply with Argo CD's settings manager and evaluates every case of
// argocd/bosun.dev/<Kind>/health_test.yaml with gitops-engine's GetResourceHealth and Argo CD's Lua
// VM (gopher-lua). It needs Go and the Go module proxy (or a warm module cache), hence integration.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  HEALTH_DIR,
  HEALTH_RUNNER_BUILD_TIMEOUT_MS,
  type HealthStatus,
  runHealthRunner,
} from './health-runner.ts';

const GROUP = 'bosun.dev';
const KINDS = ['Dataset', 'TrainingRun', 'ModelVersion', 'InferenceService'];

interface Case {
  name: string;
  expected: HealthStatus;
}
interface Result {
  case: string;
  expected: HealthStatus;
  actual?: HealthStatus;
  error?: string;
  pass: boolean;
}

function declaredCases(): Case[] {
  return KINDS.flatMap((kind) => {
    const file = join(HEALTH_DIR, GROUP, kind, 'health_test.yaml');
    const { tests } = parse(readFileSync(file, 'utf8')) as {
      tests: { inputPath: string; healthStatus: HealthStatus }[];
    };
    return tests.map((t) => ({ name: `${GROUP}/${kind}/${t.inputPath}`, expected: t.healthStatus }));
  });
}

const cases = declaredCases();
let run: { code: number; stderr: string; results: Map<string, Result> };

beforeAll(async () => {
  const outcome = await runHealthRunner([]);
  const results = new Map<string, Result>();
  for (const line of outcome.stdout.split('\n').filter((l) => l.trim() !== '')) {
    const result = JSON.parse(line) as Result;
    results.set(result.case, result);
  }
  run = { code: outcome.code, stderr: outcome.stderr, results };
}, HEALTH_RUNNER_BUILD_TIMEOUT_MS);

describe('Argo CD health of the four kinds', () => {
  it('argocd-cm.yaml holds exactly the health.lua files, and every case ran', () => {
    expect(run.stderr).not.toContain('does not hold the health scripts');
    expect([...run.results.keys()].sort()).toEqual(cases.map((c) => c.name).sort());
  });

  it('has at least 25 cases, each kind Healthy, Progressing and Degraded at least once', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    for (const kind of KINDS) {
      const statuses = new Set(
        cases.filter((c) => c.name.includes(`/${kind}/`)).map((c) => c.expected.status),
      );
      expect([kind, ...['Healthy', 'Progressing', 'Degraded'].filter((s) => statuses.has(s))]).toEqual([
        kind,
        'Healthy',
        'Progressing',
        'Degraded',
      ]);
    }
  });

  it.each(cases)('$name is $expected.status', ({ name, expected }) => {
    const result = run.results.get(name);
    expect(result?.error).toBeUndefined();
    expect(result?.actual).toEqual(expected);
  });

  it('the runner agrees with every case', () => {
    expect(run.stderr.trim().split('\n').at(-1)).toBe(`${cases.length} passed, 0 failed`);
    expect(run.code).toBe(0);
  });
});

describe('the fixtures', () => {
  it('are trimmed objects of the four kinds, without managedFields', () => {
    for (const kind of KINDS) {
      const dir = join(HEALTH_DIR, GROUP, kind, 'testdata');
      for (const file of readdirSync(dir)) {
        const object = parse(readFileSync(join(dir, file), 'utf8')) as {
          apiVersion: string;
          kind: string;
          metadata: Record<string, unknown>;
        };
        expect([file, object.apiVersion, object.kind]).toEqual([file, `${GROUP}/v1alpha1`, kind]);
        expect([file, object.metadata.managedFields]).toEqual([file, undefined]);
      }
    }
  });
});
