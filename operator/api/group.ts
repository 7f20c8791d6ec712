// The API group every Bosun resource belongs to, and the names shared by all four kinds.
export const group = 'bosun.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

/** `kubectl get bosun` lists all four kinds. */
export const category = 'bosun';

/** Set on a Dataset to any new value to build a snapshot now (the value is echoed in its status). */
export const snapshotRequestedAnnotation = `${group}/snapshot-requested`;
