// The labels every object the operator creates carries (the app.kubernetes.io recommended labels),
// so `kubectl get all -l app.kubernetes.io/managed-by=bosun-operator` finds them all, and a
// controller can select its own children of one owner.
export const MANAGED_BY = 'bosun-operator';
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
/** The owning Bosun object's kind, lowercase (children of several kinds can share a namespace). */
export const LABEL_OWNER_KIND = 'bosun.dev/owner-kind';

/** Labels of a child of one Bosun object; `component` says what the child is for. */
export function childLabels(
  owner: { kind: string; name: string },
  component: string,
): Record<string, string> {
  return {
    [LABEL_NAME]: 'bosun',
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_COMPONENT]: component,
    [LABEL_INSTANCE]: owner.name,
    [LABEL_OWNER_KIND]: owner.kind.toLowerCase(),
  };
}

/** Labels of an operator object that belongs to no single owner (e.g. a shared verification Job). */
export function operatorLabels(component: string): Record<string, string> {
  return { [LABEL_NAME]: 'bosun', [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: component };
}

/** A label selector for the children of `component` that the operator manages. */
export function componentSelector(component: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_COMPONENT}=${component}`;
}

/** A label selector for one owner's children of one kind of Bosun object. */
export function ownerSelector(owner: { kind: string; name: string }): string {
  return `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_OWNER_KIND}=${owner.kind.toLowerCase()},${LABEL_INSTANCE}=${owner.name}`;
}
