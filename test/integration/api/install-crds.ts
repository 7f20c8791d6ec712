// Installs the generated CRDs into the shared test cluster. Test files run in parallel and several
// may install them: server-side apply of identical content by one field manager is a no-op, so
// this is idempotent and safe to race.
import { join } from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { vi } from 'vitest';
import { crdName } from '../../../operator/api/crd.ts';
import { GROUP, VERSION } from '../../../operator/api/group.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { kubectlOk } from './kubectl.ts';

const crdsDir = join(import.meta.dirname, '..', '..', '..', 'crds');

export async function installCrds(kc: KubeConfig): Promise<void> {
  await kubectlOk([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=bosun-tests',
    '-f',
    crdsDir,
  ]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...resourceDefinitions.map((d) => `crd/${crdName(d)}`),
  ]);
  // Established comes a moment before the API server serves the new resources.
  const custom = kc.makeApiClient(CustomObjectsApi);
  await vi.waitFor(
    () =>
      Promise.all(
        resourceDefinitions.map((d) =>
          custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: d.plural, limit: 1 }),
        ),
      ),
    { timeout: 30_000, interval: 200 },
  );
}
