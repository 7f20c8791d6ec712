// Every sample in config/samples applies to a real API server as a user would apply it, and the
// CRD kustomization applies too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { read, useNamespace } from './cluster.ts';
import { kubectl } from './kubectl.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const namespace = useNamespace('api-samples');

const samples = [
  'dataset.bosun.dev/iris',
  'dataset.bosun.dev/pets',
  'inferenceservice.bosun.dev/iris',
  'inferenceservice.bosun.dev/pets',
  'modelversion.bosun.dev/iris-v1',
  'trainingrun.bosun.dev/iris-xgboost-1',
  'trainingrun.bosun.dev/pets-2025-06',
];

describe('config/samples', () => {
  it('applies with kubectl apply -k, without a warning', async () => {
    const result = await kubectl(['apply', '-k', join(root, 'config', 'samples'), '-n', namespace.name]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual(samples.map((s) => `${s} created`));
  });

  it('is stored as written, with the defaults added', async () => {
    const run = await read(namespace.name, 'TrainingRun', 'iris-xgboost-1');
    expect(run.spec).toMatchObject({
      trainer: { container: { image: 'registry.example.com/ml/iris-xgboost:1.4.2' } },
      resources: { requests: { 'nvidia.com/gpu': 1 } },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      promotion: { metric: 'f1_macro', stage: 'staging', direction: 'maximize', minDelta: 0 },
    });
    const pets = await read(namespace.name, 'Dataset', 'pets');
    expect(pets.spec).toMatchObject({
      collection: { schedule: '0 2 * * *', timeZone: 'Europe/Berlin', suspend: false },
      sources: [{ name: 'feedback', postgres: { connectionSecret: { name: 'pets-feedback-db' } } }],
    });
    // No default is added inside a list item, so the training template reads back exactly as written.
    const written = parse(readFileSync(join(root, 'config', 'samples', 'dataset-pets.yaml'), 'utf8'));
    expect(pets.spec.training).toEqual(written.spec.training);
  });

  it('applies again without a change (GitOps sees no drift)', async () => {
    const result = await kubectl(['apply', '-k', join(root, 'config', 'samples'), '-n', namespace.name]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual(samples.map((s) => `${s} unchanged`));
  });
});

describe('config/crd', () => {
  it('applies with kubectl apply -k (server-side, dry run)', async () => {
    const result = await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=bosun-tests',
      '--dry-run=server',
      '-k',
      join(root, 'config', 'crd'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/trainingruns.bosun.dev serverside-applied',
    );
  });
});
