// Writes status through the /status subresource, only when it differs from what the cache holds,
// and only on top of the resourceVersion it was computed from (a stale cache gets a 409 and a retry
// rather than overwriting a newer status).
import { deepEqual } from './deep-equal.ts';
import type { KubeClient } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';

export async function writeStatusIfChanged<T extends KubeObject & { status?: unknown }>(
  client: KubeClient,
  objectPath: string,
  current: T,
  status: unknown,
): Promise<T | undefined> {
  if (deepEqual(current.status ?? {}, status)) return undefined;
  // A merge patch keeps keys it does not mention; null removes the ones the new status lacks.
  const patch: Record<string, unknown> = { ...(status as Record<string, unknown>) };
  for (const key of Object.keys((current.status as Record<string, unknown> | undefined) ?? {}))
    if (patch[key] === undefined) patch[key] = null;
  return client.request<T>('PATCH', `${objectPath}/status`, {
    body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: patch },
    contentType: 'application/merge-patch+json',
  });
}
