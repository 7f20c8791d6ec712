// The samples are the first thing a user copies: each must be a valid object of its kind (the
// API server's own checks are in test/integration/api/), and together they show every main shape.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Dataset } from '../../../operator/api/dataset.ts';
import { API_VERSION } from '../../../operator/api/group.ts';
import type { InferenceService } from '../../../operator/api/inference-service.ts';
import type { ModelVersion } from '../../../operator/api/model-version.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import type { TrainingRun } from '../../../operator/api/training-run.ts';

FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)));

const dir = join(import.meta.dirname, '..', '..', '..', 'config', 'samples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const samples = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({
    file,
    object: doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown },
  })),
);
const ofKind = <T>(kind: string) => samples.filter((s) => s.object.kind === kind).map((s) => s.object as T);

describe('config/samples', () => {
  it.each(samples.map((s) => [`${s.file} (${s.object.kind} ${s.object.metadata.name})`, s.object] as const))(
    '%s matches its schema once defaults are applied',
    (_name, object) => {
      const definition = resourceDefinitions.find((d) => d.kind === object.kind);
      if (!definition) throw new Error(`unknown kind ${object.kind}`);
      expect(object.apiVersion).toBe(API_VERSION);
      const schema = definition.schema;
      const withDefaults = Value.Default(schema, structuredClone(object));
      expect([...Value.Errors(schema, withDefaults)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    },
  );

  it('are all listed in the kustomization', () => {
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    expect(kustomization.resources.sort()).toEqual(files.sort());
  });

  it('include an image Dataset with a PostgreSQL source and a daily collection', () => {
    const found = ofKind<Dataset>('Dataset').filter(
      (d) =>
        d.spec.format === 'imagefolder' &&
        d.spec.sources?.some((s) => s.postgres?.columns.objectKey) &&
        /^\d+ \d+ \* \* \*$/.test(d.spec.collection?.schedule ?? ''),
    );
    expect(found).toHaveLength(1);
  });

  it('include a tabular Dataset from CSV', () => {
    const found = ofKind<Dataset>('Dataset').filter(
      (d) => d.spec.format === 'tabular' && d.spec.tabular?.labelColumn,
    );
    expect(found).toHaveLength(1);
  });

  it('include a Dataset that retrains its model on each new verified snapshot, promoting only a better one', () => {
    const templates = ofKind<Dataset>('Dataset').flatMap((d) => d.spec.training ?? []);
    expect(
      templates.filter(
        (t) => t.variant === 'verified' && t.spec.trainer.builtin && t.spec.promotion?.stage === 'production',
      ),
    ).toHaveLength(1);
  });

  it('include a built-in and a custom-container TrainingRun', () => {
    const runs = ofKind<TrainingRun>('TrainingRun');
    expect(runs.filter((r) => r.spec.trainer.builtin)).toHaveLength(1);
    expect(runs.filter((r) => r.spec.trainer.container)).toHaveLength(1);
  });

  it('include a hand-registered ModelVersion', () => {
    const versions = ofKind<ModelVersion>('ModelVersion');
    expect(versions.filter((v) => !v.spec.source?.trainingRun && v.spec.source?.description)).toHaveLength(1);
  });

  it('include an InferenceService pinned to a version and one following a stage with a canary', () => {
    const services = ofKind<InferenceService>('InferenceService');
    expect(services.filter((s) => s.spec.model.version !== undefined)).toHaveLength(1);
    expect(services.filter((s) => s.spec.model.stage && s.spec.canary)).toHaveLength(1);
  });
});
