import { describe, expect, it } from 'vitest';
import { datasetOf } from '../../../../operator/controllers/dataset/controller.ts';
import { renderServiceAccount } from '../../../../operator/controllers/dataset/service-account.ts';
import { aDataset, inNamespace } from '../../gen/dataset.ts';

describe("the data jobs' ServiceAccount", () => {
  it("is the Dataset's own, owned by it, and mounts no token", () => {
    const sa = renderServiceAccount(aDataset('pets', inNamespace('team-b')));
    expect(sa).toMatchObject({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'pets-data-jobs', namespace: 'team-b' },
      automountServiceAccountToken: false,
    });
    expect(sa.metadata?.ownerReferences).toMatchObject([
      { kind: 'Dataset', name: 'pets', uid: 'uid-pets', controller: true },
    ]);
    expect(sa.metadata?.labels?.['app.kubernetes.io/component']).toBe('dataset-data-jobs');
    expect(datasetOf(sa)).toEqual(['team-b/pets']);
  });

  it('is not shared between Datasets of a namespace', () => {
    expect(renderServiceAccount(aDataset('pets')).metadata?.name).not.toBe(
      renderServiceAccount(aDataset('pets-2')).metadata?.name,
    );
  });
});
