// What a user sees with kubectl: the columns of `kubectl get bosun`, `kubectl explain`, short names,
// field selectors, `kubectl scale` and `kubectl wait`. Status is written as the operator writes it
// (through the status subresource), so the columns have something to show.
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { GROUP } from '../../../operator/api/group.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { type BosunObject, read, replaceStatus, useNamespace } from './cluster.ts';
import { kubectl, kubectlOk } from './kubectl.ts';
import { digest } from './minimal-objects.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const namespace = useNamespace('api-kubectl');

function time(hoursAgo = 0): string {
  return new Date(Date.now() - hoursAgo * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function condition(type: string, status: string, reason: string) {
  return {
    type,
    status,
    reason,
    message: `${type} is ${status}`,
    lastTransitionTime: time(),
    observedGeneration: 1,
  };
}

async function writeStatus(kind: string, name: string, status: Record<string, unknown>): Promise<void> {
  const object: BosunObject = await read(namespace.name, kind, name);
  await replaceStatus(namespace.name, { ...object, status: { observedGeneration: 1, ...status } });
}

/** A `kubectl get` table as rows of cells, cut at the header's column positions. */
function table(text: string): Record<string, string>[] {
  const [header = '', ...lines] = text.trimEnd().split('\n');
  const starts = [...header.matchAll(/\S+( \S+)*/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map(({ name, at }, i) => [name, line.slice(at, starts[i + 1]?.at ?? line.length).trim()]),
    ),
  );
}

/** The sections of `kubectl get bosun`, one table per kind, keyed by its header line. */
function sections(text: string): Map<string, Record<string, string>[]> {
  const out = new Map<string, Record<string, string>[]>();
  for (const block of text.trim().split(/\n\s*\n/)) {
    const header = block.split('\n')[0] ?? '';
    out.set(
      header
        .trim()
        .split(/\s{2,}/)
        .join(' | '),
      table(block),
    );
  }
  return out;
}

beforeAll(async () => {
  await kubectlOk(['apply', '-k', join(root, 'config', 'samples'), '-n', namespace.name]);
  await writeStatus('Dataset', 'pets', {
    conditions: [condition('Ready', 'True', 'Collecting')],
    latestSnapshot: { version: '20250601-030000', items: 1532, verifiedItems: 1210, createdAt: time(30) },
    lastCollection: {
      window: { start: time(29), end: time(5) },
      items: 48,
      job: 'pets-collect-29145600',
      completionTime: time(5),
    },
  });
  await writeStatus('TrainingRun', 'pets-2025-06', {
    conditions: [condition('Succeeded', 'True', 'Succeeded')],
    snapshot: {
      version: '20250601-030000',
      variant: 'verified',
      manifest: {
        uri: 's3://bosun/datasets/ns/pets/snapshots/20250601-030000/verified.jsonl.gz',
        sha256: digest,
      },
    },
    metrics: { accuracy: 0.9412, loss: 0.181 },
    keyMetric: 'accuracy=0.9412',
    modelVersion: { name: 'pets-v3', version: 3 },
  });
  await writeStatus('ModelVersion', 'iris-v1', {
    conditions: [condition('Ready', 'True', 'ArtifactVerified')],
    metrics: { accuracy: 0.9667 },
    keyMetric: 'accuracy=0.9667',
    history: [{ stage: 'production', time: time(1) }],
  });
  await writeStatus('InferenceService', 'iris', {
    conditions: [condition('ModelResolved', 'True', 'Resolved'), condition('Ready', 'True', 'Serving')],
    primary: { modelVersion: 'iris-v1', version: 1, sha256: digest },
    url: `http://iris.${namespace.name}.svc/v1/predict`,
    replicas: 2,
    readyReplicas: 2,
    selector: 'bosun.dev/inference-service=iris',
  });
});

describe('kubectl get bosun', () => {
  it('lists all four kinds with their columns', async () => {
    const output = sections(await kubectlOk(['get', 'bosun', '-n', namespace.name]));
    expect([...output.keys()].sort()).toEqual([
      'NAME | FORMAT | LATEST | ITEMS | LAST COLLECTION | READY | AGE',
      'NAME | MODEL | SNAPSHOT | STATE | METRIC | AGE',
      'NAME | MODEL | VERSION | REPLICAS | READY | URL | AGE',
      'NAME | MODEL | VERSION | STAGE | READY | METRIC | AGE',
    ]);
    const row = (header: string, name: string) => output.get(header)?.find((r) => r.NAME === name);
    expect(
      row('NAME | FORMAT | LATEST | ITEMS | LAST COLLECTION | READY | AGE', 'dataset.bosun.dev/pets'),
    ).toMatchObject({
      FORMAT: 'imagefolder',
      LATEST: '20250601-030000',
      ITEMS: '1532',
      'LAST COLLECTION': '5h',
      READY: 'True',
    });
    expect(
      row('NAME | MODEL | SNAPSHOT | STATE | METRIC | AGE', 'trainingrun.bosun.dev/pets-2025-06'),
    ).toMatchObject({
      MODEL: 'pets',
      SNAPSHOT: '20250601-030000',
      STATE: 'Succeeded',
      METRIC: 'accuracy=0.9412',
    });
    expect(
      row('NAME | MODEL | VERSION | STAGE | READY | METRIC | AGE', 'modelversion.bosun.dev/iris-v1'),
    ).toMatchObject({
      MODEL: 'iris',
      VERSION: '1',
      STAGE: 'production',
      READY: 'True',
      METRIC: 'accuracy=0.9667',
    });
    expect(
      row('NAME | MODEL | VERSION | REPLICAS | READY | URL | AGE', 'inferenceservice.bosun.dev/iris'),
    ).toMatchObject({
      MODEL: 'iris',
      VERSION: '1',
      REPLICAS: '2',
      READY: 'True',
      URL: `http://iris.${namespace.name}.svc/v1/predict`,
    });
  });

  it('shows the extra columns with -o wide', async () => {
    const [run] = table(
      await kubectlOk(['get', 'trainingrun', 'pets-2025-06', '-n', namespace.name, '-o', 'wide']),
    );
    expect(run).toMatchObject({ NAME: 'pets-2025-06', DATASET: 'pets', REGISTERED: 'pets-v3' });
    const [pets] = table(await kubectlOk(['get', 'dataset', 'pets', '-n', namespace.name, '-o', 'wide']));
    expect(pets).toMatchObject({ VERIFIED: '1210' });
  });
});

describe('kubectl explain', () => {
  // The API server publishes a new CRD's OpenAPI a moment after the CRD is established.
  beforeAll(() =>
    vi.waitFor(() => kubectlOk(['explain', 'trainingrun']), { timeout: 30_000, interval: 500 }),
  );

  it('describes trainingrun.spec.trainer and its fields', async () => {
    const output = await kubectlOk(['explain', 'trainingrun.spec.trainer']);
    expect(output).toMatch(/KIND:\s+TrainingRun/);
    expect(output).toMatch(/FIELD:\s+trainer <Object>/);
    expect(output).toContain('What trains: exactly one of builtin or container.');
    expect(output).toMatch(/builtin\s+<Object>\n\s+A trainer that ships with Bosun\./);
    expect(output).toMatch(
      /container\s+<Object>\n\s+Your own training image, following the workload contract\./,
    );
  });

  it('tells the default of a field', async () => {
    const output = await kubectlOk(['explain', 'trainingrun.spec.backoffLimit']);
    expect(output.replaceAll(/\s+/g, ' ')).toContain(
      'How many times a failed training Pod is retried before the run fails. Default: 1.',
    );
  });

  it('lists the values of an enum and teaches the nested fields', async () => {
    const task = await kubectlOk(['explain', 'trainingrun.spec.trainer.builtin.task']);
    expect(task).toMatch(/ENUM:\s+tabular-classification\s+tabular-regression\s+image-classification/);
    const recursive = await kubectlOk(['explain', 'trainingrun.spec.trainer', '--recursive']);
    for (const field of ['hyperparameters', 'algorithm', 'image', 'command', 'args', 'env', 'valueFrom'])
      expect(recursive).toMatch(new RegExp(`\\s${field}\\s+<`));
  });

  it('describes each kind', async () => {
    for (const { kind } of resourceDefinitions) {
      const output = await kubectlOk(['explain', kind.toLowerCase()]);
      expect(output).toMatch(/DESCRIPTION:\n\s+\S.{40,}/);
      expect(output).toMatch(/spec\s+<Object> -required-/);
    }
  });
});

describe('resource names', () => {
  it('short names work and collide with no other resource of the cluster', async () => {
    const names = await kubectlOk(['get', 'bds,btr,bmv,bisvc', '-n', namespace.name, '-o', 'name']);
    expect(names.trim().split('\n')).toHaveLength(7);
    const resources = table(await kubectlOk(['api-resources']));
    const others = resources.filter((r) => !r.APIVERSION?.startsWith(`${GROUP}/`));
    const taken = new Set(others.flatMap((r) => (r.SHORTNAMES ?? '').split(',')).filter(Boolean));
    for (const { shortNames } of resourceDefinitions)
      for (const s of shortNames) expect(taken).not.toContain(s);
  });

  it('the bosun category is exactly the four kinds', async () => {
    const names = await kubectlOk(['api-resources', '--categories=bosun', '-o', 'name']);
    expect(names.trim().split('\n').sort()).toEqual(
      resourceDefinitions.map((d) => `${d.plural}.${GROUP}`).sort(),
    );
  });
});

describe('field selectors', () => {
  it('list a model’s versions by stage', async () => {
    await kubectlOk(
      ['apply', '-n', namespace.name, '-f', '-'],
      JSON.stringify({
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'ModelVersion',
        metadata: { name: 'iris-v2' },
        spec: {
          model: 'iris',
          version: 2,
          artifact: { uri: 's3://bosun/models/iris/2/model.onnx', sha256: digest },
          stage: 'staging',
        },
      }),
    );
    const production = await kubectlOk([
      'get',
      'bmv',
      '-n',
      namespace.name,
      '--field-selector',
      'spec.model=iris,spec.stage=production',
      '-o',
      'name',
    ]);
    expect(production.trim()).toBe('modelversion.bosun.dev/iris-v1');
    const iris = await kubectlOk([
      'get',
      'bmv',
      '-n',
      namespace.name,
      '--field-selector',
      'spec.model=iris',
      '-o',
      'name',
    ]);
    expect(iris.trim().split('\n')).toHaveLength(2);
  });
});

describe('subresources', () => {
  it('kubectl scale sets an InferenceService’s replicas through the scale subresource', async () => {
    await kubectlOk(['scale', 'bisvc/iris', '--replicas=3', '-n', namespace.name]);
    const scale = await kubectlOk([
      'get',
      'bisvc',
      'iris',
      '-n',
      namespace.name,
      '--subresource=scale',
      '-o',
      'jsonpath={.spec.replicas} {.status.replicas} {.status.selector}',
    ]);
    expect(scale).toBe('3 2 bosun.dev/inference-service=iris');
    expect((await read(namespace.name, 'InferenceService', 'iris')).spec.replicas).toBe(3);
  });

  it('kubectl wait sees the summary conditions', async () => {
    const ready = await kubectl([
      'wait',
      '--for=condition=Ready',
      'bmv/iris-v1',
      '-n',
      namespace.name,
      '--timeout=10s',
    ]);
    expect(ready.code).toBe(0);
    const succeeded = await kubectl([
      'wait',
      '--for=condition=Succeeded',
      'btr/pets-2025-06',
      '-n',
      namespace.name,
      '--timeout=10s',
    ]);
    expect(succeeded.code).toBe(0);
  });

  it('status written with the main resource is ignored: only the operator writes it', async () => {
    const result = await kubectl(
      ['apply', '--server-side', '--force-conflicts', '-n', namespace.name, '-f', '-'],
      JSON.stringify({
        apiVersion: `${GROUP}/v1alpha1`,
        kind: 'ModelVersion',
        metadata: { name: 'iris-v1' },
        spec: {
          model: 'iris',
          version: 1,
          artifact: {
            uri: 's3://bosun/imports/default/models/iris/1/model.onnx',
            sha256: '3f1c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19',
          },
        },
        status: { keyMetric: 'forged=1' },
      }),
    );
    expect(result.code).toBe(0);
    expect((await read(namespace.name, 'ModelVersion', 'iris-v1')).status?.keyMetric).toBe('accuracy=0.9667');
  });
});
