import { describe, expect, it } from 'vitest';
import { controllers } from '../../../operator/controllers/index.ts';
import {
  collectionPath,
  objectPath,
  specOrMetadataChanged,
} from '../../../operator/runtime/controller-setup.ts';
import { aModelVersion, verified, withStage } from '../gen/model-version.ts';

describe('controller declarations', () => {
  it("skip an update that changed only status (the controller's own write)", () => {
    const before = aModelVersion('m-v1');
    const statusOnly = aModelVersion('m-v1', verified);
    expect(specOrMetadataChanged(statusOnly, before)).toBe(false);
    const promoted = aModelVersion('m-v1', withStage('production'), (mv) => {
      mv.metadata.generation = 2;
    });
    expect(specOrMetadataChanged(promoted, before)).toBe(true);
    const annotated = aModelVersion('m-v1', (mv) => {
      mv.metadata.annotations = { 'bosun.dev/snapshot-requested': '1' };
    });
    expect(specOrMetadataChanged(annotated, before)).toBe(true);
    expect(specOrMetadataChanged(before, undefined)).toBe(true);
  });

  it('build API paths for core and grouped kinds, cluster-wide or in one namespace', () => {
    const jobs = { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', scope: 'operator' as const };
    const pods = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', scope: 'watched' as const };
    expect(collectionPath(jobs, 'ns')).toBe('/apis/batch/v1/namespaces/ns/jobs');
    expect(collectionPath(pods, undefined)).toBe('/api/v1/pods');
    expect(objectPath(pods, 'ns', 'p')).toBe('/api/v1/namespaces/ns/pods/p');
  });

  it('are listed in one place, each with a distinct name', () => {
    const names = controllers.map((c) => c.name);
    expect(names).toContain('modelversion');
    expect(new Set(names).size).toBe(names.length);
  });
});
