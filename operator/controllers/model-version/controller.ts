// The ModelVersion controller. Level-triggered: each reconcile reads the object from the cache and
// drives it one step — finalizer, verification, status — so a crash anywhere and a restart
// converge to the same result. Verification results are shared by artifact (URI + digest): from a
// Job, or from another ModelVersion that already verified the same artifact; an artifact verified
// once is never verified again.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { parseS3Uri } from '../../../lib/store/keys.ts';
import { apiVersion } from '../../api/group.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { ReconcileResult } from '../../runtime/controller.ts';
import type { EventRecorder } from '../../runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.ts';
import type { Informer } from '../../runtime/informer.ts';
import { isNotFound, type KubeClient } from '../../runtime/kube-client.ts';
import { splitKey } from '../../runtime/kube-object.ts';
import { apply } from '../../runtime/server-side-apply.ts';
import { writeStatusIfChanged } from '../../runtime/status-writer.ts';
import { type ArtifactRef, artifactId, verificationJobName } from './artifact-identity.ts';
import { type ArtifactState, desiredStatus, verifiedFromStatus } from './desired-status.ts';
import { jobFinished, jobOutcome } from './job-outcome.ts';
import { artifactIdLabel, renderVerificationJob, type VerificationJobConfig } from './verification-job.ts';
import type { Verification } from './verification-result.ts';

export const finalizer = 'bosun.dev/model-version';
export const artifactIndex = 'artifact-id';
export const uriIndex = 'artifact-uri';

export interface ModelVersionControllerOptions {
  client: KubeClient;
  modelVersions: Informer<ModelVersion>;
  jobs: Informer<V1Job>;
  events: EventRecorder;
  store: ArtifactStore;
  job: VerificationJobConfig;
  verificationRetryMs: number;
  log: Logger;
  now?: () => Date;
}

const mvPath = (namespace: string, name: string) =>
  `/apis/${apiVersion}/namespaces/${namespace}/modelversions/${name}`;

export class ModelVersionController {
  readonly #o: ModelVersionControllerOptions;
  readonly #now: () => Date;
  /** Results by artifact id; failures are kept until they are due for a retry. */
  readonly #results = new Map<string, Verification>();
  /** Pod reads in flight by artifact id, so a thousand reconciles of one artifact read once. */
  readonly #reading = new Map<string, Promise<Verification | undefined>>();

  constructor(options: ModelVersionControllerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    options.modelVersions.cache.addIndex(artifactIndex, (mv) => [artifactId(mv.spec.artifact)]);
    options.modelVersions.cache.addIndex(uriIndex, (mv) => [mv.spec.artifact.uri]);
  }

  /** ModelVersion keys to reconcile when a verification Job changes. */
  keysForJob(job: V1Job): string[] {
    const id = job.metadata?.labels?.[artifactIdLabel];
    return id ? this.#o.modelVersions.cache.byIndex(artifactIndex, id) : [];
  }

  reconcile = async (key: string): Promise<ReconcileResult | undefined> => {
    let mv = this.#o.modelVersions.cache.get(key);
    if (!mv) return undefined;
    const { namespace, name } = splitKey(key);
    const path = mvPath(namespace as string, name);
    if (mv.metadata.deletionTimestamp) return this.#finalize(mv, path);
    if (!hasFinalizer(mv, finalizer)) {
      const basedOn = mv.metadata.resourceVersion;
      mv = await addFinalizer<ModelVersion>(this.#o.client, path, mv, finalizer);
      this.#o.modelVersions.cache.setIfUnchanged(basedOn, mv);
    }
    const { state, requeueAfterMs } = await this.#artifactState(mv);
    const { status, events } = desiredStatus(mv, state, this.#now());
    const updated = await writeStatusIfChanged<ModelVersion>(this.#o.client, path, mv, status);
    if (updated) {
      this.#o.modelVersions.cache.setIfUnchanged(mv.metadata.resourceVersion, updated);
      for (const event of events) this.#o.events.record(updated, event);
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  };

  async #artifactState(mv: ModelVersion): Promise<{ state: ArtifactState; requeueAfterMs?: number }> {
    const own = verifiedFromStatus(mv);
    if (own) return { state: own };
    const artifact: ArtifactRef = { uri: mv.spec.artifact.uri, sha256: mv.spec.artifact.sha256 };
    const id = artifactId(artifact);
    let known = this.#results.get(id) ?? this.#fromPeers(id);
    if (known && !known.ok) {
      const due = Date.parse(known.at) + this.#o.verificationRetryMs - this.#now().getTime();
      if (due > 0) return { state: known, requeueAfterMs: due };
      // Due for another try: the artifact may have been uploaded or fixed since.
      await this.#retire(artifact);
      known = undefined;
    }
    if (known) return { state: known };
    const jobKey = `${this.#o.job.namespace}/${verificationJobName(artifact)}`;
    const job = this.#o.jobs.cache.get(jobKey);
    if (job && jobFinished(job)) {
      const result = await this.#readResult(id, job);
      if (result)
        return result.ok ? { state: result } : { state: result, requeueAfterMs: this.#o.verificationRetryMs };
    }
    if (!job)
      await apply(
        this.#o.client,
        `/apis/batch/v1/namespaces/${this.#o.job.namespace}/jobs/${verificationJobName(artifact)}`,
        renderVerificationJob(artifact, this.#o.job),
      );
    return {
      state: { ok: 'pending', message: `verification Job ${verificationJobName(artifact)} is running` },
    };
  }

  /** Another ModelVersion of the same artifact that is verified already. */
  #fromPeers(id: string): Verification | undefined {
    for (const key of this.#o.modelVersions.cache.byIndex(artifactIndex, id)) {
      const peer = this.#o.modelVersions.cache.get(key);
      const verified = peer && verifiedFromStatus(peer);
      if (verified) {
        this.#results.set(id, verified);
        return verified;
      }
    }
    return undefined;
  }

  #readResult(id: string, job: V1Job): Promise<Verification | undefined> {
    let reading = this.#reading.get(id);
    if (!reading) {
      reading = (async () => {
        const pods = await this.#o.client.request<{ items: V1Pod[] }>(
          'GET',
          `/api/v1/namespaces/${this.#o.job.namespace}/pods`,
          {
            query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name}` },
          },
        );
        const outcome = jobOutcome(job, pods.items);
        if (!outcome.finished) return undefined;
        this.#results.set(id, outcome.verification);
        this.#o.log.info(
          {
            job: job.metadata?.name,
            ok: outcome.verification.ok,
            ...(outcome.verification.ok ? {} : { reason: outcome.verification.reason }),
          },
          'verification finished',
        );
        return outcome.verification;
      })().finally(() => this.#reading.delete(id));
      this.#reading.set(id, reading);
    }
    return reading;
  }

  /** Forgets a failed result and deletes its Job, so the next reconcile verifies again. */
  async #retire(artifact: ArtifactRef): Promise<void> {
    const id = artifactId(artifact);
    this.#results.delete(id);
    const name = verificationJobName(artifact);
    const job = this.#o.jobs.cache.get(`${this.#o.job.namespace}/${name}`);
    if (!job) return;
    try {
      await this.#o.client.request(
        'DELETE',
        `/apis/batch/v1/namespaces/${this.#o.job.namespace}/jobs/${name}`,
        {
          body: { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } },
        },
      );
      this.#o.jobs.cache.delete(`${this.#o.job.namespace}/${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #finalize(mv: ModelVersion, path: string): Promise<ReconcileResult | undefined> {
    if (!hasFinalizer(mv, finalizer)) return undefined;
    const servedBy = mv.status?.servedBy ?? [];
    if (servedBy.length > 0) {
      this.#o.events.record(mv, {
        type: 'Warning',
        reason: 'DeletionBlocked',
        action: 'Delete',
        note: `Deletion waits until no InferenceService serves this version (served by ${servedBy.join(', ')})`,
      });
      return { requeueAfterMs: 30_000 };
    }
    if (mv.spec.deletionPolicy === 'Delete') await this.#deleteArtifact(mv);
    await removeFinalizer(this.#o.client, path, mv, finalizer).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return undefined;
  }

  /** Deletes the artifact unless another ModelVersion still refers to the same file. */
  async #deleteArtifact(mv: ModelVersion): Promise<void> {
    const uri = mv.spec.artifact.uri;
    const others = this.#o.modelVersions.cache
      .byIndex(uriIndex, uri)
      .map((k) => this.#o.modelVersions.cache.get(k))
      .filter((o) => o && o.metadata.uid !== mv.metadata.uid && !o.metadata.deletionTimestamp);
    if (others.length > 0) {
      this.#o.log.info({ uri, keptFor: others.length }, 'artifact kept: other ModelVersions use it');
      return;
    }
    const location = parseS3Uri('artifact URI', uri);
    if (location.bucket !== this.#o.store.bucket) {
      this.#o.events.record(mv, {
        type: 'Warning',
        reason: 'ArtifactRetained',
        action: 'Delete',
        note: `${uri} is outside the operator's bucket ${this.#o.store.bucket}; it was not deleted`,
      });
      return;
    }
    await this.#o.store.remove([location.key]);
    this.#o.log.info({ uri, modelVersion: mv.metadata.name }, 'artifact deleted (deletionPolicy Delete)');
  }
}
