// The generated files are committed; this fails when a schema changed and `make crds` was not run,
// or when someone edited a generated file by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdFileName } from '../../../operator/api/crd.ts';
import {
  API_DOC_PATH,
  CHART_CRD_DIRECTORY,
  CRD_DIRECTORIES,
  generatedFiles,
} from '../../../operator/api/generated-files.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const files = generatedFiles(read(API_DOC_PATH));

describe('generated files', () => {
  it.each([...files.keys()])('%s is up to date (run `make crds`)', (path) => {
    expect(read(path), `${path} is stale: run make crds`).toBe(files.get(path));
  });

  it.each(resourceDefinitions.map(crdFileName))('%s is the same bytes in crds/ and config/crd/', (name) => {
    const copies = CRD_DIRECTORIES.map((dir) => read(`${dir}/${name}`));
    expect(new Set(copies).size).toBe(1);
  });

  it.each(resourceDefinitions.map(crdFileName))(
    "the chart's %s is that CRD, behind crds.enabled and kept on uninstall",
    (name) => {
      const template = read(`${CHART_CRD_DIRECTORY}/${name}`);
      const lines = template.split('\n');
      expect(lines[1]).toBe('{{- if .Values.crds.enabled }}');
      expect(lines.filter((l) => l.trim()).at(-1)).toBe('{{- end }}');
      // Without its template lines, the file is the CRD with Helm's keep annotation.
      const plain = parse(lines.filter((l) => !l.includes('{{')).join('\n')) as { metadata: object };
      const crd = parse(read(`crds/${name}`)) as { metadata: object };
      expect(plain).toEqual({
        ...crd,
        metadata: { ...crd.metadata, annotations: { 'helm.sh/resource-policy': 'keep' } },
      });
    },
  );

  it('the kustomization lists every CRD', () => {
    const kustomization = parse(read('config/crd/kustomization.yaml')) as { resources: string[] };
    expect(kustomization.resources.sort()).toEqual(resourceDefinitions.map(crdFileName).sort());
  });

  it('docs/api.md documents every field of every kind', () => {
    const doc = read(API_DOC_PATH);
    for (const path of [
      'spec.sources[].postgres.columns.objectKey',
      'spec.trainer.builtin.hyperparameters',
      'spec.artifact.sha256',
      'spec.canary.percent',
      'status.conditions[].lastTransitionTime',
    ]) {
      expect(doc).toContain(`\`${path}\``);
    }
    for (const { kind } of resourceDefinitions) expect(doc).toContain(`### ${kind}\n`);
  });
});
