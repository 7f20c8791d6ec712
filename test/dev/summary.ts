// What `make dev` prints at the end: where things are, the kubectl commands to look around, and
// how to stop.
import { join } from 'node:path';
import type { EnvironmentState } from '../cluster/environment.ts';

export interface SummaryInput {
  state: Pick<EnvironmentState, 'dir' | 'kubectl' | 'controlPlane' | 'minio' | 'postgres'>;
  namespace: string;
  operatorNamespace: string;
  operatorDeployment: string;
  bucket: string;
  /** The InferenceService from this machine. */
  hostUrl?: string | undefined;
}

export function summary(s: SummaryInput): string {
  const k = `kubectl -n ${s.namespace}`;
  const lines = [
    'Where things are:',
    `  API server      ${s.state.controlPlane.server}`,
    `  MinIO           ${s.state.minio.endpoint}  bucket ${s.bucket}, access key ${s.state.minio.accessKey}, secret key in ${join(s.state.dir, 'environment.json')}`,
    `  PostgreSQL      postgres://${s.state.postgres.user}@${s.state.postgres.host}:${s.state.postgres.port}/${s.state.postgres.database}  (password in the same file)`,
  ];
  if (s.hostUrl) {
    lines.push(
      `  digits endpoint ${s.hostUrl}  (OpenAPI page: ${s.hostUrl}/docs)`,
      `  classify        curl -H 'Content-Type: image/png' --data-binary @digit.png ${s.hostUrl}/v2/models/digits/classify`,
    );
  }
  lines.push(
    '',
    'Look around:',
    `  export KUBECONFIG=${s.state.controlPlane.kubeconfig} PATH=${join(s.state.kubectl, '..')}:$PATH`,
    `  ${k} get bosun                           # the Dataset, TrainingRuns, ModelVersions, InferenceService`,
    `  ${k} get btr -o wide                     # runs: snapshot, metric, the version each registered`,
    `  ${k} get bmv digits-v2 -o jsonpath='{.spec.source}'   # a version's lineage`,
    `  ${k} describe dataset digits             # collections, snapshots, Events`,
    `  ${k} get cronjobs,jobs,pods              # what the operator runs`,
    `  kubectl -n ${s.operatorNamespace} logs deploy/${s.operatorDeployment}   # the operator's log`,
    '',
    'Run make dev again: it reconciles what is there. Stop everything: make dev-down',
  );
  return lines.join('\n');
}
