// Pod Security "restricted" for every Pod the operator renders: non-root as the images' user
// (65532, distroless "nonroot"), seccomp RuntimeDefault, no privilege escalation, no capabilities,
// a read-only root filesystem (writable space comes from emptyDir volumes).
export const IMAGE_UID = 65532;

export const RESTRICTED_POD = {
  runAsNonRoot: true,
  runAsUser: IMAGE_UID,
  runAsGroup: IMAGE_UID,
  fsGroup: IMAGE_UID,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const RESTRICTED_CONTAINER = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
