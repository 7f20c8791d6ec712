// The InferenceService controller. Level-triggered: each reconcile reads the object, the
// ModelVersions of its model, its children and the Secrets it names from the caches, and brings the
// children and status in line — resolve, mark the versions about to serve as in use, render, apply,
// observe, write status, release the versions no Pod serves any more. A crash anywhere and a
// restart converge to the same result. This file only orchestrates: the rules are the pure
// functions beside it (resolve, canary, model-link, deployment, service, hpa, desired-status).
import type {
  V1Deployment,
  V1Pod,
  V1Secret,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { StoreConfig } from '../../../lib/store/client.ts';
import { API_VERSION } from '../../api/group.ts';
import type { InferenceService } from '../../api/inference-service.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import {
  type ReconcileContext,
  type ReconcileOutcome,
  requeueAfter,
  sooner,
  waitForChange,
} from '../../runtime/controller.ts';
import { type KindRef, objectPath } from '../../runtime/controller-setup.ts';
import type { EventSink } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import { type ApiClient, isNotFound } from '../../runtime/kube-client.ts';
import type { KubeObject } from '../../runtime/kube-object.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import { writeStatusIfChanged } from '../../runtime/status-writer.ts';
import { locateArtifact } from '../shared/artifact-location.ts';
import { applyChildren } from '../shared/children.ts';
import {
  deployments,
  horizontalPodAutoscalers,
  INFERENCE_SERVICES,
  MODEL_VERSIONS,
  services,
} from '../shared/kinds.ts';
import { isControlledBy, ownerKeys } from '../shared/owner-references.ts';
import { canaryBeside, type ReplicaSplit, splitReplicas } from './canary.ts';
import { liveEnv, renderDeployment, type ServerSettings, servedByDeployment } from './deployment.ts';
import { desiredStatus, type RoleObservation } from './desired-status.ts';
import { type AutoscalingPlan, autoscalingPlan, renderHpa } from './hpa.ts';
import { chooseLink, MODEL_LINK_LIFETIME_SECONDS, renewalDueInMs } from './model-link.ts';
import { modelToServe, type Resolution, resolveServing, roleResolution, servedByRole } from './resolve.ts';
import { rolloutState, withDrainingPods } from './rollout-state.ts';
import { servedByUpdate, servingModelVersions } from './served-by.ts';
import { serverFailure } from './server-failure.ts';
import { renderService, serviceUrl } from './service.ts';
import {
  deploymentName,
  podSelectorLabels,
  roleSelectorLabels,
  SERVING_ROLES,
  SERVING_SELECTOR,
  type ServingRole,
  selectorString,
} from './serving-names.ts';
import {
  artifactCredentials,
  checkSecrets,
  type SecretProblem,
  type SecretsState,
  type StoreAccess,
} from './serving-secrets.ts';

export const FINALIZER = 'bosun.dev/inference-service';
/** InferenceServices by `<namespace>/<model>`: a ModelVersion change re-resolves those of its model. */
export const MODEL_INDEX = 'inference-service-model';
/** InferenceServices by `<namespace>/<secret>` for every Secret their Pods read. */
export const SECRET_INDEX = 'inference-service-secret';
/** ModelVersions by `<namespace>/<model>`. */
export const VERSIONS_OF_MODEL_INDEX = 'model-versions-of-model';
/** ModelVersions by `<namespace>/<inferenceservice>` for each entry of their status.servedBy. */
export const SERVED_BY_INDEX = 'model-versions-served-by';
/** Children by the `<namespace>/<name>` of the InferenceService that controls them. */
export const OWNER_INDEX = 'inference-service-owner';

export const SERVING_DEPLOYMENTS = deployments(SERVING_SELECTOR);
export const SERVING_SERVICES = services(SERVING_SELECTOR);
export const SERVING_HPAS = horizontalPodAutoscalers(SERVING_SELECTOR);

/** While a rollout is under way, Pods are looked at this often (a crash loop changes no Deployment). */
export const ROLLOUT_RECHECK_MS = 10_000;
/** While only Pods of the replaced version are left, draining for seconds, they are looked at this often. */
export const DRAIN_RECHECK_MS = 2_000;
/** How often a child's name held by another owner's object is looked at again. */
export const NAME_RECHECK_MS = 30_000;
/** A link due for renewal is renewed on the next visit; never sooner than this after the last. */
const LINK_RENEWAL_MIN_MS = 1000;

/** What the controller needs of a store: sign links, and see whether signature.json is there. */
export interface ServingStoreAccess {
  readonly bucket: string;
  stat(key: string): Promise<{ size: number } | undefined>;
  presignedGet(key: string, expirySeconds: number): Promise<string>;
}

export interface InferenceServiceReconcilerOptions {
  inferenceServices: ObjectCache<InferenceService>;
  modelVersions: ObjectCache<ModelVersion>;
  deployments: ObjectCache<V1Deployment>;
  services: ObjectCache<V1Service>;
  hpas: ObjectCache<V2HorizontalPodAutoscaler>;
  secrets: ObjectCache<V1Secret>;
  events: EventSink;
  /** The operator's own bucket. */
  store: ServingStoreAccess;
  /** A store client for an artifact in another bucket, with the credentials of the user's Secret. */
  storeFor: (config: StoreConfig) => ServingStoreAccess;
  storeAccess: StoreAccess;
  /** The inference server image; empty when the operator was given none. */
  server: ServerSettings;
  customMetricsAdapter: boolean;
  now?: () => Date;
}

// The children's index uses the same mapping as the `owns` declarations (it reads only the child).
const ownerOf = (child: KubeObject) => ownerKeys(API_VERSION, 'InferenceService')(child, undefined as never);

interface Links {
  model: string;
  signature?: string;
}

/** One role's plan for this reconcile. */
interface RolePlan {
  role: ServingRole;
  /** The version to render; undefined when only what runs can be kept (its object is gone). */
  model?: ModelVersion;
  served: NonNullable<ReturnType<typeof servedByRole>>;
  replicas: number | undefined;
  links?: Links;
}

export class InferenceServiceReconciler {
  readonly #o: InferenceServiceReconcilerOptions;
  readonly #now: () => Date;

  constructor(options: InferenceServiceReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    options.inferenceServices.addIndex(MODEL_INDEX, (isvc) => [
      `${isvc.metadata.namespace}/${isvc.spec.model.name}`,
    ]);
    options.inferenceServices.addIndex(SECRET_INDEX, (isvc) =>
      this.#secretNames(isvc).map((name) => `${isvc.metadata.namespace}/${name}`),
    );
    options.modelVersions.addIndex(VERSIONS_OF_MODEL_INDEX, (mv) => [
      `${mv.metadata.namespace}/${mv.spec.model}`,
    ]);
    options.modelVersions.addIndex(SERVED_BY_INDEX, (mv) =>
      (mv.status?.servedBy ?? []).map((name) => `${mv.metadata.namespace}/${name}`),
    );
    for (const cache of [options.deployments, options.services, options.hpas] as ObjectCache<KubeObject>[])
      cache.addIndex(OWNER_INDEX, ownerOf);
  }

  /** The Secrets an InferenceService's Pods read (the store Secret only when inputs are stored). */
  #secretNames(isvc: InferenceService): string[] {
    const names: string[] = [];
    if (isvc.spec.auth) names.push(isvc.spec.auth.bearerTokenSecret.name);
    const log = isvc.spec.predictionLog;
    if (log) {
      names.push(log.connectionSecret.name);
      if ((log.storeInputs ?? true) && this.#o.storeAccess.workloadCredentials === 'shared')
        names.push(this.#o.storeAccess.credentialsSecret);
    }
    return names;
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileOutcome> => {
    let isvc = this.#o.inferenceServices.get(key);
    if (!isvc) return waitForChange();
    const namespace = isvc.metadata.namespace as string;
    const name = isvc.metadata.name as string;
    const path = objectPath(INFERENCE_SERVICES, namespace, name);
    if (isvc.metadata.deletionTimestamp) return this.#finalize(isvc, path, ctx.client);
    if (!hasFinalizer(isvc, FINALIZER)) {
      const basedOn = isvc.metadata.resourceVersion;
      isvc = await addFinalizer<InferenceService>(ctx.client, path, isvc, FINALIZER);
      this.#o.inferenceServices.setIfUnchanged(basedOn, isvc);
    }
    const now = this.#now();
    const versions = this.#o.modelVersions
      .byIndex(VERSIONS_OF_MODEL_INDEX, `${namespace}/${isvc.spec.model.name}`)
      .map((k) => this.#o.modelVersions.get(k))
      .filter((mv) => mv !== undefined);
    const resolution = resolveServing(isvc, versions);
    const autoscaling = autoscalingPlan(isvc, this.#o.customMetricsAdapter);
    const secrets = checkSecrets(isvc, (n) => this.#o.secrets.get(`${namespace}/${n}`), this.#o.storeAccess);
    const liveDeployments = this.#owned(this.#o.deployments, key, isvc);
    const live = (role: ServingRole) =>
      liveDeployments.find((d) => d.metadata?.name === deploymentName(isvc, role));

    const { plans, split } = this.#plan(isvc, resolution, autoscaling, live);
    const imageConfigured = this.#o.server.image !== '';
    let next = imageConfigured ? await this.#signLinks(plans, live, secrets.problems, now) : waitForChange();
    const kept = this.#keepUnrendered(isvc, plans, live, imageConfigured ? [] : liveDeployments);

    // In use before any Pod runs it: a version's deletion must not slip in before the rollout.
    for (const plan of plans)
      await this.#markServed(ctx.client, namespace, plan.served.modelVersion, name, true);
    const namesInUse: string[] = [];
    const applied = await this.#applyChildren(ctx.client, isvc, {
      plans,
      kept,
      secrets,
      autoscaling,
      liveDeployments,
      namesInUse,
    });

    const roles: Partial<Record<ServingRole, RoleObservation>> = {};
    for (const plan of plans) {
      const deployment =
        applied.find((d) => d.metadata?.name === deploymentName(isvc, plan.role)) ??
        (kept.has(deploymentName(isvc, plan.role)) ? live(plan.role) : undefined);
      roles[plan.role] = await this.#observe(ctx.client, isvc, plan, deployment);
      const rollout = roles[plan.role]?.rollout;
      if (rollout?.complete === false)
        next = sooner(next, requeueAfter(rollout.draining ? DRAIN_RECHECK_MS : ROLLOUT_RECHECK_MS));
    }
    // Another owner's object is not watched: look again for the name to come free.
    if (namesInUse.length > 0) next = sooner(next, requeueAfter(NAME_RECHECK_MS));

    const { status, events } = desiredStatus(
      isvc,
      {
        resolution,
        roles,
        ...(roles.canary && split ? { canaryPercent: split.percent } : {}),
        autoscaling,
        secrets,
        namesInUse,
        serverImageConfigured: imageConfigured,
        url: serviceUrl(isvc),
        selector: selectorString(podSelectorLabels(isvc)),
      },
      now,
    );
    const updated = await writeStatusIfChanged<InferenceService>(ctx.client, path, isvc, status);
    if (updated) {
      this.#o.inferenceServices.setIfUnchanged(isvc.metadata.resourceVersion, updated);
      for (const event of events) this.#o.events.record(updated, event);
    }

    // Released only once no Pod of it is left (its history period closed).
    const serving = servingModelVersions(
      status,
      plans.map((p) => p.served.modelVersion),
    );
    for (const mvKey of this.#o.modelVersions.byIndex(SERVED_BY_INDEX, key)) {
      const mv = this.#o.modelVersions.get(mvKey);
      if (mv && !serving.has(mv.metadata.name as string))
        await this.#markServed(ctx.client, namespace, mv.metadata.name as string, name, false);
    }
    return next;
  };

  /** Which version each role runs and with how many replicas. */
  #plan(
    isvc: InferenceService,
    resolution: Resolution,
    autoscaling: AutoscalingPlan,
    live: (role: ServingRole) => V1Deployment | undefined,
  ): { plans: RolePlan[]; split?: ReplicaSplit } {
    const plans: RolePlan[] = [];
    for (const role of SERVING_ROLES) {
      const r = roleResolution(resolution, role);
      const served = servedByRole(r);
      if (!served) continue;
      const model = modelToServe(r);
      plans.push({ role, served, replicas: undefined, ...(model ? { model } : {}) });
    }
    const primary = plans.find((p) => p.role === 'primary');
    const canary = plans.find((p) => p.role === 'canary');
    const percent = isvc.spec.canary?.percent ?? 0;
    let split: ReplicaSplit | undefined;
    if (autoscaling.mode === 'fixed-replicas') {
      const total = isvc.spec.replicas ?? 1;
      if (canary) split = splitReplicas(total, percent);
      if (primary) primary.replicas = split ? split.primary : total;
    } else {
      // The autoscaler sets the primary's count; without a usable metric it stays at minReplicas.
      const count =
        autoscaling.mode === 'autoscaler'
          ? (live('primary')?.spec?.replicas ?? autoscaling.minReplicas)
          : autoscaling.minReplicas;
      if (primary && autoscaling.mode === 'unavailable') primary.replicas = count;
      if (canary) split = canaryBeside(count, percent);
    }
    if (canary && split) canary.replicas = split.canary;
    return { plans, ...(split ? { split } : {}) };
  }

  /** Signs (or keeps) each rendered role's links; a role whose links cannot be made gets a problem. */
  async #signLinks(
    plans: RolePlan[],
    live: (role: ServingRole) => V1Deployment | undefined,
    problems: SecretProblem[],
    now: Date,
  ): Promise<ReconcileOutcome> {
    let next = waitForChange();
    for (const plan of plans) {
      if (!plan.model) continue;
      const links = await this.#links(plan.model, live(plan.role), now);
      if ('reason' in links) {
        problems.push(links);
        continue;
      }
      plan.links = links;
      const due = renewalDueInMs(links.model, now);
      if (due !== undefined) next = sooner(next, requeueAfter(Math.max(due, LINK_RENEWAL_MIN_MS)));
    }
    return next;
  }

  /**
   * A role that cannot be rendered keeps its live Deployment exactly as it is, neither applied nor
   * pruned (availability first), and serves what that runs; without one it serves nothing and is
   * dropped. `alsoKept` are live Deployments kept whatever the plan (no server image to render).
   * Returns the names of the Deployments kept.
   */
  #keepUnrendered(
    isvc: InferenceService,
    plans: RolePlan[],
    live: (role: ServingRole) => V1Deployment | undefined,
    alsoKept: V1Deployment[],
  ): Set<string> {
    const kept = new Set(alsoKept.map((d) => d.metadata?.name as string));
    for (const plan of [...plans]) {
      if (plan.model && plan.links) continue;
      const runs = servedByDeployment(live(plan.role));
      if (runs) {
        plan.served = runs;
        kept.add(deploymentName(isvc, plan.role));
      } else plans.splice(plans.indexOf(plan), 1);
    }
    return kept;
  }

  /** Applies the Deployments, the Service and the HPA, and prunes what is no longer desired. */
  async #applyChildren(
    client: ApiClient,
    isvc: InferenceService,
    o: {
      plans: RolePlan[];
      kept: Set<string>;
      secrets: SecretsState;
      autoscaling: AutoscalingPlan;
      liveDeployments: V1Deployment[];
      namesInUse: string[];
    },
  ): Promise<V1Deployment[]> {
    const namespace = isvc.metadata.namespace as string;
    const key = `${namespace}/${isvc.metadata.name}`;
    const rendered = o.plans
      .filter((p) => p.model && p.links && !o.kept.has(deploymentName(isvc, p.role)))
      .map((p) => {
        const links = p.links as Links;
        return renderDeployment(
          isvc,
          {
            role: p.role,
            model: p.model as ModelVersion,
            modelLink: links.model,
            ...(links.signature ? { signatureLink: links.signature } : {}),
            replicas: p.replicas,
            ...(o.secrets.inputImageStore ? { inputImageStore: o.secrets.inputImageStore } : {}),
            ...(o.secrets.predictionLogRevision
              ? { predictionLogRevision: o.secrets.predictionLogRevision }
              : {}),
          },
          this.#o.server,
        );
      });
    const desired = await this.#unclaimed(
      client,
      SERVING_DEPLOYMENTS,
      isvc,
      rendered,
      o.liveDeployments,
      o.namesInUse,
    );
    const applied = await applyChildren(client, {
      kind: SERVING_DEPLOYMENTS,
      namespace,
      desired,
      existing: o.liveDeployments.filter((d) => !o.kept.has(d.metadata?.name as string)),
    });
    const liveServices = this.#owned(this.#o.services, key, isvc);
    await applyChildren(client, {
      kind: SERVING_SERVICES,
      namespace,
      desired: await this.#unclaimed(
        client,
        SERVING_SERVICES,
        isvc,
        [renderService(isvc)],
        liveServices,
        o.namesInUse,
      ),
      existing: liveServices,
    });
    const primary = deploymentName(isvc, 'primary');
    const hpa = desired.some((d) => d.metadata?.name === primary)
      ? renderHpa(isvc, o.autoscaling)
      : undefined;
    const liveHpas = this.#owned(this.#o.hpas, key, isvc);
    await applyChildren(client, {
      kind: SERVING_HPAS,
      namespace,
      desired: await this.#unclaimed(client, SERVING_HPAS, isvc, hpa ? [hpa] : [], liveHpas, o.namesInUse),
      // While the primary is kept as it is, so is its autoscaler.
      existing: o.kept.has(primary) ? [] : liveHpas,
    });
    return applied.children;
  }

  /**
   * A role's rollout, and while it is under way why its new Pods fail, if they do. While status
   * still has the replaced version serving the role, its draining Pods keep the rollout going.
   */
  async #observe(
    client: ApiClient,
    isvc: InferenceService,
    plan: RolePlan,
    deployment: V1Deployment | undefined,
  ): Promise<RoleObservation> {
    const observation: RoleObservation = { served: plan.served };
    if (!deployment) return observation;
    observation.rollout = rolloutState(deployment);
    const replacing = (isvc.status?.history ?? []).some(
      (h) => h.role === plan.role && h.to === undefined && h.modelVersion !== plan.served.modelVersion,
    );
    if (observation.rollout.complete && !replacing) return observation;
    const pods = await client.request<{ items: V1Pod[] }>(
      'GET',
      `/api/v1/namespaces/${isvc.metadata.namespace}/pods`,
      {
        query: { labelSelector: selectorString(roleSelectorLabels(isvc, plan.role)) },
      },
    );
    if (observation.rollout.complete) {
      observation.rollout = withDrainingPods(observation.rollout, pods.items, plan.served.modelVersion);
      return observation;
    }
    const failure = serverFailure(pods.items, plan.served.modelVersion);
    if (failure) observation.failure = failure;
    return observation;
  }

  /** The cached children of `kind` that this InferenceService controls. */
  #owned<T extends KubeObject>(cache: ObjectCache<T>, key: string, isvc: InferenceService): T[] {
    return cache
      .byIndex(OWNER_INDEX, key)
      .map((k) => cache.get(k))
      .filter((c): c is T => c !== undefined && isControlledBy(c, isvc.metadata.uid));
  }

  /** The links a role's Pods read its model through: the live ones while they last, else new ones. */
  async #links(mv: ModelVersion, live: V1Deployment | undefined, now: Date): Promise<Links | SecretProblem> {
    const location = locateArtifact(mv, this.#o.store.bucket);
    if (!location.ok) return { field: 'artifact', reason: location.reason, message: location.message };
    let store = this.#o.store;
    if (!location.own) {
      const name = location.credentialsSecret as string;
      const credentials = artifactCredentials(
        mv,
        name,
        this.#o.secrets.get(`${mv.metadata.namespace}/${name}`),
      );
      if ('reason' in credentials) return credentials;
      store = this.#o.storeFor({
        endpoint: location.endpoint?.replace(/\/$/, '') ?? this.#o.storeAccess.endpoint,
        region: this.#o.storeAccess.region,
        bucket: location.bucket,
        ...credentials,
      });
    }
    // Signing is local (no request); only a new link makes the store be asked for signature.json.
    const fresh = await store.presignedGet(location.key, MODEL_LINK_LIFETIME_SECONDS);
    const current = liveEnv(live, 'BOSUN_MODEL_URI');
    const model = chooseLink(current, fresh, now);
    if (model === current) {
      const signature = liveEnv(live, 'BOSUN_SIGNATURE_URI');
      return signature ? { model, signature } : { model };
    }
    const signatureKey = `${location.key.slice(0, location.key.lastIndexOf('/') + 1)}signature.json`;
    if (!(await store.stat(signatureKey))) return { model };
    return { model, signature: await store.presignedGet(signatureKey, MODEL_LINK_LIFETIME_SECONDS) };
  }

  /**
   * The desired children minus those whose name an object of another owner already has (found
   * only for a child not in the cache yet, so a settled InferenceService costs no request).
   */
  async #unclaimed<T extends KubeObject>(
    client: ApiClient,
    kind: KindRef,
    isvc: InferenceService,
    desired: T[],
    existing: T[],
    namesInUse: string[],
  ): Promise<T[]> {
    const out: T[] = [];
    for (const child of desired) {
      const name = child.metadata?.name as string;
      if (!existing.some((e) => e.metadata?.name === name)) {
        try {
          const found = await client.request<KubeObject>(
            'GET',
            objectPath(kind, isvc.metadata.namespace as string, name),
          );
          if (!isControlledBy(found, isvc.metadata.uid)) {
            namesInUse.push(`${kind.kind} ${name}`);
            continue;
          }
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      out.push(child);
    }
    return out;
  }

  async #markServed(client: ApiClient, namespace: string, mvName: string, isvc: string, serves: boolean) {
    const mv = this.#o.modelVersions.get(`${namespace}/${mvName}`);
    if (!mv) return;
    const servedBy = servedByUpdate(mv, isvc, serves);
    if (!servedBy) return;
    const { servedBy: _old, ...rest } = mv.status ?? {};
    const updated = await writeStatusIfChanged<ModelVersion>(
      client,
      objectPath(MODEL_VERSIONS, namespace, mvName),
      mv,
      servedBy.length > 0 ? { ...rest, servedBy } : rest,
    );
    if (updated) this.#o.modelVersions.setIfUnchanged(mv.metadata.resourceVersion, updated);
  }

  /** Deleted: its versions are no longer in use by it; its children go with it (owner references). */
  async #finalize(isvc: InferenceService, path: string, client: ApiClient): Promise<ReconcileOutcome> {
    if (!hasFinalizer(isvc, FINALIZER)) return waitForChange();
    const namespace = isvc.metadata.namespace as string;
    const name = isvc.metadata.name as string;
    for (const mvKey of this.#o.modelVersions.byIndex(SERVED_BY_INDEX, `${namespace}/${name}`)) {
      const mv = this.#o.modelVersions.get(mvKey);
      if (mv) await this.#markServed(client, namespace, mv.metadata.name as string, name, false);
    }
    await removeFinalizer(client, path, isvc, FINALIZER).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return waitForChange();
  }
}

/** The InferenceServices a ModelVersion change concerns: those of its model, and those it lists. */
export function inferenceServicesOf(mv: ModelVersion, isvcs: ObjectCache<InferenceService>): string[] {
  const namespace = mv.metadata.namespace as string;
  return [
    ...new Set([
      ...isvcs.byIndex(MODEL_INDEX, `${namespace}/${mv.spec.model}`),
      ...(mv.status?.servedBy ?? []).map((n) => `${namespace}/${n}`),
    ]),
  ];
}
