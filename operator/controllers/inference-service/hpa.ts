// The HorizontalPodAutoscaler (autoscaling/v2) for spec.autoscaling, and how the primary is scaled
// when it cannot be made. It targets the primary Deployment (spec.replicas of the InferenceService
// is refused beside autoscaling, so the autoscaler cannot write there); a canary follows the
// primary's count at its share. CPU utilisation always works (metrics-server); targetConcurrency
// reads the servers' in-flight gauge as a Pods metric, which only a custom metrics adapter (such
// as prometheus-adapter) serves, so it is used only when the operator is told one is installed.
import type { V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/inference-service.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { deploymentName, hpaName, servingLabels } from './serving-names.ts';

/** The gauge the inference server exports (docs/inference-server.md, Metrics). */
export const IN_FLIGHT_METRIC = 'bosun_inference_in_flight_requests';

export type AutoscalingPlan =
  /** spec.replicas decides. */
  | { mode: 'fixed-replicas' }
  /** The HPA decides the primary's count. */
  | { mode: 'autoscaler'; minReplicas: number; maxReplicas: number; metric: 'cpu' | 'concurrency' }
  /** Autoscaling was asked for on a metric that is not available: the primary runs minReplicas. */
  | { mode: 'unavailable'; minReplicas: number; maxReplicas: number };

export function autoscalingPlan(isvc: InferenceService, customMetricsAdapter: boolean): AutoscalingPlan {
  const a = isvc.spec.autoscaling;
  if (!a) return { mode: 'fixed-replicas' };
  const minReplicas = a.minReplicas ?? 1;
  const { maxReplicas } = a;
  if (a.targetConcurrency !== undefined && !customMetricsAdapter)
    return { mode: 'unavailable', minReplicas, maxReplicas };
  return {
    mode: 'autoscaler',
    minReplicas,
    maxReplicas,
    metric: a.targetConcurrency !== undefined ? 'concurrency' : 'cpu',
  };
}

/** The HPA, or undefined when the plan has none. */
export function renderHpa(
  isvc: InferenceService,
  plan: AutoscalingPlan,
): V2HorizontalPodAutoscaler | undefined {
  const a = isvc.spec.autoscaling;
  if (plan.mode !== 'autoscaler' || !a) return undefined;
  const metric: V2MetricSpec =
    plan.metric === 'cpu'
      ? {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: a.targetCPUUtilization as number },
          },
        }
      : {
          type: 'Pods',
          pods: {
            metric: { name: IN_FLIGHT_METRIC },
            target: { type: 'AverageValue', averageValue: String(a.targetConcurrency) },
          },
        };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: hpaName(isvc),
      namespace: isvc.metadata.namespace as string,
      labels: servingLabels(isvc),
      ownerReferences: [controllerReference(isvc)],
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName(isvc, 'primary') },
      minReplicas: plan.minReplicas,
      maxReplicas: plan.maxReplicas,
      metrics: [metric],
    },
  };
}
