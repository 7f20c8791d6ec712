import { describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../../operator/api/model-version.ts';
import { modelVersionChanged } from '../../../../operator/controllers/model-version/setup.ts';
import { aModelVersion, deleting, servedBy, verified, withFinalizer } from '../../gen/model-version.ts';

describe('which ModelVersion changes are reconciled', () => {
  const held = aModelVersion('m-v1', verified, withFinalizer, deleting, servedBy('svc'));
  const cases: [string, ModelVersion, ModelVersion | undefined, boolean][] = [
    ['a new object', held, undefined, true],
    ['a status-only write (verification)', aModelVersion('m-v1', verified), aModelVersion('m-v1'), false],
    [
      'servedBy changing on an object not being deleted',
      aModelVersion('m-v1', verified, servedBy('svc')),
      aModelVersion('m-v1', verified),
      false,
    ],
    [
      'a held deletion released (servedBy emptied)',
      aModelVersion('m-v1', verified, withFinalizer, deleting, servedBy()),
      held,
      true,
    ],
    [
      'a held deletion whose servedBy lost one of two',
      held,
      aModelVersion('m-v1', verified, withFinalizer, deleting, servedBy('other', 'svc')),
      true,
    ],
    [
      'a held deletion whose servedBy did not change',
      aModelVersion('m-v1', verified, withFinalizer, deleting, servedBy('svc')),
      held,
      false,
    ],
  ];
  it.each(cases)('%s', (_name, obj, old, expected) => {
    expect(modelVersionChanged(obj, old)).toBe(expected);
  });
});
