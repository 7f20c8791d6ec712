import { describe, expect, it } from 'vitest';
import { renderService, serviceUrl } from '../../../../operator/controllers/inference-service/service.ts';
import { anInferenceService } from '../../gen/inference-service.ts';

describe('the Service of an InferenceService', () => {
  const isvc = anInferenceService('api');
  const service = renderService(isvc);

  it('selects every serving Pod of this InferenceService, whatever its role or version', () => {
    expect(service.spec?.selector).toEqual({
      'app.kubernetes.io/component': 'inference-server',
      'app.kubernetes.io/instance': 'api',
      'bosun.dev/owner-kind': 'inferenceservice',
    });
    expect(service.spec?.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
    ]);
    expect(service.spec?.type).toBe('ClusterIP');
  });

  it('is named after the InferenceService, owned by it, and its URL is what status reports', () => {
    expect(service.metadata).toMatchObject({ name: 'api', namespace: 'team-a' });
    expect(service.metadata?.ownerReferences).toMatchObject([
      { kind: 'InferenceService', uid: 'uid-api', controller: true },
    ]);
    expect(serviceUrl(isvc)).toBe('http://api.team-a.svc:8080');
  });
});
