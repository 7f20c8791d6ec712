// How the operator hands writer workloads their store credentials (--workload-credentials,
// decision 0008): `sts` mints credentials scoped to a workload's prefixes, for as long as asked;
// `shared` hands out the long-lived store Secret of that name. One place builds it from the
// configuration, for every controller that starts writers.

import type { SessionPolicyScope } from '../../../lib/store/policy.ts';
import { mintScopedCredentials, type ScopedCredentials } from '../../../lib/store/sts.ts';
import type { OperatorConfig } from '../../config.ts';

export type WorkloadCredentials =
  | {
      mode: 'sts';
      mint: (
        scope: SessionPolicyScope,
        sessionName: string,
        durationSeconds: number,
      ) => Promise<ScopedCredentials>;
    }
  | { mode: 'shared'; secret: string };

export function workloadCredentials(config: OperatorConfig): WorkloadCredentials {
  if (config.workloadCredentials === 'shared')
    return { mode: 'shared', secret: config.store.credentialsSecret };
  const sts = {
    endpoint: config.sts.endpoint || config.store.endpoint,
    accessKey: config.store.accessKey,
    secretKey: config.store.secretKey,
    region: config.store.region,
    ...(config.sts.roleArn ? { roleArn: config.sts.roleArn } : {}),
  };
  return {
    mode: 'sts',
    mint: (scope, sessionName, durationSeconds) =>
      mintScopedCredentials(sts, { scope, durationSeconds, sessionName }),
  };
}
