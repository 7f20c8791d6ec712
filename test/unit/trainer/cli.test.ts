import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../../images/trainer/main.ts', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', BOSUN_TERMINATION_LOG: '/dev/null', ...env },
  });

describe('trainer command line', () => {
  it('prints its usage and exits 2 without the train subcommand or with an unknown flag', () => {
    for (const args of [[], ['serve'], ['train', '--epochs', '3']]) {
      const r = run(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('usage: trainer train');
    }
  });

  it('names the first missing variable and exits 1 without a stack trace', () => {
    const r = run(['train']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "error: BOSUN_NAMESPACE is not set: the workload's Kubernetes namespace, e.g. from the downward API's metadata.namespace\n",
    );
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ level: 50, reason: 'ConfigInvalid' });
    const next = run(['train'], { BOSUN_NAMESPACE: 'ml' });
    expect(next.status).toBe(1);
    expect(next.stderr).toBe(
      'error: BOSUN_STORE_ENDPOINT is not set: the artifact store URL, e.g. http://minio:9000\n',
    );
  });
});
