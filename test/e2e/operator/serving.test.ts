// The InferenceService controller on the real control plane and node: a pinned InferenceService of a
// built-in trainer's tabular model answers OIP v2 infer through its Service, from a client Pod.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanup } from '../../integration/operator/harness.ts';
import {
  createInferenceService,
  readyInferenceService,
  requestFromPod,
  type ServingFixture,
  startServing,
  TABULAR_REQUEST,
  trainedModelVersion,
} from './serving.ts';

const env = inject('environment');
let f: ServingFixture;

beforeAll(async () => {
  f = await startServing(env, 'serve');
}, 300_000);

afterAll(async () => {
  f?.operator.kill('SIGTERM');
  await f?.operator.exited;
  if (f) await cleanup(env, f.ns);
});

describe('a pinned InferenceService', () => {
  it('answers OIP v2 infer through its Service with the pinned version', { timeout: 400_000 }, async () => {
    const mv = await trainedModelVersion(f, 'iris', 1);
    await createInferenceService(f, 'iris', { model: { name: 'iris', version: 1 } });
    const isvc = await readyInferenceService(f, 'iris', 1);
    expect(isvc.status?.primary).toEqual({
      modelVersion: 'iris-v1',
      version: 1,
      sha256: mv.spec.artifact.sha256,
    });
    expect(isvc.status?.url).toBe(`http://iris.${f.ns.watched}.svc:8080`);
    const answer = await requestFromPod(f, 'POST', `${isvc.status?.url}/v2/models/iris/infer`, {
      json: TABULAR_REQUEST,
    });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as {
      model_name: string;
      model_version: string;
      outputs: { name: string }[];
    };
    expect(body.model_name).toBe('iris');
    expect(body.model_version).toBe('1');
    expect(body.outputs.map((o) => o.name)).toContain('label');
  });
});
