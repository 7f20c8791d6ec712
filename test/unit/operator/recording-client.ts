// A recording fake of the API server for reconcile unit tests (pure logic only: the real API server
// is what the integration tests use). It keeps objects by path, applies the few request kinds the
// controllers send — GET, list with a label selector, POST, DELETE with a uid precondition, JSON
// patch, merge patch of /status guarded by resourceVersion, server-side apply — and records every
// request so a test can assert exactly which writes a reconcile made.
import type { ApiClient, RequestOptions } from '../../../operator/runtime/kube-client.ts';
import { KubeApiError } from '../../../operator/runtime/kube-client.ts';
import type { KubeObject } from '../../../operator/runtime/kube-object.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
}

type Obj = KubeObject & Record<string, unknown>;

const clone = <T>(v: T): T => structuredClone(v);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(target: Obj, ops: { op: string; path: string; value?: unknown }[]): Obj {
  const doc = clone(target) as Record<string, unknown>;
  for (const op of ops) {
    const parts = pointer(op.path);
    const last = parts.pop() as string;
    let parent: Record<string, unknown> | unknown[] = doc;
    for (const p of parts) parent = (parent as Record<string, unknown>)[p] as Record<string, unknown>;
    const get = () =>
      Array.isArray(parent) ? parent[Number(last)] : (parent as Record<string, unknown>)[last];
    if (op.op === 'test') {
      if (JSON.stringify(get()) !== JSON.stringify(op.value))
        throw new KubeApiError(422, 'Invalid', `test failed at ${op.path}`);
    } else if (op.op === 'add') {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, op.value);
      else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else throw new Error(`unsupported JSON patch op ${op.op}`);
  }
  return doc as Obj;
}

function matchesSelector(obj: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=') as [string, string];
    return obj.metadata?.labels?.[k] === v;
  });
}

export class RecordingClient implements ApiClient {
  readonly requests: RecordedRequest[] = [];
  readonly #objects = new Map<string, Obj>();
  #version = 100;
  /** Requests that fail: a predicate on method and path, and the error they get. */
  readonly #failures: { when: (method: string, path: string) => boolean; error: Error }[] = [];

  constructor(objects: { path: string; object: KubeObject }[] = []) {
    for (const { path, object } of objects) this.#objects.set(path, clone(object) as Obj);
  }

  failWhen(when: (method: string, path: string) => boolean, error: Error): void {
    this.#failures.push({ when, error });
  }

  get(path: string): Obj | undefined {
    return this.#objects.get(path);
  }

  /** The requests that change something (everything but GET). */
  get writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    this.requests.push({
      method,
      path,
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.body === undefined ? {} : { body: clone(options.body) }),
    });
    const failure = this.#failures.find((f) => f.when(method, path));
    if (failure) throw failure.error;
    const status = path.endsWith('/status');
    const objectPathOf = status ? path.slice(0, -'/status'.length) : path;
    const existing = this.#objects.get(objectPathOf);
    const notFound = () => new KubeApiError(404, 'NotFound', `${path} not found`);
    switch (method) {
      case 'GET': {
        if (existing) return clone(existing) as T;
        const items = [...this.#objects.entries()]
          .filter(
            ([p, o]) =>
              p.startsWith(`${path}/`) &&
              !p.slice(path.length + 1).includes('/') &&
              matchesSelector(o, options.query?.labelSelector as string | undefined),
          )
          .map(([, o]) => clone(o));
        if (items.length === 0 && !/\/(pods|jobs|secrets|modelversions)$/.test(path)) throw notFound();
        return { items, metadata: {} } as T;
      }
      case 'POST': {
        const body = clone(options.body) as Obj;
        const target = `${path}/${body.metadata?.name}`;
        if (this.#objects.has(target))
          throw new KubeApiError(409, 'AlreadyExists', `${target} already exists`);
        return this.#store(target, body) as T;
      }
      case 'DELETE': {
        if (!existing) throw notFound();
        const uid = (options.body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
        if (uid && existing.metadata?.uid !== uid)
          throw new KubeApiError(409, 'Conflict', 'uid precondition failed');
        this.#objects.delete(objectPathOf);
        return { kind: 'Status', status: 'Success' } as T;
      }
      case 'PATCH': {
        if (options.contentType === 'application/apply-patch+yaml') {
          const applied = mergePatch(existing ?? {}, options.body) as Obj;
          // As the API server does: a changed spec is a new generation (rollouts are judged by it).
          if ('spec' in applied && JSON.stringify(applied.spec) !== JSON.stringify(existing?.spec)) {
            applied.metadata ??= {};
            applied.metadata.generation = (existing?.metadata?.generation ?? 0) + 1;
          }
          return this.#store(objectPathOf, applied) as T;
        }
        if (!existing) throw notFound();
        if (options.contentType === 'application/json-patch+json')
          return this.#store(objectPathOf, jsonPatch(existing, options.body as never)) as T;
        const patch = clone(options.body) as { metadata?: { resourceVersion?: string } };
        const guard = patch.metadata?.resourceVersion;
        if (guard && guard !== existing.metadata?.resourceVersion)
          throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        delete patch.metadata;
        return this.#store(objectPathOf, mergePatch(existing, patch) as Obj) as T;
      }
      default:
        throw new Error(`unsupported method ${method}`);
    }
  }

  #store(path: string, obj: Obj): Obj {
    obj.metadata ??= {};
    const meta = obj.metadata;
    meta.uid ??= `uid-${meta.name}`;
    meta.resourceVersion = String(++this.#version);
    this.#objects.set(path, obj);
    return clone(obj);
  }
}
