// The kinds' names must not shadow anything a user of Kubernetes or KServe already types.
import { describe, expect, it } from 'vitest';
import { resourceDefinitions } from '../../../operator/api/resources.ts';

// Short names of Kubernetes' built-in resources (the integration tests also ask a real API server)
// and of KServe's InferenceService, TrainedModel, InferenceGraph and LLMInferenceService.
const kubernetesShortNames = [
  'cs',
  'cm',
  'ep',
  'ev',
  'limits',
  'ns',
  'no',
  'pvc',
  'pv',
  'po',
  'rc',
  'quota',
  'sa',
  'svc',
  'crd',
  'crds',
  'ds',
  'deploy',
  'rs',
  'sts',
  'hpa',
  'cj',
  'csr',
  'ing',
  'netpol',
  'pdb',
  'pc',
  'sc',
];
const kserveShortNames = ['isvc', 'tm', 'ig', 'llmisvc'];

describe('resource names', () => {
  const shortNames = resourceDefinitions.flatMap((d) => d.shortNames);

  it('are unique among the four kinds', () => {
    const all = resourceDefinitions.flatMap((d) => [d.plural, d.singular, ...d.shortNames]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('use short names that collide with nothing in Kubernetes or KServe', () => {
    for (const name of shortNames) {
      expect(kubernetesShortNames).not.toContain(name);
      expect(kserveShortNames).not.toContain(name);
    }
  });

  it('derive plural and singular from the kind', () => {
    for (const d of resourceDefinitions) {
      expect(d.singular).toBe(d.kind.toLowerCase());
      expect(d.plural).toBe(`${d.singular}s`);
    }
  });
});
