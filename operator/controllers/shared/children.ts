// Bringing one owner's children of one kind in line with what it should have: each desired child
// is server-side applied when the live object differs from it, and every existing child that is no
// longer desired is deleted (guarded by its uid, so a successor of the same name is never hit).
// The caller passes the existing children from a cache (selected by label and owner), so a
// settled owner costs no request at all.
import { type KindRef, objectPath } from '../../runtime/controller-setup.ts';
import { type ApiClient, isNotFound } from '../../runtime/kube-client.ts';
import type { KubeObject } from '../../runtime/kube-object.ts';
import { apply } from '../../runtime/server-side-apply.ts';

/**
 * Whether every field `desired` sets has that value in `live` (fields the API server defaulted or
 * others own are ignored). Arrays must match element by element.
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === null || typeof desired !== 'object') return live === desired;
  if (Array.isArray(desired))
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => containsDesired(live[i], d))
    );
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(
    ([k, v]) => v === undefined || containsDesired(l[k], v),
  );
}

export interface ChildrenResult<T> {
  /** Each desired child as it is now (the applied object, or the live one when unchanged). */
  children: T[];
  applied: string[];
  pruned: string[];
}

export async function applyChildren<T extends KubeObject>(
  client: ApiClient,
  options: { kind: KindRef; namespace: string; desired: T[]; existing: T[] },
): Promise<ChildrenResult<T>> {
  const { kind, namespace } = options;
  const live = new Map(options.existing.map((o) => [o.metadata?.name ?? '', o]));
  const result: ChildrenResult<T> = { children: [], applied: [], pruned: [] };
  for (const child of options.desired) {
    const name = child.metadata?.name as string;
    const current = live.get(name);
    if (current && containsDesired(current, child)) {
      result.children.push(current);
      continue;
    }
    result.children.push(await apply(client, objectPath(kind, namespace, name), child));
    result.applied.push(name);
  }
  const wanted = new Set(options.desired.map((o) => o.metadata?.name));
  for (const [name, obj] of live) {
    if (wanted.has(name) || obj.metadata?.deletionTimestamp) continue;
    await deleteChild(client, kind, namespace, obj);
    result.pruned.push(name);
  }
  return result;
}

/** Deletes one child if it is still the object we saw (same uid); gone already is fine. */
export async function deleteChild(
  client: ApiClient,
  kind: KindRef,
  namespace: string,
  obj: KubeObject,
): Promise<void> {
  try {
    await client.request('DELETE', objectPath(kind, namespace, obj.metadata?.name as string), {
      body: { propagationPolicy: 'Background', preconditions: { uid: obj.metadata?.uid } },
    });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
