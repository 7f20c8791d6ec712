import { describe, expect, it } from 'vitest';
import { autoscalingPlan, renderHpa } from '../../../../operator/controllers/inference-service/hpa.ts';
import { anInferenceService, withAutoscaling } from '../../gen/inference-service.ts';

describe('the HorizontalPodAutoscaler of an InferenceService', () => {
  it('scales the primary Deployment on CPU utilisation', () => {
    const isvc = anInferenceService(
      'api',
      withAutoscaling({ minReplicas: 2, maxReplicas: 6, targetCPUUtilization: 70 }),
    );
    const plan = autoscalingPlan(isvc, false);
    expect(plan).toEqual({ mode: 'autoscaler', minReplicas: 2, maxReplicas: 6, metric: 'cpu' });
    const hpa = renderHpa(isvc, plan);
    expect(hpa?.metadata).toMatchObject({ name: 'api', namespace: 'team-a' });
    expect(hpa?.metadata?.ownerReferences).toMatchObject([{ kind: 'InferenceService', uid: 'uid-api' }]);
    expect(hpa?.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api-primary' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    });
  });

  it("scales on the servers' requests in flight when a custom metrics adapter serves them", () => {
    const isvc = anInferenceService(
      'api',
      withAutoscaling({ minReplicas: 1, maxReplicas: 4, targetConcurrency: 8 }),
    );
    const hpa = renderHpa(isvc, autoscalingPlan(isvc, true));
    expect(hpa?.spec?.metrics).toEqual([
      {
        type: 'Pods',
        pods: {
          metric: { name: 'bosun_inference_in_flight_requests' },
          target: { type: 'AverageValue', averageValue: '8' },
        },
      },
    ]);
  });

  it('is not made for targetConcurrency without an adapter: the primary runs minReplicas instead', () => {
    const isvc = anInferenceService(
      'api',
      withAutoscaling({ minReplicas: 3, maxReplicas: 4, targetConcurrency: 8 }),
    );
    const plan = autoscalingPlan(isvc, false);
    expect(plan).toEqual({ mode: 'unavailable', minReplicas: 3, maxReplicas: 4 });
    expect(renderHpa(isvc, plan)).toBeUndefined();
  });

  it('is not made without spec.autoscaling', () => {
    const isvc = anInferenceService('api');
    expect(autoscalingPlan(isvc, true)).toEqual({ mode: 'fixed-replicas' });
    expect(renderHpa(isvc, autoscalingPlan(isvc, true))).toBeUndefined();
  });
});
