// Owner references from a Bosun object to its children, and the way back: the keys of the owners a
// changed child belongs to (what `owns` declarations map with).
import type { KeyMapper } from '../../runtime/controller-setup.ts';
import type { KubeObject } from '../../runtime/kube-object.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

/** The controller reference to `owner`: the child is garbage-collected with it. */
export function controllerReference(owner: KubeObject): OwnerReference {
  const { apiVersion, kind } = owner;
  const name = owner.metadata?.name;
  const uid = owner.metadata?.uid;
  if (!apiVersion || !kind || !name || !uid)
    throw new TypeError('an owner needs apiVersion, kind, metadata.name and metadata.uid');
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** Maps a child to the `namespace/name` of its controlling owner of `kind`, if it has one. */
export function ownerKeys(apiVersion: string, kind: string): KeyMapper {
  return (child) => {
    const refs = (child.metadata?.ownerReferences ?? []) as Partial<OwnerReference>[];
    const namespace = child.metadata?.namespace;
    return refs
      .filter((r) => r.controller && r.kind === kind && r.apiVersion === apiVersion && r.name)
      .map((r) => (namespace ? `${namespace}/${r.name}` : (r.name as string)));
  };
}

/** Whether `child` is controlled by the object with this uid. */
export function isControlledBy(child: KubeObject, ownerUid: string | undefined): boolean {
  const refs = (child.metadata?.ownerReferences ?? []) as Partial<OwnerReference>[];
  return ownerUid !== undefined && refs.some((r) => r.controller && r.uid === ownerUid);
}
