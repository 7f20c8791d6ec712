// The ModelVersion controller. Level-triggered: each reconcile reads the object from the cache and
// drives it one step — finalizer, where the artifact may be read, verification, status — so a
// crash anywhere and a restart converge to the same result. This file only orchestrates: the rules
// are pure functions beside it (artifact-location, desired-status, verification-job,
// verification-outcome). Verification results are shared by artifact (namespace + URI + digest):
// from a Job, or from another ModelVersion of the namespace that verified the same artifact.
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { StoreConfig } from '../../../lib/store/client.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import { BoundedMap } from '../../runtime/bounded-map.ts';
import {
  backoff,
  type ReconcileContext,
  type ReconcileOutcome,
  requeueAfter,
  waitForChange,
} from '../../runtime/controller.ts';
import { objectPath } from '../../runtime/controller-setup.ts';
import type { EventSink } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import { type ApiClient, isConflict, isNotFound } from '../../runtime/kube-client.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import { publishStatus } from '../../runtime/status-writer.ts';
import { ARTIFACT_LINK_EXPIRY_SECONDS } from '../../verifier/job-contract.ts';
import { type ArtifactLocation, locateArtifact } from '../shared/artifact-location.ts';
import { deleteChild } from '../shared/children.ts';
import { jobState } from '../shared/job-state.ts';
import { MODEL_VERSIONS, operatorJobs } from '../shared/kinds.ts';
import { deletionDecision } from './artifact-deletion.ts';
import { type ArtifactRef, artifactId, verificationJobName } from './artifact-identity.ts';
import { type ArtifactState, desiredStatus, verifiedFromStatus } from './desired-status.ts';
import { EVENT_REASONS, REASONS } from './reasons.ts';
import { JOB_SELECTOR, renderVerificationJob, type VerificationJobConfig } from './verification-job.ts';
import { verificationOutcome } from './verification-outcome.ts';
import type { Verification } from './verification-result.ts';

export const FINALIZER = 'bosun.dev/model-version';
export const ARTIFACT_INDEX = 'artifact-id';
export const URI_INDEX = 'artifact-uri';
/** Verification Pods by their Job's uid (the label the Job controller puts on its Pods). */
export const JOB_UID_INDEX = 'job-uid';
const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** Verification results kept in memory; beyond that they are read again from status or the Job. */
const RESULTS_LIMIT = 10_000;
const DELETION_BLOCKED_RECHECK_MS = 30_000;
const CREDENTIALS_RECHECK_MS = 30_000;

/** What the controller needs of a store: look, link, delete. */
export interface ArtifactStoreAccess {
  readonly bucket: string;
  stat(key: string): Promise<{ size: number } | undefined>;
  presignedGet(key: string, expirySeconds: number): Promise<string>;
  remove(keys: string[]): Promise<void>;
}

export interface ModelVersionReconcilerOptions {
  modelVersions: ObjectCache<ModelVersion>;
  jobs: ObjectCache<V1Job>;
  /** The verification Jobs' Pods. */
  pods: ObjectCache<V1Pod>;
  events: EventSink;
  /** The operator's own bucket. */
  store: ArtifactStoreAccess;
  /** A store client for an artifact in another bucket, with the credentials of the user's Secret. */
  storeFor: (config: StoreConfig) => ArtifactStoreAccess;
  /** The operator's store endpoint and region: the default for another bucket. */
  storeDefaults: { endpoint: string; region: string };
  job: VerificationJobConfig;
  verificationRetryMs: number;
  log: Logger;
  now?: () => Date;
}

const JOBS = operatorJobs(JOB_SELECTOR);

export function artifactOf(mv: ModelVersion): ArtifactRef {
  return {
    namespace: mv.metadata.namespace as string,
    uri: mv.spec.artifact.uri,
    sha256: mv.spec.artifact.sha256,
  };
}

export class ModelVersionReconciler {
  readonly #o: ModelVersionReconcilerOptions;
  readonly #now: () => Date;
  /** Results by artifact id; failures are kept until they are due for a retry. */
  readonly #results = new BoundedMap<string, Verification>(RESULTS_LIMIT);
  /** Pod reads in flight by artifact id, so a thousand reconciles of one artifact read once. */
  readonly #reading = new Map<string, Promise<ReturnType<typeof verificationOutcome>>>();

  constructor(options: ModelVersionReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    options.modelVersions.addIndex(ARTIFACT_INDEX, (mv) => [artifactId(artifactOf(mv))]);
    options.modelVersions.addIndex(URI_INDEX, (mv) => [mv.spec.artifact.uri]);
    options.pods.addIndex(JOB_UID_INDEX, (pod) => {
      const uid = pod.metadata?.labels?.[JOB_UID_LABEL];
      return uid ? [uid] : [];
    });
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileOutcome> => {
    let mv = this.#o.modelVersions.get(key);
    if (!mv) return waitForChange();
    const path = objectPath(MODEL_VERSIONS, mv.metadata.namespace as string, mv.metadata.name as string);
    if (mv.metadata.deletionTimestamp) return this.#finalize(mv, path, ctx.client, ctx.signal);
    if (!hasFinalizer(mv, FINALIZER)) {
      const basedOn = mv.metadata.resourceVersion;
      mv = await addFinalizer<ModelVersion>(ctx.client, path, mv, FINALIZER);
      this.#o.modelVersions.setIfUnchanged(basedOn, mv);
    }
    const { state, next } = await this.#artifactState(mv, ctx.client);
    await publishStatus(ctx.client, path, mv, desiredStatus(mv, state, this.#now()), {
      cache: this.#o.modelVersions,
      events: this.#o.events,
    });
    return next;
  };

  async #artifactState(
    mv: ModelVersion,
    client: ApiClient,
  ): Promise<{ state: ArtifactState; next: ReconcileOutcome }> {
    const own = verifiedFromStatus(mv);
    if (own) return { state: own, next: waitForChange() };
    const location = locateArtifact(mv, this.#o.store.bucket);
    // The artifact spec is immutable: a refusal stands until the object is replaced.
    if (!location.ok)
      return {
        state: { ok: false, reason: location.reason, message: location.message, at: this.#iso() },
        next: waitForChange(),
      };
    const artifact = artifactOf(mv);
    const id = artifactId(artifact);
    let known = this.#results.get(id) ?? this.#fromPeers(id);
    if (known && !known.ok) {
      const due = Date.parse(known.at) + this.#o.verificationRetryMs - this.#now().getTime();
      if (due > 0) return { state: known, next: requeueAfter(due) };
      // Due for another try: the artifact may have been uploaded or fixed since.
      await this.#retire(artifact, client);
      known = undefined;
    }
    if (known) return { state: known, next: waitForChange() };
    const job = this.#o.jobs.get(`${this.#o.job.namespace}/${verificationJobName(artifact)}`);
    if (job) {
      const outcome = await this.#readOutcome(id, job, client);
      if (outcome.kind === 'finished') {
        this.#results.set(id, outcome.verification);
        return outcome.verification.ok
          ? { state: outcome.verification, next: waitForChange() }
          : { state: outcome.verification, next: requeueAfter(this.#o.verificationRetryMs) };
      }
      if (outcome.kind === 'rerun') {
        this.#o.log.info({ job: job.metadata?.name, why: outcome.why }, 'verifying again with a new Job');
        await this.#retire(artifact, client);
        // With backoff: a Job that keeps ending this way must not be recreated in a tight loop.
        return { state: this.#pending(artifact), next: backoff() };
      }
      return { state: this.#pending(artifact), next: waitForChange() };
    }
    const started = await this.#startJob(mv, artifact, location, client);
    if (!started.ok) {
      // A Secret that is missing or incomplete says nothing about the bytes: not remembered for
      // the artifact, and looked at again soon (the operator may not watch Secrets).
      if (started.reason === REASONS.CredentialsSecretInvalid)
        return { state: started, next: requeueAfter(CREDENTIALS_RECHECK_MS) };
      this.#results.set(id, started);
      return { state: started, next: requeueAfter(this.#o.verificationRetryMs) };
    }
    return { state: this.#pending(artifact), next: waitForChange() };
  }

  #pending(artifact: ArtifactRef): ArtifactState {
    return { ok: 'pending', message: `verification Job ${verificationJobName(artifact)} is running` };
  }

  #iso(): string {
    return kubeTime(this.#now());
  }

  /** Looks at the object, then creates the Job with links to it; a failure before that is a verdict. */
  async #startJob(
    mv: ModelVersion,
    artifact: ArtifactRef,
    location: Extract<ArtifactLocation, { ok: true }>,
    client: ApiClient,
  ): Promise<{ ok: true } | Extract<Verification, { ok: false }>> {
    const fail = (reason: string, message: string) => ({
      ok: false as const,
      reason,
      message,
      at: this.#iso(),
    });
    let store = this.#o.store;
    if (!location.own) {
      const credentials = await this.#readCredentials(mv, location, client);
      if ('reason' in credentials) return fail(credentials.reason, credentials.message);
      store = credentials.store;
    }
    const stat = await store.stat(location.key);
    if (!stat) return fail(REASONS.ArtifactNotFound, `${mv.spec.artifact.uri} does not exist`);
    const metricsKey = `${location.key.slice(0, location.key.lastIndexOf('/') + 1)}metrics.json`;
    const inputs = {
      artifactUrl: await store.presignedGet(location.key, ARTIFACT_LINK_EXPIRY_SECONDS),
      metricsUrl: await store.presignedGet(metricsKey, ARTIFACT_LINK_EXPIRY_SECONDS),
      size: stat.size,
    };
    const job = renderVerificationJob(artifact, inputs, this.#o.job);
    try {
      // Created, not applied: the links differ on every render, and a Job's template is immutable.
      await client.request('POST', `/apis/batch/v1/namespaces/${this.#o.job.namespace}/jobs`, { body: job });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return { ok: true };
  }

  async #readCredentials(
    mv: ModelVersion,
    location: Extract<ArtifactLocation, { ok: true }>,
    client: ApiClient,
  ): Promise<{ store: ArtifactStoreAccess } | { reason: string; message: string }> {
    const namespace = mv.metadata.namespace as string;
    const name = location.credentialsSecret as string;
    const invalid = (why: string) => ({
      reason: REASONS.CredentialsSecretInvalid,
      message: `spec.artifact.credentialsSecret ${name}: ${why}`,
    });
    let secret: V1Secret;
    try {
      secret = await client.request<V1Secret>('GET', `/api/v1/namespaces/${namespace}/secrets/${name}`);
    } catch (error) {
      if (isNotFound(error)) return invalid(`no such Secret in namespace ${namespace}`);
      throw error;
    }
    const value = (k: string) => {
      const v = secret.data?.[k];
      return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
    };
    const accessKey = value('accessKeyId');
    const secretKey = value('secretAccessKey');
    if (!accessKey || !secretKey) return invalid('it needs the keys accessKeyId and secretAccessKey');
    return {
      store: this.#o.storeFor({
        endpoint: location.endpoint?.replace(/\/$/, '') ?? this.#o.storeDefaults.endpoint,
        region: this.#o.storeDefaults.region,
        bucket: location.bucket,
        accessKey,
        secretKey,
      }),
    };
  }

  /** Another ModelVersion of the same artifact (same namespace) that is verified already. */
  #fromPeers(id: string): Verification | undefined {
    for (const key of this.#o.modelVersions.byIndex(ARTIFACT_INDEX, id)) {
      const peer = this.#o.modelVersions.get(key);
      const verified = peer && verifiedFromStatus(peer);
      if (verified) {
        this.#results.set(id, verified);
        return verified;
      }
    }
    return undefined;
  }

  #readOutcome(id: string, job: V1Job, client: ApiClient): Promise<ReturnType<typeof verificationOutcome>> {
    // While the Job runs, the watched Pods may already hold its result. Once it has finished, its
    // Pods are read from the API server: the Pod watch may not have caught up with the Job's.
    if (jobState(job).phase === 'Running') {
      const cached = this.#o.pods
        .byIndex(JOB_UID_INDEX, job.metadata?.uid ?? '')
        .map((k) => this.#o.pods.get(k))
        .filter((p) => p !== undefined);
      return Promise.resolve(this.#logged(job, verificationOutcome(job, cached)));
    }
    let reading = this.#reading.get(id);
    if (!reading) {
      reading = (async () => {
        const pods = await client.request<{ items: V1Pod[] }>(
          'GET',
          `/api/v1/namespaces/${this.#o.job.namespace}/pods`,
          {
            query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name}` },
          },
        );
        return this.#logged(job, verificationOutcome(job, pods.items));
      })().finally(() => this.#reading.delete(id));
      this.#reading.set(id, reading);
    }
    return reading;
  }

  #logged(
    job: V1Job,
    outcome: ReturnType<typeof verificationOutcome>,
  ): ReturnType<typeof verificationOutcome> {
    if (outcome.kind === 'finished')
      this.#o.log.info(
        {
          job: job.metadata?.name,
          ok: outcome.verification.ok,
          ...(outcome.verification.ok ? {} : { reason: outcome.verification.reason }),
        },
        'verification finished',
      );
    return outcome;
  }

  /** Forgets a result and deletes its Job, so the next reconcile verifies again. */
  async #retire(artifact: ArtifactRef, client: ApiClient): Promise<void> {
    this.#results.delete(artifactId(artifact));
    const key = `${this.#o.job.namespace}/${verificationJobName(artifact)}`;
    const job = this.#o.jobs.get(key);
    if (!job) return;
    await deleteChild(client, JOBS, this.#o.job.namespace, job);
    this.#o.jobs.delete(key);
  }

  async #finalize(
    mv: ModelVersion,
    path: string,
    client: ApiClient,
    signal: AbortSignal,
  ): Promise<ReconcileOutcome> {
    if (!hasFinalizer(mv, FINALIZER)) return waitForChange();
    const servedBy = mv.status?.servedBy ?? [];
    if (servedBy.length > 0) {
      this.#o.events.record(mv, {
        type: 'Warning',
        reason: EVENT_REASONS.DeletionBlocked,
        action: 'Delete',
        note: `Deletion waits until no InferenceService serves this version (served by ${servedBy.join(', ')})`,
      });
      return requeueAfter(DELETION_BLOCKED_RECHECK_MS);
    }
    const peers = this.#o.modelVersions
      .byIndex(URI_INDEX, mv.spec.artifact.uri)
      .map((k) => this.#o.modelVersions.get(k))
      .filter((p) => p !== undefined);
    const decision = deletionDecision(mv, peers, this.#o.store.bucket);
    if (decision.delete) {
      // The store is not behind the API fence: check it before the one write that cannot be undone.
      if (signal.aborted) return waitForChange();
      await this.#o.store.remove([decision.key]);
      this.#o.log.info(
        { uri: mv.spec.artifact.uri, modelVersion: mv.metadata.name },
        'artifact deleted (deletionPolicy Delete)',
      );
      this.#o.events.record(mv, {
        type: 'Normal',
        reason: EVENT_REASONS.ArtifactDeleted,
        action: 'Delete',
        note: `Artifact deleted: ${mv.spec.artifact.uri}`,
      });
    } else if (decision.reason && decision.note) {
      this.#o.events.record(mv, {
        type: 'Warning',
        reason: decision.reason,
        action: 'Delete',
        note: decision.note,
      });
    }
    await removeFinalizer(client, path, mv, FINALIZER).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return waitForChange();
  }
}
