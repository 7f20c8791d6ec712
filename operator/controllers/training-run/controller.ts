// The TrainingRun controller. Level-triggered, one step per reconcile that must be recorded
// before the next: pin the snapshot (status first, never a Job before), create the training Job
// (suspended until its scoped credentials exist), follow it, then register — claim the next
// version number in status under a per-model lock, copy the outputs to models/ on the store's
// side, create the ModelVersion, wait for its verification, decide the promotion. Every step
// finds what an earlier, interrupted one left and goes on from there, so a crash anywhere
// registers one version per run. The rules are the pure functions beside this file.
import type { V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { UserError } from '../../../lib/contract/errors.ts';
import type { ArtifactStore } from '../../../lib/store/client.ts';
import { blobsPrefix, importsPrefix, runPrefix, snapshotPrefix } from '../../../lib/store/keys.ts';
import type { SessionPolicyScope } from '../../../lib/store/policy.ts';
import { MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, type ScopedCredentials } from '../../../lib/store/sts.ts';
import type { Dataset } from '../../api/dataset.ts';
import type { ModelVersion } from '../../api/model-version.ts';
import type { TrainingRun } from '../../api/training-run.ts';
import { findCondition, isTrue } from '../../runtime/conditions.ts';
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
import { kubeTime } from '../../runtime/kube-time.ts';
import type { ObjectCache } from '../../runtime/object-cache.ts';
import { apply } from '../../runtime/server-side-apply.ts';
import { publishStatus } from '../../runtime/status-writer.ts';
import { jobState, terminations } from '../shared/job-state.ts';
import { MODEL_VERSIONS, SECRETS, TRAINING_RUNS } from '../shared/kinds.ts';
import { isControlledBy } from '../shared/owner-references.ts';
import {
  renderScopedCredentialsSecret,
  scopedCredentialsSecretName,
} from '../shared/scoped-credentials-secret.ts';
import type { WorkloadCredentials } from '../shared/workload-credentials.ts';
import { desiredStatus, type RunState } from './desired-status.ts';
import { modelKey, renderModelVersion } from './model-version.ts';
import { modelVersionName, TRAINING_CONTAINER, trainingJobName, trainingLabels } from './names.ts';
import { type Progress, parseProgress } from './progress.ts';
import { championOf, decidePromotion } from './promotion.ts';
import { CONDITION_SUCCEEDED, EVENT_REASONS, REASONS, TERMINAL_REASONS } from './reasons.ts';
import { type PinnedSnapshot, resolveSnapshot } from './resolve-snapshot.ts';
import { outputUri, renderTrainingJob, type TrainingJobConfig } from './training-job.ts';
import { nextVersion } from './version-allocation.ts';

/** Runs by `namespace/dataset` while they wait for a snapshot to pin. */
export const DATASET_INDEX = 'training-run-dataset';
/** Runs by `namespace/model`: the claims of one model's versions. */
export const MODEL_INDEX = 'training-run-model';
/** ModelVersions by `namespace/model`. */
export const VERSIONS_INDEX = 'model-versions-of-model';

/** How often a running Job's log is read for progress (and the status written at most). */
export const PROGRESS_INTERVAL_MS = 15_000;
/** A store failure while registering is tried again after this long. */
const STORE_RETRY_MS = 10_000;
const WAITING_RECHECK_MS = 30_000;
const FOREIGN_JOB_RECHECK_MS = 5_000;
const LOG_TAIL_LINES = 50;

export interface TrainingRunReconcilerOptions {
  runs: ObjectCache<TrainingRun>;
  datasets: ObjectCache<Dataset>;
  modelVersions: ObjectCache<ModelVersion>;
  jobs: ObjectCache<V1Job>;
  events: EventSink;
  store: ArtifactStore;
  credentials: WorkloadCredentials;
  job: TrainingJobConfig;
  log: Logger;
  now?: () => Date;
}

export function datasetOfRun(run: TrainingRun): string[] {
  return run.status?.snapshot ? [] : [`${run.metadata.namespace}/${run.spec.dataset.name}`];
}

export function runOfModelVersion(mv: ModelVersion): string[] {
  const run = mv.spec.source?.trainingRun;
  return run ? [`${mv.metadata.namespace}/${run}`] : [];
}

function isTerminal(run: TrainingRun): boolean {
  const c = findCondition(run.status?.conditions, CONDITION_SUCCEEDED);
  return c !== undefined && c.status !== 'Unknown' && TERMINAL_REASONS.has(c.reason);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? 'unknown error') : String(error);
}

export class TrainingRunReconciler {
  readonly #o: TrainingRunReconcilerOptions;
  readonly #now: () => Date;
  /** Per `namespace/model`: the tail of the chain of version claims, so one claim runs at a time. */
  readonly #claims = new Map<string, Promise<unknown>>();
  /** When each running Job's log was last read. */
  readonly #progressReadAt = new Map<string, number>();

  constructor(options: TrainingRunReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    options.runs.addIndex(DATASET_INDEX, datasetOfRun);
    options.runs.addIndex(MODEL_INDEX, (run) => [`${run.metadata.namespace}/${run.spec.model.name}`]);
    options.modelVersions.addIndex(VERSIONS_INDEX, (mv) => [`${mv.metadata.namespace}/${mv.spec.model}`]);
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileOutcome> => {
    let run = this.#o.runs.get(key);
    if (!run || run.metadata.deletionTimestamp || isTerminal(run)) return waitForChange();
    const client = ctx.client;
    const namespace = run.metadata.namespace as string;
    const existing = this.#o.jobs.get(`${namespace}/${trainingJobName(run)}`);
    if (existing && !isControlledBy(existing, run.metadata.uid))
      return this.#write(run, this.#foreignJob(existing), client, requeueAfter(FOREIGN_JOB_RECHECK_MS));
    if (!run.status?.snapshot) {
      const pinned = await this.#pin(run, client, ctx.signal);
      if (!pinned) return requeueAfter(WAITING_RECHECK_MS);
      run = pinned;
    }
    const snapshot = run.status?.snapshot as PinnedSnapshot;
    let job = existing;
    if (!job) {
      const created = await this.#createJob(run, snapshot, client);
      if ('waiting' in created) return this.#write(run, created.waiting, client, backoff());
      job = created.job;
    }
    if (job.spec?.suspend) {
      const resumed = await this.#resume(run, job, client);
      if (resumed) return this.#write(run, resumed, client, backoff());
      return this.#write(
        run,
        { phase: 'Pending', message: `Job ${job.metadata?.name} created` },
        client,
        waitForChange(),
      );
    }
    const state = jobState(job);
    if (state.phase === 'Running') {
      const attempts = (job.status?.active ?? 0) + (job.status?.failed ?? 0) + (job.status?.succeeded ?? 0);
      if (attempts === 0)
        return this.#write(
          run,
          { phase: 'Pending', message: `Job ${job.metadata?.name} waits for its Pod to start` },
          client,
          requeueAfter(PROGRESS_INTERVAL_MS),
        );
      const progress = await this.#progress(run, job, client);
      const next: RunState = {
        phase: 'Running',
        attempts,
        ...((progress ?? run.status?.progress) ? { progress: progress ?? run.status?.progress } : {}),
      };
      return this.#write(run, next, client, requeueAfter(PROGRESS_INTERVAL_MS));
    }
    // Never fewer than seen while running: FailureTarget can come before status.failed counts the Pod.
    const attempts = Math.max(
      (job.status?.failed ?? 0) + (job.status?.succeeded ?? 0),
      run.status?.attempts ?? 0,
    );
    this.#progressReadAt.delete(job.metadata?.uid as string);
    if (state.phase === 'Failed')
      return this.#write(
        run,
        { ...(await this.#failure(job, state, client)), attempts },
        client,
        waitForChange(),
      );
    return this.#register(run, snapshot, ctx, attempts);
  };

  async #write(
    run: TrainingRun,
    state: RunState,
    client: ApiClient,
    next: ReconcileOutcome,
  ): Promise<ReconcileOutcome> {
    const desired = desiredStatus(run, state, this.#now());
    const { status } = desired;
    const path = objectPath(TRAINING_RUNS, run.metadata.namespace as string, run.metadata.name as string);
    const updated = await publishStatus(client, path, run, desired, {
      cache: this.#o.runs,
      events: this.#o.events,
    });
    if (updated) {
      const before = findCondition(run.status?.conditions, CONDITION_SUCCEEDED)?.reason;
      const after = findCondition(status.conditions, CONDITION_SUCCEEDED);
      if (after && after.reason !== before)
        this.#o.log.info(
          {
            run: `${run.metadata.namespace}/${run.metadata.name}`,
            reason: after.reason,
            status: after.status,
          },
          after.message,
        );
    }
    return next;
  }

  /** Resolves and pins the snapshot; undefined (after writing why) when it cannot be yet. */
  /** A Job of this name that an earlier TrainingRun of the same name left: wait for its deletion. */
  #foreignJob(job: V1Job): RunState {
    return {
      phase: 'Pending',
      message: `waiting for Job ${job.metadata?.name}, left by an earlier TrainingRun of this name, to be deleted`,
    };
  }

  async #pin(run: TrainingRun, client: ApiClient, signal: AbortSignal): Promise<TrainingRun | undefined> {
    const namespace = run.metadata.namespace as string;
    if (run.spec.trainer.builtin && !this.#o.job.trainerImage) {
      await this.#write(
        run,
        {
          phase: 'Waiting',
          reason: REASONS.TrainerImageNotConfigured,
          message: 'the operator was started without --trainer-image',
        },
        client,
        waitForChange(),
      );
      return undefined;
    }
    const resolution = resolveSnapshot(run, this.#o.datasets.get(`${namespace}/${run.spec.dataset.name}`));
    if (!resolution.ok) {
      await this.#write(
        run,
        { phase: 'Waiting', reason: resolution.reason, message: resolution.message },
        client,
        waitForChange(),
      );
      return undefined;
    }
    // Outputs an earlier run of this name left would pass for this run's (the trainer writes
    // create-only): gone before this run's Job can exist.
    const leftovers = await this.#o.store.list(runPrefix(namespace, run.metadata.name as string));
    if (leftovers.length > 0) {
      if (signal.aborted) return undefined;
      await this.#o.store.remove(leftovers);
      this.#o.log.info(
        { run: `${namespace}/${run.metadata.name}`, objects: leftovers.length },
        'removed outputs an earlier run of this name left',
      );
    }
    const now = kubeTime(this.#now());
    const status = {
      ...run.status,
      snapshot: resolution.snapshot,
      startTime: run.status?.startTime ?? now,
      job: trainingJobName(run),
      output: outputUri(run, this.#o.store.bucket),
    };
    const { status: desired } = desiredStatus(
      { ...run, status },
      {
        phase: 'Pending',
        message: `training on snapshot ${resolution.snapshot.version} (${resolution.snapshot.variant})`,
      },
      this.#now(),
    );
    const path = objectPath(TRAINING_RUNS, namespace, run.metadata.name as string);
    const pinnedEvent = {
      type: 'Normal' as const,
      reason: EVENT_REASONS.SnapshotPinned,
      action: 'Train',
      note: `Pinned snapshot ${resolution.snapshot.version} (${resolution.snapshot.variant}) of Dataset ${run.spec.dataset.name}, manifest sha256 ${resolution.snapshot.manifest.sha256}`,
    };
    const updated = await publishStatus(
      client,
      path,
      run,
      { status: desired, events: [pinnedEvent] },
      {
        cache: this.#o.runs,
        events: this.#o.events,
      },
    );
    return updated ?? run;
  }

  #credentialsSecret(job: V1Job): { secret: string; sessionToken: boolean } {
    const c = this.#o.credentials;
    return c.mode === 'shared'
      ? { secret: c.secret, sessionToken: false }
      : { secret: scopedCredentialsSecretName(job.metadata?.name as string), sessionToken: true };
  }

  async #createJob(
    run: TrainingRun,
    snapshot: PinnedSnapshot,
    client: ApiClient,
  ): Promise<{ job: V1Job } | { waiting: RunState }> {
    const namespace = run.metadata.namespace as string;
    const name = trainingJobName(run);
    const sts = this.#o.credentials.mode === 'sts';
    const credentials = this.#credentialsSecret({ metadata: { name } });
    const body = renderTrainingJob(
      run,
      snapshot,
      this.#o.job,
      { secret: credentials.secret, sessionToken: credentials.sessionToken },
      { suspend: sts },
    );
    let job: V1Job;
    try {
      job = await client.request<V1Job>('POST', `/apis/batch/v1/namespaces/${namespace}/jobs`, { body });
      this.#o.events.record(run, {
        type: 'Normal',
        reason: EVENT_REASONS.JobCreated,
        action: 'Train',
        note: `Created Job ${name}`,
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
      job = await client.request<V1Job>('GET', `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`);
      if (!isControlledBy(job, run.metadata.uid)) return { waiting: this.#foreignJob(job) };
    }
    this.#o.jobs.set(job);
    return { job };
  }

  /** Mints the Job's credentials into its Secret and resumes it; a RunState when it cannot. */
  async #resume(run: TrainingRun, job: V1Job, client: ApiClient): Promise<RunState | undefined> {
    const credentials = this.#o.credentials;
    const namespace = run.metadata.namespace as string;
    const name = job.metadata?.name as string;
    if (credentials.mode === 'sts') {
      const deadline = run.spec.activeDeadlineSeconds ?? MAX_SESSION_SECONDS;
      const seconds = Math.min(MAX_SESSION_SECONDS, Math.max(MIN_SESSION_SECONDS, deadline + 600));
      let minted: ScopedCredentials;
      try {
        minted = await credentials.mint(this.#scope(run), `${namespace}.${name}`.slice(0, 64), seconds);
      } catch (error) {
        return {
          phase: 'Waiting',
          reason: REASONS.StoreCredentialsRefused,
          message: `store credentials for the Job could not be minted: ${describe(error)}`,
        };
      }
      const secret: V1Secret = renderScopedCredentialsSecret(job, minted, trainingLabels(run));
      await apply(client, objectPath(SECRETS, namespace, secret.metadata?.name as string), secret);
    }
    const resumed = await client.request<V1Job>(
      'PATCH',
      `/apis/batch/v1/namespaces/${namespace}/jobs/${name}`,
      {
        body: { spec: { suspend: false } },
        contentType: 'application/merge-patch+json',
      },
    );
    this.#o.jobs.set(resumed);
    return undefined;
  }

  /** Writes its outputs; reads the snapshot's manifest, the namespace's blobs and imports. */
  #scope(run: TrainingRun): SessionPolicyScope {
    const namespace = run.metadata.namespace as string;
    const snapshot = run.status?.snapshot as PinnedSnapshot;
    return {
      bucket: this.#o.store.bucket,
      write: [runPrefix(namespace, run.metadata.name as string)],
      read: [
        snapshotPrefix(namespace, run.spec.dataset.name, snapshot.version),
        blobsPrefix(namespace),
        importsPrefix(namespace),
      ],
    };
  }

  async #pods(job: V1Job, client: ApiClient): Promise<V1Pod[]> {
    const list = await client.request<{ items: V1Pod[] }>(
      'GET',
      `/api/v1/namespaces/${job.metadata?.namespace}/pods`,
      {
        query: { labelSelector: `batch.kubernetes.io/job-name=${job.metadata?.name}` },
      },
    );
    return list.items;
  }

  /** The newest progress line of the running Pod's log, read at most every PROGRESS_INTERVAL_MS. */
  async #progress(run: TrainingRun, job: V1Job, client: ApiClient): Promise<Progress | undefined> {
    const key = job.metadata?.uid as string;
    const last = this.#progressReadAt.get(key) ?? 0;
    const now = this.#now().getTime();
    if (now - last < PROGRESS_INTERVAL_MS - 1000) return undefined;
    this.#progressReadAt.set(key, now);
    try {
      const pod = (await this.#pods(job, client)).find((p) => p.status?.phase === 'Running');
      if (!pod) return undefined;
      const log = await client.request<unknown>(
        'GET',
        `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}/log`,
        {
          query: { container: TRAINING_CONTAINER, tailLines: LOG_TAIL_LINES },
        },
      );
      // The client parses a body that is one JSON document: a log of a single line comes back parsed.
      const text = typeof log === 'string' ? log : log === undefined ? '' : JSON.stringify(log);
      return parseProgress(text, kubeTime(this.#now()));
    } catch (error) {
      this.#o.log.debug({ run: run.metadata.name, err: describe(error) }, 'could not read training progress');
      return undefined;
    }
  }

  async #failure(
    job: V1Job,
    state: Extract<ReturnType<typeof jobState>, { phase: 'Failed' }>,
    client: ApiClient,
  ): Promise<Extract<RunState, { phase: 'Failed' }>> {
    if (state.reason === 'DeadlineExceeded')
      return {
        phase: 'Failed',
        reason: REASONS.DeadlineExceeded,
        message: `the run took longer than spec.activeDeadlineSeconds: ${state.message}`,
        at: state.at,
      };
    const last = terminations(await this.#pods(job, client), TRAINING_CONTAINER)
      .filter((t) => t.exitCode !== 0)
      .at(-1);
    const message = last?.message?.trim().split('\n').filter(Boolean).at(-1);
    return {
      phase: 'Failed',
      reason: REASONS.JobFailed,
      message: message
        ? `the trainer failed (exit code ${last?.exitCode}): ${message.slice(0, 1024)}`
        : last?.reason === 'OOMKilled'
          ? 'the trainer ran out of memory (OOMKilled): raise spec.resources.limits.memory'
          : `the training Job failed: ${state.reason}: ${state.message}`,
      at: state.at,
    };
  }

  /** Claims `namespace/model`'s next version for this run, one claim at a time per model. */
  async #claim(run: TrainingRun, client: ApiClient): Promise<TrainingRun> {
    const modelKey = `${run.metadata.namespace}/${run.spec.model.name}`;
    const previous = this.#claims.get(modelKey) ?? Promise.resolve();
    const claim = previous
      .catch(() => undefined)
      .then(async () => {
        const current = this.#o.runs.get(`${run.metadata.namespace}/${run.metadata.name}`) ?? run;
        if (current.status?.modelVersion) return current;
        const mvs = this.#o.modelVersions
          .byIndex(VERSIONS_INDEX, modelKey)
          .map((k) => this.#o.modelVersions.get(k))
          .filter((m) => m !== undefined);
        const runs = this.#o.runs
          .byIndex(MODEL_INDEX, modelKey)
          .map((k) => this.#o.runs.get(k))
          .filter((r) => r !== undefined);
        const version = nextVersion(run.metadata.namespace as string, run.spec.model.name, mvs, runs);
        const status = {
          ...current.status,
          modelVersion: { name: modelVersionName(run.spec.model.name, version), version },
        };
        const { status: desired } = desiredStatus(
          { ...current, status },
          { phase: 'Registering', message: `registering version ${version}` },
          this.#now(),
        );
        const path = objectPath(TRAINING_RUNS, run.metadata.namespace as string, run.metadata.name as string);
        // Guarded by resourceVersion: a stale copy gets a 409 and the reconcile is retried.
        const effects = { cache: this.#o.runs, events: this.#o.events };
        return (
          (await publishStatus(client, path, current, { status: desired, events: [] }, effects)) ?? current
        );
      });
    this.#claims.set(modelKey, claim);
    try {
      return await claim;
    } finally {
      if (this.#claims.get(modelKey) === claim) this.#claims.delete(modelKey);
    }
  }

  async #register(
    run: TrainingRun,
    snapshot: PinnedSnapshot,
    ctx: ReconcileContext,
    attempts: number,
  ): Promise<ReconcileOutcome> {
    const client = ctx.client;
    const namespace = run.metadata.namespace as string;
    const waitForStore = (on: TrainingRun, error: unknown) =>
      this.#write(
        on,
        {
          phase: 'Registering',
          attempts,
          message: `waiting for the store to register ${on.status?.modelVersion?.name ?? 'the outputs'}: ${describe(error)}`,
        },
        client,
        requeueAfter(STORE_RETRY_MS),
      );
    const artifactInvalid = (on: TrainingRun, message: string) =>
      this.#write(
        on,
        { phase: 'Failed', attempts, reason: REASONS.ArtifactInvalid, message, at: kubeTime(this.#now()) },
        client,
        waitForChange(),
      );
    // The outputs are checked before a version number is claimed: an incomplete run takes none.
    let metrics: Record<string, number>;
    try {
      metrics = await this.#metrics(run);
      const outputs = runPrefix(namespace, run.metadata.name as string);
      if (!run.status?.modelVersion && !(await this.#o.store.list(outputs)).includes(`${outputs}model.onnx`))
        throw new UserError(
          'ArtifactInvalid',
          `the Job succeeded without writing model.onnx under ${outputUri(run, this.#o.store.bucket)}`,
        );
    } catch (error) {
      if (error instanceof UserError) return artifactInvalid(run, error.message);
      return waitForStore(run, error);
    }
    let current = run.status?.modelVersion ? run : await this.#claim(run, client);
    const claimed = current.status?.modelVersion as { name: string; version: number };
    let mv = this.#o.modelVersions.get(`${namespace}/${claimed.name}`);
    if (!mv) {
      let sha256: string | undefined;
      try {
        // The store is not behind the API fence: a term that ended writes nothing more there.
        if (ctx.signal.aborted) return waitForChange();
        sha256 = await this.#copyOutputs(current, claimed.version);
      } catch (error) {
        if (error instanceof UserError) return artifactInvalid(current, error.message);
        return waitForStore(current, error);
      }
      const body = renderModelVersion(current, {
        version: claimed.version,
        sha256,
        bucket: this.#o.store.bucket,
        snapshot,
      });
      try {
        mv = await client.request<ModelVersion>('POST', collectionPath(MODEL_VERSIONS, namespace), { body });
        this.#o.events.record(current, {
          type: 'Normal',
          reason: EVENT_REASONS.Registered,
          action: 'Register',
          note: `Registered ModelVersion ${claimed.name} (${body.spec.artifact.uri})`,
        });
      } catch (error) {
        if (!isConflict(error)) throw error;
        mv = await client.request<ModelVersion>('GET', objectPath(MODEL_VERSIONS, namespace, claimed.name));
      }
    }
    if (mv.spec.source?.trainingRun !== current.metadata.name) {
      // The name was taken by a version registered by hand since the claim: claim the next one.
      this.#o.log.warn(
        { run: current.metadata.name, modelVersion: claimed.name },
        'version taken by another ModelVersion; claiming the next',
      );
      const path = objectPath(TRAINING_RUNS, namespace, current.metadata.name as string);
      const { modelVersion: _taken, ...rest } = current.status ?? {};
      await publishStatus(
        client,
        path,
        current,
        { status: rest, events: [] },
        {
          cache: this.#o.runs,
          events: this.#o.events,
        },
      );
      return backoff();
    }
    if (findCondition(mv.status?.conditions, 'ArtifactVerified')?.status === 'False')
      return artifactInvalid(
        current,
        `${claimed.name} failed verification: ${findCondition(mv.status?.conditions, 'ArtifactVerified')?.message}`,
      );
    if (!isTrue(mv.status?.conditions, 'Ready'))
      return this.#write(
        current,
        { phase: 'Registering', attempts, message: `${claimed.name} is being verified` },
        client,
        waitForChange(),
      );
    let promotion = current.status?.promotion;
    if (current.spec.promotion && !promotion) {
      const versions = this.#o.modelVersions
        .byIndex(VERSIONS_INDEX, `${namespace}/${current.spec.model.name}`)
        .map((k) => this.#o.modelVersions.get(k))
        .filter((m) => m !== undefined);
      promotion = decidePromotion(
        current.spec.promotion,
        mv.status?.metrics ?? metrics,
        championOf(versions, current.spec.model.name, current.spec.promotion.stage, claimed.name),
      );
      if (promotion.promoted && mv.spec.stage !== current.spec.promotion.stage) {
        // Not put into the shared cache: the ModelVersion controller learns of it from its watch.
        await client.request<ModelVersion>('PATCH', objectPath(MODEL_VERSIONS, namespace, claimed.name), {
          body: { spec: { stage: current.spec.promotion.stage } },
          contentType: 'application/merge-patch+json',
        });
      }
    }
    current = this.#o.runs.get(`${namespace}/${current.metadata.name}`) ?? current;
    return this.#write(
      current,
      {
        phase: 'Succeeded',
        attempts,
        at: kubeTime(this.#now()),
        metrics,
        ...(promotion ? { promotion } : {}),
      },
      client,
      waitForChange(),
    );
  }

  /** metrics.json of the run's outputs: a flat object of numbers (ArtifactInvalid otherwise). */
  async #metrics(run: TrainingRun): Promise<Record<string, number>> {
    const key = `${runPrefix(run.metadata.namespace as string, run.metadata.name as string)}metrics.json`;
    let text: string;
    try {
      text = (await this.#o.store.getObject(key)).toString('utf8');
    } catch (error) {
      if (error instanceof UserError && error.reason === 'NotFound')
        throw new UserError(
          'ArtifactInvalid',
          `the Job succeeded without writing metrics.json under ${outputUri(run, this.#o.store.bucket)}`,
        );
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UserError('ArtifactInvalid', 'metrics.json is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new UserError(
        'ArtifactInvalid',
        'metrics.json must be a flat JSON object of metric name to number',
      );
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(value))
      if (typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    return metrics;
  }

  /** Copies every output on the store's side to models/<ns>/<model>/<N>/; the model's sha256. */
  async #copyOutputs(run: TrainingRun, version: number): Promise<string> {
    const from = runPrefix(run.metadata.namespace as string, run.metadata.name as string);
    const keys = await this.#o.store.list(from);
    if (!keys.includes(`${from}model.onnx`))
      throw new UserError(
        'ArtifactInvalid',
        `the Job succeeded without writing model.onnx under ${outputUri(run, this.#o.store.bucket)}`,
      );
    // metrics.json last, as the trainer wrote them: a reader that sees it sees everything.
    const ordered = [
      ...keys.filter((k) => !k.endsWith('/metrics.json')),
      ...keys.filter((k) => k.endsWith('/metrics.json')),
    ];
    for (const key of ordered)
      await this.#o.store.copyObject(key, modelKey(run, version, key.slice(from.length)));
    const sha256 = await this.#o.store.objectSha256(modelKey(run, version));
    if (!sha256) throw new Error('the copied model is not in the store yet');
    return sha256;
  }
}
