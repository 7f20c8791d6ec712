// The one Service of an InferenceService: it selects every serving Pod, primary and canary alike,
// so the canary's share of traffic is its share of the ready Pods (per connection: a client that
// keeps its connection open stays on one Pod). Pure; its URL is what status.url reports.
import type { V1Service } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/inference-service.ts';
import { controllerReference } from '../shared/owner-references.ts';
import { podSelectorLabels, serviceName, servingLabels } from './serving-names.ts';

export const SERVICE_PORT = 8080;

export function renderService(isvc: InferenceService): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(isvc),
      namespace: isvc.metadata.namespace as string,
      labels: servingLabels(isvc),
      ownerReferences: [controllerReference(isvc)],
    },
    spec: {
      type: 'ClusterIP',
      selector: podSelectorLabels(isvc),
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }],
    },
  };
}

/** The in-cluster URL of the prediction endpoint: `http://<service>.<namespace>.svc:<port>`. */
export function serviceUrl(isvc: InferenceService): string {
  return `http://${serviceName(isvc)}.${isvc.metadata.namespace}.svc:${SERVICE_PORT}`;
}
