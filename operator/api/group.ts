// The API group every Bosun resource belongs to, and the names shared by all four kinds.
export const GROUP = 'bosun.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** `kubectl get bosun` lists all four kinds. */
export const CATEGORY = 'bosun';

/** Set on a Dataset to any new value to build a snapshot now (the value is echoed in its status). */
export const SNAPSHOT_REQUESTED_ANNOTATION = `${GROUP}/snapshot-requested`;
