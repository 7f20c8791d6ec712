// Why the new version's server keeps exiting, from its Pods: the server ends a start it cannot
// finish (a preprocessing that does not fit the model, a wrong digest) with exit code 1 and
// `<Reason>: <message>` as its termination message (docs/inference-server.md). Reading it turns a
// crash-looping Pod into a condition a person reads, while the old version keeps serving.
import type { V1Pod } from '@kubernetes/client-node';
import { CONTAINER_NAME } from './deployment.ts';
import { MODEL_VERSION_LABEL } from './serving-names.ts';

export interface ServerFailure {
  pod: string;
  exitCode: number;
  /** The termination message, or Kubernetes' reason (OOMKilled, Error) when there is none. */
  message: string;
  restarts: number;
}

const MAX_MESSAGE = 1024;

const time = (t: unknown) =>
  t === undefined || t === null ? '' : String(t instanceof Date ? t.toISOString() : t);

/** The most recent failed exit of the server container among the Pods of `modelVersion`. */
export function serverFailure(pods: readonly V1Pod[], modelVersion: string): ServerFailure | undefined {
  let latest: (ServerFailure & { at: string }) | undefined;
  for (const pod of pods) {
    if (pod.metadata?.labels?.[MODEL_VERSION_LABEL] !== modelVersion) continue;
    const status = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER_NAME);
    if (!status) continue;
    for (const terminated of [status.state?.terminated, status.lastState?.terminated]) {
      if (!terminated || terminated.exitCode === 0) continue;
      const at = time(terminated.finishedAt);
      if (latest && latest.at >= at) continue;
      const text =
        (terminated.message ?? '').trim() || terminated.reason || `exit code ${terminated.exitCode}`;
      latest = {
        pod: pod.metadata?.name ?? '',
        exitCode: terminated.exitCode,
        message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text,
        restarts: status.restartCount,
        at,
      };
    }
  }
  if (!latest) return undefined;
  const { at: _at, ...failure } = latest;
  return failure;
}
