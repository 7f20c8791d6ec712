import { describe, expect, it } from 'vitest';
import {
  servedByUpdate,
  servingModelVersions,
} from '../../../../operator/controllers/inference-service/served-by.ts';
import { aModelVersion, servedBy } from '../../gen/model-version.ts';

describe('status.servedBy of a ModelVersion', () => {
  it('gains and loses an InferenceService, sorted, and is left alone when already right', () => {
    expect(servedByUpdate(aModelVersion('fraud-v3'), 'api', true)).toEqual(['api']);
    expect(servedByUpdate(aModelVersion('fraud-v3', servedBy('web')), 'api', true)).toEqual(['api', 'web']);
    expect(servedByUpdate(aModelVersion('fraud-v3', servedBy('api', 'web')), 'api', false)).toEqual(['web']);
    expect(servedByUpdate(aModelVersion('fraud-v3', servedBy('api')), 'api', false)).toEqual([]);
    expect(servedByUpdate(aModelVersion('fraud-v3', servedBy('api')), 'api', true)).toBeUndefined();
    expect(servedByUpdate(aModelVersion('fraud-v3'), 'api', false)).toBeUndefined();
  });

  it('lists every version whose Pods may serve: open periods and the targets', () => {
    const status = {
      history: [
        { modelVersion: 'fraud-v2', version: 2, role: 'primary' as const, from: 't', to: 't' },
        { modelVersion: 'fraud-v3', version: 3, role: 'primary' as const, from: 't' },
      ],
    };
    expect([...servingModelVersions(status, ['fraud-v4'])].sort()).toEqual(['fraud-v3', 'fraud-v4']);
  });
});
