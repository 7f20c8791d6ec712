// Every reason the InferenceService controller writes into a condition or an Event, with what it
// means for the user. Conditions: `ModelResolved` (the selectors name Ready versions), `Ready`
// (this generation's serving is in place), `Progressing` (a rollout is under way), and, only when
// the spec asks for them, `Autoscaling` and `PredictionLog` (whether they work as specified).

export const CONDITION_MODEL_RESOLVED = 'ModelResolved';
export const CONDITION_READY = 'Ready';
export const CONDITION_PROGRESSING = 'Progressing';
export const CONDITION_AUTOSCALING = 'Autoscaling';
export const CONDITION_PREDICTION_LOG = 'PredictionLog';

/** Why a model selector (spec.model or spec.canary) names no version that may be served. */
export const RESOLUTION_REASONS = {
  /** spec.model.version (or spec.canary.version) names a version no ModelVersion of the namespace has. */
  ModelVersionNotFound: 'ModelVersionNotFound',
  /** The pinned ModelVersion exists but is not Ready (still verifying, or its artifact failed). */
  ModelVersionNotReady: 'ModelVersionNotReady',
  /** The pinned ModelVersion is being deleted: it is not rolled out anew. */
  ModelVersionDeleting: 'ModelVersionDeleting',
  /** No Ready ModelVersion of the model is in the stage (none promoted yet, or a demotion emptied it). */
  NoReadyVersionInStage: 'NoReadyVersionInStage',
} as const;

export const REASONS = {
  ...RESOLUTION_REASONS,
  /** ModelResolved=True: every selector names a Ready version. */
  Resolved: 'Resolved',
  /** Ready=True: the resolved version(s) serve on every replica asked for. */
  Serving: 'Serving',
  /** Ready=False: a selector did not resolve; what served before keeps serving (the message names it). */
  ModelNotResolved: 'ModelNotResolved',
  /** Ready=False, Progressing=True: Deployments are rolling over to the resolved version(s). */
  RollingOut: 'RollingOut',
  /** Progressing=False: the rollout is done, every replica runs the resolved version(s). */
  RolloutFinished: 'RolloutFinished',
  /**
   * Ready=False, Progressing=False: a serving container of the new version keeps exiting; the
   * message carries its termination message (e.g. ConfigInvalid: preprocessing that does not fit
   * the model). The replicas of the previous version keep serving meanwhile.
   */
  ServerFailing: 'ServerFailing',
  /** Ready=False, Progressing=False: a Deployment exceeded its progress deadline. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** Ready=False: replicas is 0, nothing serves. */
  ScaledToZero: 'ScaledToZero',
  /** Ready=False: a Secret the spec names (auth, prediction log) does not exist in the namespace. */
  SecretNotFound: 'SecretNotFound',
  /** Ready=False: a Secret the spec names lacks what the server needs (a token, the key url). */
  SecretInvalid: 'SecretInvalid',
  /** Ready=False: an object of another owner already has the name of a child (Service, Deployment). */
  NameInUse: 'NameInUse',
  /** Ready=False: the operator was started without --inference-server-image. */
  ServerImageNotConfigured: 'ServerImageNotConfigured',
  /** Autoscaling=True: a HorizontalPodAutoscaler scales the primary. */
  HorizontalPodAutoscaler: 'HorizontalPodAutoscaler',
  /**
   * Autoscaling=False: targetConcurrency needs a custom metrics adapter the operator was not told
   * about (--custom-metrics-adapter); the primary runs minReplicas replicas meanwhile.
   */
  ConcurrencyMetricUnavailable: 'ConcurrencyMetricUnavailable',
  /** PredictionLog=True: predictions are logged (with input images when storeInputs asks for them). */
  Logging: 'Logging',
  /**
   * PredictionLog=False: predictions are logged but input images are not stored, because serving
   * Pods get no long-lived store credentials (docs/decisions/0012-serving-inference-services.md).
   */
  InputImagesNotStored: 'InputImagesNotStored',
} as const;

/**
 * Event reasons (Events only, not conditions). Besides these, a resolution reason (ModelResolved
 * turning False or changing its reason) and ServerFailing are Warning Events when they appear.
 */
export const EVENT_REASONS = {
  /** A version starts serving a role (primary or canary): its Deployment is rolling over to it. */
  RolloutStarted: 'RolloutStarted',
  /** Every replica runs the resolved version(s); the versions they replaced stopped serving. */
  RolloutFinished: 'RolloutFinished',
} as const;
