// The Dataset controller. Level-triggered: each reconcile reads the Dataset from the cache and
// brings its children in line — the spec check, the data jobs' ServiceAccount and store
// credentials, the collection and snapshot CronJobs, one Job per on-demand snapshot request,
// retention in the store — and writes the status the observations call for. This file only
// orchestrates: the rules are the pure functions beside it (spec-check, cronjobs, snapshot-job,
// service-account, store-credentials, job-outcomes, retention, desired-status). What the store
// holds is the truth about batches and snapshots; Jobs only say how the last runs went.
import type { V1CronJob, V1Job, V1Pod, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import {
  latestAccepted,
  listPublishedSnapshots,
  removeSnapshot,
  type SnapshotListing,
  type SummaryCache,
} from '../../../lib/dataset/published-snapshots.ts';
import { snapshotVersionAt } from '../../../lib/dataset/snapshot-version.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import type { ScopedCredentials } from '../../../lib/store/sts.ts';
import type { Dataset, DatasetStatus } from '../../api/dataset.ts';
import { SNAPSHOT_REQUESTED_ANNOTATION } from '../../api/group.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import { DEFAULT_TRAINING_VARIANT, type TrainingRun } from '../../api/training-run.ts';
import { BoundedMap } from '../../runtime/bounded-map.ts';
import {
  backoff,
  type ReconcileContext,
  type ReconcileOutcome,
  requeueAfter,
  waitForChange,
} from '../../runtime/controller.ts';
import { collectionPath, objectPath } from '../../runtime/controller-setup.ts';
import type { EventSink } from '../../runtime/events.ts';
import { type ApiClient, isConflict } from '../../runtime/kube-client.ts';
import type { KubeObject } from '../../runtime/kube-object.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import { apply } from '../../runtime/server-side-apply.ts';
import { publishStatus } from '../../runtime/status-writer.ts';
import { applyChildren } from '../shared/children.ts';
import { jobState, terminations } from '../shared/job-state.ts';
import { cronJobs, DATASETS, jobs, SECRETS, serviceAccounts, TRAINING_RUNS } from '../shared/kinds.ts';
import { LABEL_INSTANCE, LABEL_OWNER_KIND } from '../shared/labels.ts';
import { isControlledBy } from '../shared/owner-references.ts';
import type { WorkloadCredentials } from '../shared/workload-credentials.ts';
import { renderCronJobs } from './cronjobs.ts';
import { DATA_JOB_CONTAINER, type DataJobConfig } from './data-job-template.ts';
import { type DatasetObservation, desiredStatus } from './desired-status.ts';
import { collectionOutcome, type JobOutcome, newestJob, snapshotOutcome } from './job-outcomes.ts';
import {
  componentOf,
  DATASET_CHILDREN_SELECTOR,
  DATASET_COMPONENTS,
  dataJobsStoreSecretName,
  observedRequest,
  snapshotRequestJobName,
} from './names.ts';
import { EVENT_REASONS, REASONS } from './reasons.ts';
import { retentionPlan, trainedOn } from './retention.ts';
import { renderServiceAccount } from './service-account.ts';
import { renderSnapshotJob } from './snapshot-job.ts';
import { checkDatasetSpec, type SpecCheck } from './spec-check.ts';
import {
  CREDENTIALS_SESSION_SECONDS,
  dataJobsStoreScope,
  renderStoreCredentialsSecret,
  renewalDueInMs,
} from './store-credentials.ts';
import { renderTemplateRun, TRAINED_DATASET_LABEL } from './training-runs.ts';

export const DATASET_JOBS = jobs(DATASET_CHILDREN_SELECTOR);
export const DATASET_CRONJOBS = cronJobs(DATASET_CHILDREN_SELECTOR);
export const DATASET_SERVICE_ACCOUNTS = serviceAccounts(DATASET_CHILDREN_SELECTOR);
/** `namespace/dataset` of a Dataset's child, from its labels (CronJobs' Jobs are owned by the CronJob). */
export const DATASET_INDEX = 'dataset';
/** ModelVersions by `namespace/dataset` of the Dataset they were trained on. */
export const TRAINED_ON_INDEX = 'trained-on-dataset';

/** Summaries read, by key: each is immutable, so read once per operator process. */
const SUMMARY_CACHE_LIMIT = 20_000;
const OUTCOME_CACHE_LIMIT = 10_000;
/** A store that failed is read again after this long (besides any event). */
const STORE_RETRY_MS = 30_000;

export interface DatasetReconcilerOptions {
  datasets: ObjectCache<Dataset>;
  modelVersions: ObjectCache<ModelVersion>;
  jobs: ObjectCache<V1Job>;
  cronJobs: ObjectCache<V1CronJob>;
  serviceAccounts: ObjectCache<V1ServiceAccount>;
  secrets: ObjectCache<V1Secret>;
  events: EventSink;
  /** The operator's own store (its long-lived credentials): snapshots are listed and deleted here. */
  store: ArtifactStore;
  /**
   * `sts`: mint scoped credentials per Dataset (this function); `shared`: the jobs read the
   * long-lived store Secret of that name, which must exist in the Dataset's namespace.
   */
  credentials: WorkloadCredentials;
  job: Omit<DataJobConfig, 'credentialsSecret' | 'sessionToken'>;
  log: Logger;
  now?: () => Date;
}

/** The `namespace/dataset` a child belongs to, by its labels. */
export function datasetOf(child: KubeObject): string[] {
  const labels = child.metadata?.labels ?? {};
  const name = labels[LABEL_INSTANCE];
  return labels[LABEL_OWNER_KIND] === 'dataset' && name && child.metadata?.namespace
    ? [`${child.metadata.namespace}/${name}`]
    : [];
}

export function datasetTrainedOn(mv: ModelVersion): string[] {
  const name = mv.spec.source?.dataset?.name;
  return name ? [`${mv.metadata.namespace}/${name}`] : [];
}

export class DatasetReconciler {
  readonly #o: DatasetReconcilerOptions;
  readonly #now: () => Date;
  readonly #summaries: SummaryCache = new BoundedMap(SUMMARY_CACHE_LIMIT);
  /** Job outcomes by uid and attempt counts: a finished Job's Pods are read once. */
  readonly #outcomes = new BoundedMap<string, JobOutcome<unknown>>(OUTCOME_CACHE_LIMIT);

  constructor(options: DatasetReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    for (const cache of [
      options.jobs,
      options.cronJobs,
      options.serviceAccounts,
    ] as ObjectCache<KubeObject>[])
      cache.addIndex(DATASET_INDEX, datasetOf);
    options.modelVersions.addIndex(TRAINED_ON_INDEX, datasetTrainedOn);
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileOutcome> => {
    const dataset = this.#o.datasets.get(key);
    // Children are owned (garbage-collected with it); the store keeps its data (docs/datasets.md).
    if (!dataset || dataset.metadata.deletionTimestamp) return waitForChange();
    const namespace = dataset.metadata.namespace as string;
    const client = ctx.client;
    const check = this.#check(dataset);
    const observation: DatasetObservation = { check, bucket: this.#o.store.bucket };
    let next = waitForChange();
    if (!check.ok) {
      // A spec the jobs cannot run starts none: the CronJobs go until it is fixed.
      await applyChildren(client, {
        kind: DATASET_CRONJOBS,
        namespace,
        desired: [],
        existing: this.#owned(this.#o.cronJobs, key, dataset),
      });
      return this.#writeStatus(dataset, observation, client, next);
    }
    await applyChildren(client, {
      kind: DATASET_SERVICE_ACCOUNTS,
      namespace,
      desired: [renderServiceAccount(dataset)],
      existing: this.#owned(this.#o.serviceAccounts, key, dataset),
    });
    const credentials = await this.#credentials(dataset, client);
    if ('problem' in credentials) {
      observation.storeProblem = credentials.problem;
      return this.#writeStatus(dataset, observation, client, backoff());
    }
    next = credentials.next;
    const config: DataJobConfig = { ...this.#o.job, ...credentials.secret };
    await applyChildren(client, {
      kind: DATASET_CRONJOBS,
      namespace,
      desired: renderCronJobs(dataset, config),
      existing: this.#owned(this.#o.cronJobs, key, dataset),
    });

    try {
      observation.listing = await this.#retain(dataset, observation, ctx.signal);
    } catch (error) {
      observation.storeProblem = {
        reason: REASONS.StoreError,
        message: `the store could not be read: ${describe(error)}`,
      };
      this.#o.log.warn({ dataset: key, err: describe(error) }, 'the store could not be read; retrying');
      next = requeueAfter(STORE_RETRY_MS);
    }
    const request = await this.#snapshotRequest(dataset, observation.listing, config, client);
    if (request) observation.snapshotRequest = request;
    const training = await this.#train(dataset, observation.listing, client);
    if (training) observation.training = training;

    const children = this.#o.jobs
      .byIndex(DATASET_INDEX, key)
      .map((k) => this.#o.jobs.get(k))
      .filter((j) => j !== undefined);
    const newest = (component: string) =>
      newestJob(children.filter((j) => componentOf(j.metadata?.labels) === component));
    const collectJob = newest(DATASET_COMPONENTS.collection);
    const snapshotJob = newest(DATASET_COMPONENTS.snapshot);
    if (collectJob)
      observation.collection = (await this.#outcome(
        collectJob,
        client,
        collectionOutcome,
      )) as DatasetObservation['collection'];
    if (snapshotJob)
      observation.snapshotBuild = (await this.#outcome(
        snapshotJob,
        client,
        snapshotOutcome,
      )) as DatasetObservation['snapshotBuild'];
    return this.#writeStatus(dataset, observation, client, next);
  };

  #check(dataset: Dataset): SpecCheck {
    if (!this.#o.job.image)
      return {
        ok: false,
        reason: REASONS.DataJobsImageNotConfigured,
        message: 'the operator was started without --data-jobs-image',
      };
    return checkDatasetSpec(dataset, this.#o.store.bucket);
  }

  async #writeStatus(
    dataset: Dataset,
    observation: DatasetObservation,
    client: ApiClient,
    next: ReconcileOutcome,
  ): Promise<ReconcileOutcome> {
    const path = objectPath(DATASETS, dataset.metadata.namespace as string, dataset.metadata.name as string);
    await publishStatus(client, path, dataset, desiredStatus(dataset, observation, this.#now()), {
      cache: this.#o.datasets,
      events: this.#o.events,
    });
    return next;
  }

  /** The Secret the jobs read the store with; under sts minted, and renewed at half its life. */
  async #credentials(
    dataset: Dataset,
    client: ApiClient,
  ): Promise<
    | { secret: Pick<DataJobConfig, 'credentialsSecret' | 'sessionToken'>; next: ReconcileOutcome }
    | { problem: { reason: string; message: string } }
  > {
    const credentials = this.#o.credentials;
    if (credentials.mode === 'shared')
      return {
        secret: { credentialsSecret: credentials.secret, sessionToken: false },
        next: waitForChange(),
      };
    const namespace = dataset.metadata.namespace as string;
    const name = dataJobsStoreSecretName(dataset);
    const scope = dataJobsStoreScope(dataset, this.#o.store.bucket);
    const live = this.#o.secrets.get(`${namespace}/${name}`);
    const owned = live && isControlledBy(live, dataset.metadata.uid) ? live : undefined;
    let due = renewalDueInMs(owned, scope, this.#now());
    if (due === 0) {
      let minted: ScopedCredentials;
      try {
        minted = await credentials.mint(
          scope,
          `${namespace}.${dataset.metadata.name}`.slice(0, 64),
          CREDENTIALS_SESSION_SECONDS,
        );
      } catch (error) {
        const reason = error instanceof UserError ? error.reason : REASONS.StoreError;
        return {
          problem: {
            reason,
            message: `store credentials for the data jobs could not be minted: ${describe(error)}`,
          },
        };
      }
      const secret = renderStoreCredentialsSecret(dataset, minted, scope);
      this.#o.secrets.set(await apply(client, objectPath(SECRETS, namespace, name), secret));
      this.#o.log.info(
        { dataset: `${namespace}/${dataset.metadata.name}`, expires: minted.expiration.toISOString() },
        'data job store credentials minted',
      );
      due = renewalDueInMs(secret, scope, this.#now()) || (CREDENTIALS_SESSION_SECONDS * 1000) / 4;
    }
    return { secret: { credentialsSecret: name, sessionToken: true }, next: requeueAfter(due) };
  }

  /**
   * The store's snapshots, after deleting those past spec.retention that no ModelVersion was
   * trained on. The store is not behind the API fence: each deletion checks the term first.
   */
  async #retain(
    dataset: Dataset,
    observation: DatasetObservation,
    signal: AbortSignal,
  ): Promise<SnapshotListing> {
    const namespace = dataset.metadata.namespace as string;
    const name = dataset.metadata.name as string;
    const listing = await listPublishedSnapshots(this.#o.store, namespace, name, this.#summaries);
    const trained = this.#o.modelVersions
      .byIndex(TRAINED_ON_INDEX, `${namespace}/${name}`)
      .map((k) => this.#o.modelVersions.get(k))
      .filter((mv): mv is ModelVersion => mv !== undefined);
    const plan = retentionPlan(
      listing.published.map((s) => s.version),
      dataset.spec.retention?.snapshots ?? 12,
      trainedOn(dataset, trained),
      latestAccepted(listing.published)?.version,
    );
    observation.retained = plan.retained;
    const deleted: string[] = [];
    for (const version of plan.delete) {
      if (signal.aborted) break;
      await removeSnapshot(this.#o.store, namespace, name, version, { keepGoldIndex: false });
      this.#o.log.info({ dataset: `${namespace}/${name}`, version }, 'snapshot deleted (retention)');
      deleted.push(version);
    }
    observation.deleted = deleted;
    return { ...listing, published: listing.published.filter((s) => !deleted.includes(s.version)) };
  }

  /**
   * Starts the one Job of a new request value. Its name comes from the value, so a crash after
   * the create and before the status write finds it again instead of starting a second.
   */
  async #snapshotRequest(
    dataset: Dataset,
    listing: SnapshotListing | undefined,
    config: DataJobConfig,
    client: ApiClient,
  ): Promise<string | undefined> {
    const value = dataset.metadata.annotations?.[SNAPSHOT_REQUESTED_ANNOTATION];
    if (
      value === undefined ||
      value === '' ||
      observedRequest(value) === dataset.status?.observedSnapshotRequest
    )
      return undefined;
    const namespace = dataset.metadata.namespace as string;
    const jobName = snapshotRequestJobName(dataset, value);
    if (this.#o.jobs.get(`${namespace}/${jobName}`)) return observedRequest(value);
    // The parent is needed to render; without a listing the request waits for the store.
    if (!listing) return undefined;
    const now = this.#now();
    const time = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const parent = latestAccepted(listing.published)?.version;
    const version = snapshotVersionAt(time);
    const job = renderSnapshotJob(
      dataset,
      { value, version, time: kubeTime(time), ...(parent && parent < version ? { parent } : {}) },
      config,
    );
    try {
      const created = await client.request<V1Job>('POST', `/apis/batch/v1/namespaces/${namespace}/jobs`, {
        body: job,
      });
      this.#o.jobs.set(created);
      this.#o.events.record(dataset, {
        type: 'Normal',
        reason: EVENT_REASONS.SnapshotRequested,
        action: 'Snapshot',
        note: `Snapshot ${version} requested (${SNAPSHOT_REQUESTED_ANNOTATION}: ${value.slice(0, 64)}): Job ${jobName}`,
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return observedRequest(value);
  }

  /**
   * One TrainingRun per training template for the newest accepted snapshot that the template has
   * not trained on yet (a new template trains once on the current one), named by the template and
   * the version so that no snapshot starts two runs of one template; recorded in status.training,
   * so a run deleted by hand is not created again.
   */
  async #train(
    dataset: Dataset,
    listing: SnapshotListing | undefined,
    client: ApiClient,
  ): Promise<DatasetStatus['training'] | undefined> {
    const templates = dataset.spec.training ?? [];
    const previous = (dataset.status?.training ?? []).filter((p) => templates.some((t) => t.name === p.name));
    if (templates.length === 0) return dataset.status?.training ? [] : undefined;
    const latest = listing && latestAccepted(listing.published);
    if (!latest) return previous;
    const namespace = dataset.metadata.namespace as string;
    const entries: NonNullable<DatasetStatus['training']> = [];
    for (const template of templates) {
      const done = previous.find((p) => p.name === template.name);
      const variant = template.variant ?? DEFAULT_TRAINING_VARIANT;
      if ((done && done.snapshot >= latest.version) || !latest.variants.some((v) => v.variant === variant)) {
        if (done) entries.push(done);
        continue;
      }
      const run = renderTemplateRun(dataset, template, latest.version);
      const name = run.metadata.name as string;
      try {
        await client.request('POST', collectionPath(TRAINING_RUNS, namespace), { body: run });
        this.#o.events.record(dataset, {
          type: 'Normal',
          reason: EVENT_REASONS.TrainingRunCreated,
          action: 'Train',
          note: `Created TrainingRun ${name} from template ${template.name} for snapshot ${latest.version} (${variant})`,
        });
      } catch (error) {
        if (!isConflict(error)) throw error;
        const existing = await client.request<TrainingRun>('GET', objectPath(TRAINING_RUNS, namespace, name));
        if (existing.metadata.labels?.[TRAINED_DATASET_LABEL] !== dataset.metadata.name) {
          this.#o.events.record(dataset, {
            type: 'Warning',
            reason: EVENT_REASONS.TrainingRunNameTaken,
            action: 'Train',
            note: `TrainingRun ${name} exists and was not created for this Dataset: rename training template ${template.name}`,
          });
          if (done) entries.push(done);
          continue;
        }
      }
      entries.push({ name: template.name, snapshot: latest.version, trainingRun: name });
    }
    return entries;
  }

  /** A Job's outcome; its Pods are read only once it has finished or an attempt has failed. */
  async #outcome<R>(
    job: V1Job,
    client: ApiClient,
    read: (job: V1Job, t: ReturnType<typeof terminations>) => JobOutcome<R>,
  ): Promise<JobOutcome<R>> {
    const failed = job.status?.failed ?? 0;
    const done = jobState(job).phase !== 'Running';
    if (!done && failed === 0) return read(job, []);
    const cacheKey = `${job.metadata?.uid}/${failed}/${done ? 'done' : 'running'}`;
    const known = this.#outcomes.get(cacheKey);
    if (known) return known as JobOutcome<R>;
    const pods = await client.request<{ items: V1Pod[] }>(
      'GET',
      `/api/v1/namespaces/${job.metadata?.namespace}/pods`,
      {
        query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name}` },
      },
    );
    const outcome = read(job, terminations(pods.items, DATA_JOB_CONTAINER));
    this.#outcomes.set(cacheKey, outcome);
    return outcome;
  }

  /** The cached children of a kind that this Dataset controls. */
  #owned<T extends KubeObject>(cache: ObjectCache<T>, key: string, dataset: Dataset): T[] {
    return cache
      .byIndex(DATASET_INDEX, key)
      .map((k) => cache.get(k))
      .filter((c): c is T => c !== undefined && isControlledBy(c, dataset.metadata.uid));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? 'unknown error') : String(error);
}
