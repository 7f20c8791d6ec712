// The verification Job of one artifact, as a pure function of the artifact and the operator's
// configuration. It runs this operator's image (`verify-artifact`) under Pod Security "restricted",
// in the operator's namespace where the store Secret is, so users' namespaces never hold store
// credentials. Exit code 1 means the artifact is bad (no retry); anything else is retried twice.
import type { V1Job } from '@kubernetes/client-node';
import { type ArtifactRef, artifactId, verificationJobName } from './artifact-identity.ts';

export interface VerificationJobConfig {
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  store: { endpoint: string; bucket: string; region: string; credentialsSecret: string };
  ttlSecondsAfterFinished: number;
}

export const containerName = 'verify';
export const managedBy = 'bosun-operator';
export const component = 'artifact-verification';
export const artifactIdLabel = 'bosun.dev/artifact-id';
export const jobSelector = `app.kubernetes.io/managed-by=${managedBy},app.kubernetes.io/component=${component}`;

const restrictedContainer = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export function renderVerificationJob(artifact: ArtifactRef, config: VerificationJobConfig): V1Job {
  const id = artifactId(artifact);
  const labels = {
    'app.kubernetes.io/name': 'bosun',
    'app.kubernetes.io/managed-by': managedBy,
    'app.kubernetes.io/component': component,
    [artifactIdLabel]: id,
  };
  const secret = (key: string) => ({ secretKeyRef: { name: config.store.credentialsSecret, key } });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: verificationJobName(artifact),
      namespace: config.namespace,
      labels,
      annotations: { 'bosun.dev/artifact-uri': artifact.uri, 'bosun.dev/artifact-sha256': artifact.sha256 },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [{ action: 'FailJob', onExitCodes: { containerName, operator: 'In', values: [1] } }],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: containerName,
              image: config.image,
              imagePullPolicy: config.imagePullPolicy,
              args: ['verify-artifact'],
              env: [
                { name: 'BOSUN_STORE_ENDPOINT', value: config.store.endpoint },
                { name: 'BOSUN_STORE_BUCKET', value: config.store.bucket },
                { name: 'BOSUN_STORE_REGION', value: config.store.region },
                { name: 'BOSUN_STORE_ACCESS_KEY', valueFrom: secret('accessKeyId') },
                { name: 'BOSUN_STORE_SECRET_KEY', valueFrom: secret('secretAccessKey') },
                { name: 'BOSUN_ARTIFACT_URI', value: artifact.uri },
                { name: 'BOSUN_ARTIFACT_SHA256', value: artifact.sha256 },
                { name: 'BOSUN_WORK_DIR', value: '/tmp' },
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              securityContext: restrictedContainer,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
        },
      },
    },
  };
}
