import { describe, expect, it } from 'vitest';
import { loadConfig, parseDuration } from '../../../operator/config.ts';

const env = {
  POD_NAMESPACE: 'bosun-system',
  BOSUN_STORE_ENDPOINT: 'http://minio:9000',
  BOSUN_STORE_ACCESS_KEY: 'ak',
  BOSUN_STORE_SECRET_KEY: 'sk',
  BOSUN_OPERATOR_IMAGE: 'registry.example/bosun/operator:1',
};

describe('operator configuration', () => {
  it('has controller-runtime defaults and reads the environment', () => {
    const c = loadConfig([], env);
    expect(c.watchNamespace).toBe('');
    expect(c.operatorNamespace).toBe('bosun-system');
    expect(c.leaderElection).toEqual({
      enabled: true,
      leaseName: 'bosun-operator',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(c.metricsBindAddress).toBe(':8080');
    expect(c.healthProbeBindAddress).toBe(':8081');
    expect(c.resyncPeriodMs).toBe(36_000_000);
    expect(c.store).toMatchObject({
      endpoint: 'http://minio:9000',
      bucket: 'bosun',
      credentialsSecret: 'bosun-store',
    });
  });

  it('lets flags win over the environment, in both --flag=value and --flag value forms', () => {
    const c = loadConfig(['--watch-namespace=team-a', '--concurrency', '3', '--leader-elect=false'], {
      ...env,
      BOSUN_WATCH_NAMESPACE: 'other',
    });
    expect(c.watchNamespace).toBe('team-a');
    expect(c.concurrency).toBe(3);
    expect(c.leaderElection.enabled).toBe(false);
  });

  it('explains what is wrong', () => {
    expect(() => loadConfig(['--bogus=1'], env)).toThrow('unknown flag --bogus');
    expect(() => loadConfig([], { ...env, POD_NAMESPACE: undefined })).toThrow(
      '--operator-namespace (or POD_NAMESPACE) is required',
    );
    expect(() => loadConfig(['--store-endpoint=minio:9000/x'], env)).toThrow(/--store-endpoint/);
    expect(() => loadConfig([], { ...env, BOSUN_STORE_SECRET_KEY: '' })).toThrow(/BOSUN_STORE_SECRET_KEY/);
    expect(() => loadConfig(['--concurrency=0'], env)).toThrow(/--concurrency/);
    expect(() => loadConfig(['--lease-duration=5s'], env)).toThrow(/lease-duration > --renew-deadline/);
    expect(() => loadConfig(['--watch-namespace=Team_A'], env)).toThrow(/namespace name/);
  });

  it('mints scoped credentials for writer Jobs unless told to share the store Secret', () => {
    const c = loadConfig([], env);
    expect(c.workloadCredentials).toBe('sts');
    // MinIO answers STS on its S3 endpoint; AWS needs its STS endpoint and a role.
    expect(c.sts).toEqual({ endpoint: 'http://minio:9000', roleArn: '' });
    const aws = loadConfig(
      [
        '--store-endpoint=https://s3.eu-west-1.amazonaws.com',
        '--sts-endpoint=https://sts.eu-west-1.amazonaws.com',
        '--sts-role-arn=arn:aws:iam::123456789012:role/bosun-workloads',
      ],
      env,
    );
    expect(aws.sts).toEqual({
      endpoint: 'https://sts.eu-west-1.amazonaws.com',
      roleArn: 'arn:aws:iam::123456789012:role/bosun-workloads',
    });
    expect(loadConfig([], { ...env, BOSUN_WORKLOAD_CREDENTIALS: 'shared' }).workloadCredentials).toBe(
      'shared',
    );
    expect(() => loadConfig(['--workload-credentials=none'], env)).toThrow(
      '--workload-credentials must be sts or shared, got "none"',
    );
    expect(() => loadConfig(['--sts-endpoint=sts.example'], env)).toThrow(/--sts-endpoint must be a URL/);
  });

  it('parses durations', () => {
    expect(parseDuration('x', '500ms')).toBe(500);
    expect(parseDuration('x', '1.5s')).toBe(1500);
    expect(parseDuration('x', '5m')).toBe(300_000);
    expect(() => parseDuration('x', '5')).toThrow(/duration/);
  });
});
