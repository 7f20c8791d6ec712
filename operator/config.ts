// The operator's configuration: command-line flags, each with an environment variable as fallback
// (flags win), validated up front so a bad setting stops the process with one clear line.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface OperatorConfig {
  /** Path to a kubeconfig; empty means in-cluster (service account). */
  kubeconfig: string;
  /** Watch only this namespace; empty means every namespace. */
  watchNamespace: string;
  /** Where the operator runs: its Lease and the verification Jobs live here, next to the store Secret. */
  operatorNamespace: string;
  store: {
    endpoint: string;
    bucket: string;
    region: string;
    /** Secret in the operator namespace with keys accessKeyId and secretAccessKey, for Jobs. */
    credentialsSecret: string;
    /** The operator's own credentials (from the same Secret, through its environment). */
    accessKey: string;
    secretKey: string;
  };
  /**
   * How writer Jobs reach the store (docs/decisions/0008-workload-store-access.md): `sts` mints
   * credentials scoped to the Job's prefixes; `shared` hands them the long-lived store Secret.
   */
  workloadCredentials: 'sts' | 'shared';
  sts: {
    /** The STS endpoint: MinIO serves STS on its S3 endpoint, AWS at https://sts.<region>.amazonaws.com. */
    endpoint: string;
    /** The role writer Jobs assume; AWS requires one, MinIO scopes the operator's own user instead. */
    roleArn: string;
  };
  concurrency: number;
  leaderElection: {
    enabled: boolean;
    leaseName: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  identity: string;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  /** Image of the verification Job (this operator's image). */
  image: string;
  /** Image the InferenceServices' Deployments run (images/inference-server); empty: none configured. */
  inferenceServerImage: string;
  /** Image of the Datasets' collection and snapshot Jobs (images/data-jobs); empty: none configured. */
  dataJobsImage: string;
  /** Image of the built-in trainers' Jobs (images/trainer); empty: none configured. */
  trainerImage: string;
  /**
   * Whether a custom metrics adapter serves the servers' bosun_inference_in_flight_requests as a
   * Pods metric, so that autoscaling on targetConcurrency can work.
   */
  customMetricsAdapter: boolean;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** How long before a failed verification is tried again (the artifact may be uploaded later). */
  verificationRetryMs: number;
  /** Finished verification Jobs are removed by the TTL controller after this long. */
  jobTtlSeconds: number;
  /** Every object is reconciled again this often, as a safety net (controller-runtime SyncPeriod). */
  resyncPeriodMs: number;
  /** How long shutdown waits for reconciles in flight. */
  shutdownTimeoutMs: number;
  logLevel: string;
}

interface Flag {
  env: string;
  default?: string;
  help: string;
}

export const flags: Record<string, Flag> = {
  kubeconfig: { env: 'KUBECONFIG', default: '', help: 'path to a kubeconfig; in-cluster config when empty' },
  'watch-namespace': {
    env: 'BOSUN_WATCH_NAMESPACE',
    default: '',
    help: 'watch one namespace; all namespaces when empty',
  },
  'operator-namespace': {
    env: 'POD_NAMESPACE',
    help: 'namespace of the operator (Lease, verification Jobs, store Secret)',
  },
  'store-endpoint': {
    env: 'BOSUN_STORE_ENDPOINT',
    help: 'artifact store URL, e.g. http://minio.bosun-system:9000',
  },
  'store-bucket': {
    env: 'BOSUN_STORE_BUCKET',
    default: 'bosun',
    help: 'the bucket that holds models and datasets',
  },
  'store-region': { env: 'BOSUN_STORE_REGION', default: 'us-east-1', help: 'store region' },
  'store-credentials-secret': {
    env: 'BOSUN_STORE_CREDENTIALS_SECRET',
    default: 'bosun-store',
    help: 'Secret (keys accessKeyId, secretAccessKey) in the operator namespace',
  },
  'workload-credentials': {
    env: 'BOSUN_WORKLOAD_CREDENTIALS',
    default: 'sts',
    help: 'store access of writer Jobs: sts (scoped temporary credentials) or shared (the store Secret itself)',
  },
  'sts-endpoint': {
    env: 'BOSUN_STS_ENDPOINT',
    default: '',
    help: 'STS endpoint for --workload-credentials=sts; the store endpoint when empty',
  },
  'sts-role-arn': {
    env: 'BOSUN_STS_ROLE_ARN',
    default: '',
    help: 'role writer Jobs assume (required by AWS; MinIO ignores it)',
  },
  concurrency: { env: 'BOSUN_CONCURRENCY', default: '64', help: 'reconciles at once per controller' },
  'leader-elect': {
    env: 'BOSUN_LEADER_ELECT',
    default: 'true',
    help: 'elect a leader through a Lease (true/false)',
  },
  'leader-election-id': {
    env: 'BOSUN_LEADER_ELECTION_ID',
    default: 'bosun-operator',
    help: 'name of the Lease',
  },
  'lease-duration': { env: 'BOSUN_LEASE_DURATION', default: '15s', help: 'leader election lease duration' },
  'renew-deadline': { env: 'BOSUN_RENEW_DEADLINE', default: '10s', help: 'leader election renew deadline' },
  'retry-period': { env: 'BOSUN_RETRY_PERIOD', default: '2s', help: 'leader election retry period' },
  identity: {
    env: 'POD_NAME',
    default: '',
    help: 'this replica in the Lease and in Events; hostname when empty',
  },
  'metrics-bind-address': {
    env: 'BOSUN_METRICS_BIND_ADDRESS',
    default: ':8080',
    help: 'address of /metrics; 0 disables',
  },
  'health-probe-bind-address': {
    env: 'BOSUN_HEALTH_PROBE_BIND_ADDRESS',
    default: ':8081',
    help: 'address of /healthz and /readyz; 0 disables',
  },
  image: { env: 'BOSUN_OPERATOR_IMAGE', help: 'image of the verification Jobs: this operator image' },
  'inference-server-image': {
    env: 'BOSUN_INFERENCE_SERVER_IMAGE',
    default: '',
    help: "image of the InferenceServices' serving Pods (images/inference-server)",
  },
  'data-jobs-image': {
    env: 'BOSUN_DATA_JOBS_IMAGE',
    default: '',
    help: "image of the Datasets' collection and snapshot Jobs (images/data-jobs)",
  },
  'trainer-image': {
    env: 'BOSUN_TRAINER_IMAGE',
    default: '',
    help: "image of the TrainingRuns' built-in trainer Jobs (images/trainer)",
  },
  'custom-metrics-adapter': {
    env: 'BOSUN_CUSTOM_METRICS_ADAPTER',
    default: 'false',
    help: 'a custom metrics adapter serves bosun_inference_in_flight_requests, so targetConcurrency autoscaling works (true/false)',
  },
  'image-pull-policy': {
    env: 'BOSUN_IMAGE_PULL_POLICY',
    default: 'IfNotPresent',
    help: 'pull policy of Job images',
  },
  'verification-retry': {
    env: 'BOSUN_VERIFICATION_RETRY',
    default: '5m',
    help: 'wait before a failed verification runs again',
  },
  'job-ttl': {
    env: 'BOSUN_JOB_TTL',
    default: '1h',
    help: 'finished verification Jobs are deleted after this long',
  },
  'resync-period': {
    env: 'BOSUN_RESYNC_PERIOD',
    default: '10h',
    help: 'reconcile every object again this often',
  },
  'shutdown-timeout': {
    env: 'BOSUN_SHUTDOWN_TIMEOUT',
    default: '25s',
    help: 'wait this long for reconciles in flight at shutdown',
  },
  'log-level': { env: 'BOSUN_LOG_LEVEL', default: 'info', help: 'pino log level' },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `1500ms`, `30s`, `5m`, `10h` → milliseconds. */
export function parseDuration(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m)
    throw new ConfigError(
      `--${name} must be a duration such as 500ms, 30s, 5m or 10h, got ${JSON.stringify(value)}`,
    );
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function parseArgs(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!(name in flags)) throw new ConfigError(`unknown flag --${name} (see --help)`);
    if (eq >= 0) values.set(name, arg.slice(eq + 1));
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      values.set(name, next);
      i++;
    }
  }
  return values;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function loadConfig(argv: string[], env: Record<string, string | undefined>): OperatorConfig {
  const args = parseArgs(argv);
  const get = (name: string): string => {
    const flag = flags[name] as Flag;
    const value = args.get(name) ?? env[flag.env] ?? flag.default;
    if (value === undefined || (value === '' && flag.default === undefined))
      throw new ConfigError(`--${name} (or ${flag.env}) is required: ${flag.help}`);
    return value;
  };
  const namespace = (name: string, optional: boolean) => {
    const value = get(name);
    if ((value !== '' || !optional) && !DNS_LABEL.test(value))
      throw new ConfigError(`--${name} must be a namespace name, got ${JSON.stringify(value)}`);
    return value;
  };
  const bool = (name: string) => {
    const value = get(name);
    if (value !== 'true' && value !== 'false') throw new ConfigError(`--${name} must be true or false`);
    return value === 'true';
  };
  const endpoint = get('store-endpoint');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(
      `--store-endpoint must be a URL such as http://minio:9000, got ${JSON.stringify(endpoint)}`,
    );
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.pathname !== '/')
    throw new ConfigError('--store-endpoint must be scheme://host[:port] with http or https');
  const workloadCredentials = get('workload-credentials');
  if (workloadCredentials !== 'sts' && workloadCredentials !== 'shared')
    throw new ConfigError(
      `--workload-credentials must be sts or shared, got ${JSON.stringify(workloadCredentials)}`,
    );
  const stsEndpoint = get('sts-endpoint') || url.origin;
  let stsUrl: URL;
  try {
    stsUrl = new URL(stsEndpoint);
  } catch {
    throw new ConfigError(`--sts-endpoint must be a URL, got ${JSON.stringify(stsEndpoint)}`);
  }
  if (!['http:', 'https:'].includes(stsUrl.protocol) || stsUrl.pathname !== '/')
    throw new ConfigError('--sts-endpoint must be scheme://host[:port] with http or https');
  const concurrency = Number(get('concurrency'));
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
    throw new ConfigError('--concurrency must be an integer from 1 to 256');
  const pullPolicy = get('image-pull-policy');
  if (!['Always', 'IfNotPresent', 'Never'].includes(pullPolicy))
    throw new ConfigError('--image-pull-policy must be Always, IfNotPresent or Never');
  const accessKey = env.BOSUN_STORE_ACCESS_KEY ?? '';
  const secretKey = env.BOSUN_STORE_SECRET_KEY ?? '';
  if (!accessKey || !secretKey)
    throw new ConfigError(
      'BOSUN_STORE_ACCESS_KEY and BOSUN_STORE_SECRET_KEY must be set (from the store credentials Secret)',
    );
  const config: OperatorConfig = {
    kubeconfig: get('kubeconfig'),
    watchNamespace: namespace('watch-namespace', true),
    operatorNamespace: namespace('operator-namespace', false),
    store: {
      endpoint: url.origin,
      bucket: get('store-bucket'),
      region: get('store-region'),
      credentialsSecret: get('store-credentials-secret'),
      accessKey,
      secretKey,
    },
    workloadCredentials,
    sts: { endpoint: stsUrl.origin, roleArn: get('sts-role-arn') },
    concurrency,
    leaderElection: {
      enabled: bool('leader-elect'),
      leaseName: get('leader-election-id'),
      leaseDurationMs: parseDuration('lease-duration', get('lease-duration')),
      renewDeadlineMs: parseDuration('renew-deadline', get('renew-deadline')),
      retryPeriodMs: parseDuration('retry-period', get('retry-period')),
    },
    identity: get('identity') || `${hostname()}_${randomBytes(4).toString('hex')}`,
    metricsBindAddress: get('metrics-bind-address'),
    healthProbeBindAddress: get('health-probe-bind-address'),
    image: get('image'),
    inferenceServerImage: get('inference-server-image'),
    dataJobsImage: get('data-jobs-image'),
    trainerImage: get('trainer-image'),
    customMetricsAdapter: bool('custom-metrics-adapter'),
    imagePullPolicy: pullPolicy as OperatorConfig['imagePullPolicy'],
    verificationRetryMs: parseDuration('verification-retry', get('verification-retry')),
    jobTtlSeconds: Math.round(parseDuration('job-ttl', get('job-ttl')) / 1000),
    resyncPeriodMs: parseDuration('resync-period', get('resync-period')),
    shutdownTimeoutMs: parseDuration('shutdown-timeout', get('shutdown-timeout')),
    logLevel: get('log-level'),
  };
  const le = config.leaderElection;
  if (!(le.leaseDurationMs > le.renewDeadlineMs && le.renewDeadlineMs > 1.2 * le.retryPeriodMs))
    throw new ConfigError('leader election needs --lease-duration > --renew-deadline > 1.2 × --retry-period');
  return config;
}

export function usage(): string {
  const lines = Object.entries(flags).map(
    ([name, f]) =>
      `  --${name.padEnd(28)} ${f.help} (env ${f.env}${f.default ? `, default ${f.default}` : ''})`,
  );
  return `usage: node operator/main.ts [flags]\n       node operator/main.ts verify-artifact   (the verification Job)\n\nflags:\n${lines.join('\n')}\n`;
}
