// What a controller declares about itself, as kubebuilder's SetupWithManager or kube-rs's
// Controller::new(..).owns(..).watches(..) do: the kind it is for, the kinds it owns (and how a
// child maps back to its owner), the kinds it watches (with a mapper), which changes of its own kind
// matter, how often everything is reconciled again, and how a failed reconcile is treated. The
// manager turns the declarations into informers, queues and workers; it knows no kind itself.
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config.ts';
import type { ErrorPolicy, Reconciler } from './controller.ts';
import type { EventSink } from './events.ts';
import type { KubeObject } from './kube-object.ts';
import type { ObjectCache } from './object-cache.ts';

/** A kind the manager lists and watches. Equal kinds (same path and selector) share one informer. */
export interface KindRef {
  apiVersion: string;
  kind: string;
  /** The resource's plural name, e.g. `modelversions`. */
  plural: string;
  /** `watched`: every watched namespace (all, or --watch-namespace); `operator`: the operator's own. */
  scope: 'watched' | 'operator';
  labelSelector?: string;
}

/**
 * Keys (`namespace/name`) of the primary objects to reconcile when `obj` changes; it may look
 * them up in the declared caches (e.g. by an index the controller added in `build`).
 */
export type KeyMapper<T extends KubeObject = KubeObject> = (obj: T, context: SetupContext) => string[];

/** Whether a change of the primary object is worth a reconcile (`old` is undefined when added). */
export type Predicate<T extends KubeObject = KubeObject> = (obj: T, old: T | undefined) => boolean;

export interface WatchDeclaration {
  kind: KindRef;
  map: KeyMapper;
}

export interface SetupContext {
  config: OperatorConfig;
  /** The cache of a declared kind (for, owns or watches); indexes may be added before start. */
  cache<T extends KubeObject>(kind: KindRef): ObjectCache<T>;
  events: EventSink;
  log: Logger;
}

export interface ControllerSetup {
  /** Lowercase kind: the queue's and the metrics' `controller` label. */
  name: string;
  for: KindRef;
  owns?: WatchDeclaration[];
  watches?: WatchDeclaration[];
  /** Default: skip updates that changed only status (usually our own write). */
  predicate?: Predicate;
  /** Default: the operator's --resync-period. */
  resyncMs?: number;
  errorPolicy?: ErrorPolicy;
  /** Builds the reconcile function once the caches exist. */
  build(context: SetupContext): Reconciler;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The default predicate: a reconcile for anything but a status-only update. */
export const specOrMetadataChanged: Predicate = (obj, old) => {
  if (!old) return true;
  const a = obj.metadata ?? {};
  const b = old.metadata ?? {};
  return !(
    a.generation === b.generation &&
    String(a.deletionTimestamp) === String(b.deletionTimestamp) &&
    sameJson(a.finalizers, b.finalizers) &&
    sameJson(a.labels, b.labels) &&
    sameJson(a.annotations, b.annotations)
  );
};

/** The collection path of a kind, for all namespaces or one. */
export function collectionPath(kind: KindRef, namespace: string | undefined): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}

/** The path of one object of a kind. */
export function objectPath(kind: KindRef, namespace: string, name: string): string {
  return `${collectionPath(kind, namespace)}/${name}`;
}
