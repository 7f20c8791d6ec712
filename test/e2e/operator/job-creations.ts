// The Jobs created in a namespace while a test runs, from one watch: ADDED events per Job name (a
// Job made twice, or deleted and made again, shows up twice) and each Job as first seen. The
// watch starts at resourceVersion 0, so Jobs made before it connected are seen too.
import type { V1Job } from '@kubernetes/client-node';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';

export interface JobCreations {
  /** ADDED events by Job name. */
  created: Map<string, number>;
  /** Each Job as its first ADDED event showed it. */
  jobs: Map<string, V1Job>;
  /** Ends the watch; throws when it had ended before (its counts would be short). */
  stop(): void;
}

export function watchJobCreations(client: KubeClient, namespace: string): JobCreations {
  const created = new Map<string, number>();
  const jobs = new Map<string, V1Job>();
  const abort = new AbortController();
  let failure: unknown;
  void client
    .watch<V1Job>(
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      { resourceVersion: '0' },
      (event) => {
        if (event.type !== 'ADDED') return;
        const name = event.object.metadata?.name as string;
        created.set(name, (created.get(name) ?? 0) + 1);
        if (!jobs.has(name)) jobs.set(name, event.object);
      },
      { signal: abort.signal, idleMs: 600_000 },
    )
    .then(
      () => {
        if (!abort.signal.aborted) failure = 'the API server closed it';
      },
      (error: unknown) => {
        if (!abort.signal.aborted) failure = error;
      },
    );
  return {
    created,
    jobs,
    stop: () => {
      abort.abort();
      if (failure) throw new Error(`the Job watch ended before the test did: ${String(failure)}`);
    },
  };
}
