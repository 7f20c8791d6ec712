// What Pod Security "restricted" demands of every container the end-to-end tests run.
import type { V1Container } from '@kubernetes/client-node';

export const restrictedSecurityContext = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} satisfies V1Container['securityContext'];

/** Namespace labels that make the API server enforce it. */
export const restrictedNamespaceLabels = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};
