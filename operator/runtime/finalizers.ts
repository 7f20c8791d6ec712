// Adding and removing our finalizer with JSON patches that touch only our entry: adding is guarded
// by the resourceVersion the decision was made on, removing by a `test` of our entry at its index.
// Never a merge patch of the whole list, which would drop another controller's finalizer.
import type { ApiClient } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';

const JSON_PATCH = 'application/json-patch+json';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

export function addFinalizerPatch(obj: KubeObject, finalizer: string): unknown[] {
  const guard = { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata?.resourceVersion };
  return obj.metadata?.finalizers
    ? [guard, { op: 'add', path: '/metadata/finalizers/-', value: finalizer }]
    : [guard, { op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
}

export function removeFinalizerPatch(obj: KubeObject, finalizer: string): unknown[] | undefined {
  const at = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (at < 0) return undefined;
  return [
    { op: 'test', path: `/metadata/finalizers/${at}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${at}` },
  ];
}

export async function addFinalizer<T extends KubeObject>(
  client: ApiClient,
  path: string,
  obj: T,
  finalizer: string,
): Promise<T> {
  return client.request<T>('PATCH', path, {
    body: addFinalizerPatch(obj, finalizer),
    contentType: JSON_PATCH,
  });
}

export async function removeFinalizer<T extends KubeObject>(
  client: ApiClient,
  path: string,
  obj: T,
  finalizer: string,
): Promise<T | undefined> {
  const patch = removeFinalizerPatch(obj, finalizer);
  if (!patch) return undefined;
  return client.request<T>('PATCH', path, { body: patch, contentType: JSON_PATCH });
}
