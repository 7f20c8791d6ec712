// Server-side apply of a child object under the operator's one field manager. Force, because the
// operator owns the fields it sends (kubernetes.io server-side-apply: controllers should force).
import type { ApiClient } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';

export const FIELD_MANAGER = 'bosun-operator';

export function apply<T extends KubeObject>(client: ApiClient, path: string, obj: T): Promise<T> {
  return client.request<T>('PATCH', path, {
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: obj,
    contentType: 'application/apply-patch+yaml',
  });
}
