import { describe, expect, it } from 'vitest';
import { childLabels, ownerSelector } from '../../../../operator/controllers/shared/labels.ts';
import {
  controllerReference,
  isControlledBy,
  ownerKeys,
} from '../../../../operator/controllers/shared/owner-references.ts';
import type { SetupContext } from '../../../../operator/runtime/controller-setup.ts';
import { aModelVersion } from '../../gen/model-version.ts';

describe('owner references', () => {
  const owner = aModelVersion('fraud-v3');
  const child = {
    metadata: { name: 'c', namespace: 'team-a', ownerReferences: [controllerReference(owner)] },
  };

  it('point at the owner as its controller, and map the child back to its key', () => {
    expect(controllerReference(owner)).toEqual({
      apiVersion: 'bosun.dev/v1alpha1',
      kind: 'ModelVersion',
      name: 'fraud-v3',
      uid: 'uid-fraud-v3',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(ownerKeys('bosun.dev/v1alpha1', 'ModelVersion')(child, {} as SetupContext)).toEqual([
      'team-a/fraud-v3',
    ]);
    expect(ownerKeys('bosun.dev/v1alpha1', 'Dataset')(child, {} as SetupContext)).toEqual([]);
    expect(isControlledBy(child, 'uid-fraud-v3')).toBe(true);
    expect(isControlledBy(child, 'uid-other')).toBe(false);
  });

  it('need a uid', () => {
    expect(() => controllerReference({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x' } })).toThrow(
      TypeError,
    );
  });
});

describe('child labels', () => {
  it("select one owner's children", () => {
    const labels = childLabels({ kind: 'InferenceService', name: 'pets' }, 'server');
    expect(labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'bosun-operator',
      'app.kubernetes.io/component': 'server',
    });
    const selector = ownerSelector({ kind: 'InferenceService', name: 'pets' });
    for (const term of selector.split(',')) {
      const [k, v] = term.split('=') as [string, string];
      expect(labels[k]).toBe(v);
    }
  });
});
