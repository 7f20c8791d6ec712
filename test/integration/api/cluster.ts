// Per-file setup for the API tests: the CRDs installed, a namespace of the file's own, and typed
// helpers to create, read and update Bosun objects with the real API server.
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll } from 'vitest';
import { GROUP, VERSION } from '../../../operator/api/group.ts';
import { resourceDefinitions } from '../../../operator/api/resources.ts';
import { kubeConfig, uniqueName } from '../clients.ts';
import { installCrds } from './install-crds.ts';

export interface BosunObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export const kc = kubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

function plural(kind: string): string {
  const definition = resourceDefinitions.find((d) => d.kind === kind);
  if (!definition) throw new Error(`not a Bosun kind: ${kind}`);
  return definition.plural;
}

/** A namespace for this test file, created after the CRDs are installed and deleted at the end. */
export function useNamespace(prefix: string): { readonly name: string } {
  const namespace = { name: uniqueName(prefix) };
  beforeAll(async () => {
    await installCrds(kc);
    await core.createNamespace({ body: { metadata: { name: namespace.name } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace.name });
  });
  return namespace;
}

/** Creates an object; unknown fields are errors, as with `kubectl apply` (not silently dropped). */
export async function create(namespace: string, object: BosunObject, options: { dryRun?: boolean } = {}) {
  return (await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: plural(object.kind),
    body: object,
    fieldValidation: 'Strict',
    ...(options.dryRun ? { dryRun: 'All' } : {}),
  })) as BosunObject;
}

export async function read(namespace: string, kind: string, name: string) {
  return (await custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: plural(kind),
    name,
  })) as BosunObject;
}

/** PUT the whole object, as `kubectl replace` does. */
export async function replace(namespace: string, object: BosunObject) {
  return (await custom.replaceNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: plural(object.kind),
    name: object.metadata.name,
    body: object,
  })) as BosunObject;
}

/** Writes status through the status subresource, as the operator does. */
export async function replaceStatus(namespace: string, object: BosunObject) {
  return (await custom.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: plural(object.kind),
    name: object.metadata.name,
    body: object,
  })) as BosunObject;
}
