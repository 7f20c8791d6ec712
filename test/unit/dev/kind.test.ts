// The kind path cannot run here (no Docker engine): its dry run is what is checked.
import { describe, expect, it } from 'vitest';
import { discoverImages, imageRef } from '../../cluster/local-images.ts';
import { render } from '../../dev/commands.ts';
import { INFRA_NAMESPACE, KIND_CLUSTER, kindCommands, kindDown, kindUp } from '../../dev/kind.ts';

const credentials = { minioUser: 'bosun', minioPassword: 'pw1', postgresPassword: 'pw2' };

describe('make dev CLUSTER=kind', () => {
  it('builds every image with docker and loads it with kind load, under the names the demo uses', () => {
    const commands = kindCommands(credentials, '/bin/helm', 'h');
    expect(commands[0]).toMatchObject({
      program: 'kind',
      args: ['create', 'cluster', '--name', KIND_CLUSTER, '--wait', '120s'],
    });
    for (const image of discoverImages()) {
      const ref = imageRef(image.name);
      const build = commands.findIndex((c) => c.program === 'docker' && c.args.includes(ref));
      expect(build).toBeGreaterThan(0);
      expect(commands[build + 1]).toMatchObject({
        program: 'kind',
        args: ['load', 'docker-image', ref, '--name', KIND_CLUSTER],
      });
    }
  });

  it('runs MinIO and PostgreSQL in the cluster and installs Bosun with helm against them', () => {
    const text = kindCommands(credentials, '/bin/helm', 'h').map(render).join('\n');
    expect(text).toContain(`namespace: ${INFRA_NAMESPACE}`);
    expect(text).toContain('MINIO_ROOT_PASSWORD');
    expect(text).toContain(`port-forward service/minio 19000:9000`);
    expect(text).toContain(`/bin/helm upgrade --install bosun-dev`);
    expect(text).toContain(`endpoint: http://minio.${INFRA_NAMESPACE}.svc:9000`);
    expect(text).toContain(`--kube-context kind-${KIND_CLUSTER}`);
  });

  it('prints the whole plan on a dry run without running anything, nor showing a real password', async () => {
    const lines = await kindUp({ dryRun: true, helm: '/bin/helm' });
    expect(lines[0]).toContain('as it would run');
    expect(lines.join('\n')).toContain('<generated>');
    expect(await kindDown({ dryRun: true })).toEqual([`kind delete cluster --name ${KIND_CLUSTER}`]);
  });
});
