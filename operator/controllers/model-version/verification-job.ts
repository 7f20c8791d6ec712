// The verification Job of one artifact, as a pure function of the artifact, the links it reads
// through and the operator's configuration. It runs this operator's image (`verify-artifact`) under
// Pod Security "restricted", in the operator's namespace, with no store credentials at all: it gets
// short-lived presigned GET links to the model and its metrics.json and nothing else
// (docs/decisions/ on workload store access). Exit code 1 means the artifact is bad (no retry);
// anything else is retried twice.
import type { V1Job } from '@kubernetes/client-node';
import { VERIFIER_ENV, verifierMemoryLimitBytes, verifierWorkDirBytes } from '../../verifier/job-contract.ts';
import { componentSelector, operatorLabels } from '../shared/labels.ts';
import { RESTRICTED_CONTAINER, RESTRICTED_POD } from '../shared/pod-security.ts';
import { type ArtifactRef, artifactId, verificationJobName } from './artifact-identity.ts';

export interface VerificationJobConfig {
  namespace: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  ttlSecondsAfterFinished: number;
}

/** What the Job reads: links that expire, and what the operator already knows of the object. */
export interface VerificationInputs {
  artifactUrl: string;
  metricsUrl: string;
  /** The object's size from the operator's HEAD: sizes the work dir and the memory limit. */
  size: number;
}

export const CONTAINER_NAME = 'verify';
export const COMPONENT = 'artifact-verification';
export const ARTIFACT_ID_LABEL = 'bosun.dev/artifact-id';
export const JOB_SELECTOR = componentSelector(COMPONENT);

const MIB = 1024 * 1024;
/**
 * What the scheduler keeps for a verifier: it starts in about 0.2 s of CPU and checks a small
 * model in well under a second. 100m made a burst of verification Pods wait for CPU requests to
 * free up (the scheduler's "Insufficient cpu" and its 10 s backoff, test/bench/training-run);
 * without a CPU limit a larger model still takes what the node has spare.
 */
const CPU_REQUEST = '50m';

const mebibytes = (bytes: number) => `${Math.ceil(bytes / MIB)}Mi`;

export function renderVerificationJob(
  artifact: ArtifactRef,
  inputs: VerificationInputs,
  config: VerificationJobConfig,
): V1Job {
  const labels = { ...operatorLabels(COMPONENT), [ARTIFACT_ID_LABEL]: artifactId(artifact) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: verificationJobName(artifact),
      namespace: config.namespace,
      labels,
      annotations: {
        'bosun.dev/artifact-namespace': artifact.namespace,
        'bosun.dev/artifact-uri': artifact.uri,
        'bosun.dev/artifact-sha256': artifact.sha256,
      },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 900,
      ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: CONTAINER_NAME, operator: 'In', values: [1] } },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: RESTRICTED_POD,
          containers: [
            {
              name: CONTAINER_NAME,
              image: config.image,
              imagePullPolicy: config.imagePullPolicy,
              args: ['verify-artifact'],
              env: [
                { name: VERIFIER_ENV.artifactUrl, value: inputs.artifactUrl },
                { name: VERIFIER_ENV.metricsUrl, value: inputs.metricsUrl },
                { name: VERIFIER_ENV.artifactSha256, value: artifact.sha256 },
                { name: VERIFIER_ENV.artifactSize, value: String(inputs.size) },
                { name: VERIFIER_ENV.workDir, value: '/work' },
              ],
              resources: {
                requests: { cpu: CPU_REQUEST, memory: '256Mi' },
                limits: { memory: mebibytes(verifierMemoryLimitBytes(inputs.size)) },
              },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              securityContext: RESTRICTED_CONTAINER,
              volumeMounts: [{ name: 'work', mountPath: '/work' }],
            },
          ],
          volumes: [{ name: 'work', emptyDir: { sizeLimit: mebibytes(verifierWorkDirBytes(inputs.size)) } }],
        },
      },
    },
  };
}
