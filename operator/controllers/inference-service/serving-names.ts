// Names and labels of an InferenceService's children. Deterministic, so a restart finds what it
// made: the Service is named after the InferenceService, the Deployments after their role (a
// promotion rolls the same Deployment over rather than making another). An InferenceService name
// has at most 40 characters, so `<name>-primary` and its ReplicaSets' and Pods' names stay DNS labels.
import type { InferenceService } from '../../api/inference-service.ts';
import {
  childLabels,
  componentSelector,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_OWNER_KIND,
} from '../shared/labels.ts';

export type ServingRole = 'primary' | 'canary';
export const SERVING_ROLES: readonly ServingRole[] = ['primary', 'canary'];

/** Every child (Deployments, their Pods, the Service, the HPA) is part of the inference server. */
export const SERVING_COMPONENT = 'inference-server';
/** The selector of every child the InferenceService controller made. */
export const SERVING_SELECTOR = componentSelector(SERVING_COMPONENT);
/** Which Deployment a Pod belongs to: part of that Deployment's (immutable) selector. */
export const ROLE_LABEL = 'bosun.dev/serving-role';
/** The ModelVersion a Pod serves (on the Pod template only: it changes with every rollout). */
export const MODEL_VERSION_LABEL = 'bosun.dev/model-version';

function owner(isvc: InferenceService) {
  return { kind: 'InferenceService', name: isvc.metadata.name as string };
}

export function deploymentName(isvc: InferenceService, role: ServingRole): string {
  return `${isvc.metadata.name}-${role}`;
}

export function serviceName(isvc: InferenceService): string {
  return isvc.metadata.name as string;
}

export function hpaName(isvc: InferenceService): string {
  return isvc.metadata.name as string;
}

/** The labels every child of this InferenceService carries. */
export function servingLabels(isvc: InferenceService): Record<string, string> {
  return childLabels(owner(isvc), SERVING_COMPONENT);
}

/** What selects every serving Pod of the InferenceService, whatever its role or version. */
export function podSelectorLabels(isvc: InferenceService): Record<string, string> {
  const labels = servingLabels(isvc);
  return {
    [LABEL_COMPONENT]: labels[LABEL_COMPONENT] as string,
    [LABEL_INSTANCE]: labels[LABEL_INSTANCE] as string,
    [LABEL_OWNER_KIND]: labels[LABEL_OWNER_KIND] as string,
  };
}

/** One Deployment's selector: the Service's plus the role. */
export function roleSelectorLabels(isvc: InferenceService, role: ServingRole): Record<string, string> {
  return { ...podSelectorLabels(isvc), [ROLE_LABEL]: role };
}

/** A label selector string, as status.selector (the scale subresource) and list requests take it. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
