// Writes status through the /status subresource, only when it differs from what the cache holds,
// and only on top of the resourceVersion it was computed from (a stale cache gets a 409 and a retry
// rather than overwriting a newer status). The write is an RFC 7386 merge patch from the current
// status to the desired one, so a key removed at any depth is removed on the server too.

import { TerminalError } from './controller.ts';
import { deepEqual } from './deep-equal.ts';
import type { EventRecord, EventSink } from './events.ts';
import { type ApiClient, KubeApiError } from './kube-client.ts';
import type { KubeObject } from './kube-object.ts';
import type { ObjectCache } from './object-cache.ts';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The RFC 7386 merge patch that turns `from` into `to`: objects are compared key by key at every
 * depth, `null` removes a key `to` lacks, arrays and scalars are replaced whole. Undefined and null
 * in `to` both mean "absent" (a merge patch cannot store a null). Returns undefined when there is
 * nothing to change.
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isObject(from) || !isObject(to)) return deepEqual(from, to) ? undefined : to;
  const patch: JsonObject = {};
  for (const key of Object.keys(from))
    if (from[key] !== undefined && from[key] !== null && (to[key] === undefined || to[key] === null))
      patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined || value === null) continue;
    const change = mergePatch(from[key], value);
    if (change !== undefined) patch[key] = change;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}

export async function writeStatusIfChanged<T extends KubeObject & { status?: unknown }>(
  client: ApiClient,
  objectPath: string,
  current: T,
  status: unknown,
): Promise<T | undefined> {
  const patch = mergePatch(current.status ?? {}, status ?? {});
  if (patch === undefined) return undefined;
  try {
    return await client.request<T>('PATCH', `${objectPath}/status`, {
      body: { metadata: { resourceVersion: current.metadata?.resourceVersion }, status: patch },
      contentType: 'application/merge-patch+json',
    });
  } catch (error) {
    // 422 on a merge patch means the status itself breaks the CRD's schema: the same status would
    // be refused on every retry, so the key waits for the object to change instead.
    if (error instanceof KubeApiError && error.code === 422)
      throw new TerminalError(`the API server refused the status as invalid: ${error.message}`);
    throw error;
  }
}

/**
 * What every reconcile does with its desired status: write it if it changed, keep the cache on the
 * written object (so the next reconcile does not see its own write as stale), and record the
 * Events the change deserves on it. Returns the written object, or undefined when nothing changed.
 */
export async function publishStatus<T extends KubeObject & { status?: unknown }>(
  client: ApiClient,
  objectPath: string,
  current: T,
  desired: { status: unknown; events: EventRecord[] },
  effects: { cache: ObjectCache<T>; events: EventSink },
): Promise<T | undefined> {
  const updated = await writeStatusIfChanged<T>(client, objectPath, current, desired.status);
  if (updated) {
    effects.cache.setIfUnchanged(current.metadata?.resourceVersion, updated);
    for (const event of desired.events) effects.events.record(updated, event);
  }
  return updated;
}
