// The ModelVersion a successful run registers, as a pure function of the run, the version number
// it claimed and the digest of its model: `<model>-v<N>`, its artifact in
// models/<ns>/<model>/<N>/model.onnx, and its lineage (the run, the Dataset, the pinned snapshot).
// It is not owned by the run: deleting a run must not delete a registered model.
import { modelPrefix } from '../../../lib/store/keys.ts';
import { API_VERSION } from '../../api/group.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { TrainingRun } from '../../api/training-run.ts';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.ts';
import { modelVersionName, TRAINING_RUN_LABEL } from './names.ts';
import type { PinnedSnapshot } from './resolve-snapshot.ts';

export function modelKey(run: TrainingRun, version: number, file = 'model.onnx'): string {
  return `${modelPrefix(run.metadata.namespace as string, run.spec.model.name, version)}${file}`;
}

export function renderModelVersion(
  run: TrainingRun,
  registration: { version: number; sha256: string; bucket: string; snapshot: PinnedSnapshot },
): ModelVersion {
  const { version, sha256, bucket, snapshot } = registration;
  return {
    apiVersion: API_VERSION,
    kind: 'ModelVersion',
    metadata: {
      name: modelVersionName(run.spec.model.name, version),
      namespace: run.metadata.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [TRAINING_RUN_LABEL]: run.metadata.name as string },
    },
    spec: {
      model: run.spec.model.name,
      version,
      artifact: { uri: `s3://${bucket}/${modelKey(run, version)}`, sha256, format: 'onnx' },
      source: {
        trainingRun: run.metadata.name as string,
        dataset: {
          name: run.spec.dataset.name,
          snapshot: snapshot.version,
          variant: snapshot.variant,
          manifestSha256: snapshot.manifest.sha256,
        },
      },
      stage: 'none',
      deletionPolicy: 'Retain',
    },
  } as ModelVersion;
}
