// The status an InferenceService should have, as a pure function of the object (its previous status
// included), what its selectors resolved to, what its children show, and the time; plus the Events
// the change deserves. Nothing here talks to a server; the caller writes the status only when it
// differs. Every condition carries the generation it was computed from, so `kubectl wait
// --for=condition=Ready` and Argo CD never take an old generation's state for the current one.
import type { Condition } from '../../api/common.ts';
import type { InferenceService, InferenceServiceStatus } from '../../api/inference-service.ts';
import { findCondition, setCondition } from '../../runtime/conditions.ts';
import type { EventRecord } from '../../runtime/events.ts';
import { kubeTime } from '../../runtime/kube-time.ts';
import { type AutoscalingPlan, IN_FLIGHT_METRIC } from './hpa.ts';
import {
  CONDITION_AUTOSCALING,
  CONDITION_MODEL_RESOLVED,
  CONDITION_PREDICTION_LOG,
  CONDITION_PROGRESSING,
  CONDITION_READY,
  EVENT_REASONS,
  REASONS,
} from './reasons.ts';
import type { Resolution, RoleResolution, ServedRef } from './resolve.ts';
import type { RolloutState } from './rollout-state.ts';
import type { ServerFailure } from './server-failure.ts';
import { SERVING_ROLES, type ServingRole } from './serving-names.ts';
import type { SecretsState } from './serving-secrets.ts';

/** status.history keeps this many periods (open ones are never dropped). */
export const MAX_HISTORY = 100;

export interface RoleObservation {
  /** What the role serves: the resolved version, or the one kept. */
  served: ServedRef;
  /** Its Deployment as it is now; undefined when it could not be made (e.g. its name is taken). */
  rollout?: RolloutState;
  /** The latest failed start of the served version's server. */
  failure?: ServerFailure;
}

export interface ServingObservation {
  resolution: Resolution;
  roles: Partial<Record<ServingRole, RoleObservation>>;
  /** The canary's achieved share of the replicas. */
  canaryPercent?: number;
  autoscaling: AutoscalingPlan;
  secrets: SecretsState;
  /** Children that could not be made because another owner's object has the name ("Service pets"). */
  namesInUse: string[];
  serverImageConfigured: boolean;
  url: string;
  selector: string;
}

export interface Desired {
  status: InferenceServiceStatus;
  events: EventRecord[];
}

type ConditionStatus = Condition['status'];

function failureOf(role: ServingRole, r: RoleResolution | undefined): string | undefined {
  if (!r || r.resolved) return undefined;
  const keeps = r.kept ? `; ${r.kept.modelVersion} keeps serving` : '; nothing is served';
  return `${role}: ${r.message}${keeps}`;
}

function progress(role: ServingRole, o: RoleObservation): string {
  const r = o.rollout;
  if (!r) return `${o.served.modelVersion} (${role}): no Deployment`;
  const old = r.replicas - r.updated;
  return `${o.served.modelVersion} (${role}): ${r.updated} of ${r.desired} replicas updated, ${r.available} available${
    old > 0 ? `, ${old} of the previous version left` : ''
  }`;
}

function serving(obs: ServingObservation): string {
  const parts: string[] = [];
  for (const role of SERVING_ROLES) {
    const o = obs.roles[role];
    if (!o) continue;
    const n = o.rollout?.desired ?? 0;
    parts.push(
      role === 'primary'
        ? `${o.served.modelVersion} serves on ${n} replica${n === 1 ? '' : 's'}`
        : `canary ${o.served.modelVersion} on ${n} (${obs.canaryPercent}% of the replicas)`,
    );
  }
  return parts.join('; ');
}

function autoscalingCondition(
  isvc: InferenceService,
  plan: AutoscalingPlan,
): [ConditionStatus, string, string] | undefined {
  const a = isvc.spec.autoscaling;
  if (!a || plan.mode === 'fixed-replicas') return undefined;
  if (plan.mode === 'unavailable')
    return [
      'False',
      REASONS.ConcurrencyMetricUnavailable,
      `targetConcurrency needs a custom metrics adapter that serves ${IN_FLIGHT_METRIC} as a Pods metric (the operator runs with --custom-metrics-adapter=false); the primary runs minReplicas (${plan.minReplicas}) replicas meanwhile`,
    ];
  const target =
    plan.metric === 'cpu'
      ? `${a.targetCPUUtilization}% CPU utilization`
      : `${a.targetConcurrency} requests in flight per replica`;
  return [
    'True',
    REASONS.HorizontalPodAutoscaler,
    `a HorizontalPodAutoscaler scales the primary between ${plan.minReplicas} and ${plan.maxReplicas} replicas at ${target}`,
  ];
}

function predictionLogCondition(
  isvc: InferenceService,
  secrets: SecretsState,
): [ConditionStatus, string, string] | undefined {
  const log = isvc.spec.predictionLog;
  if (!log) return undefined;
  const problem = secrets.problems.find((p) => p.field === 'predictionLog');
  if (problem) return ['False', problem.reason, problem.message];
  if (secrets.inputImagesNotStored)
    return ['False', REASONS.InputImagesNotStored, `predictions are logged; ${secrets.inputImagesNotStored}`];
  const table = log.table ?? 'predictions';
  return [
    'True',
    REASONS.Logging,
    `predictions are logged to table ${table}${secrets.inputImageStore ? ', with their input images stored' : ''}`,
  ];
}

/** Appends and closes history periods; returns the Events of the periods that began. */
function updateHistory(
  history: NonNullable<InferenceServiceStatus['history']>,
  obs: ServingObservation,
  at: string,
): EventRecord[] {
  const events: EventRecord[] = [];
  for (const role of SERVING_ROLES) {
    const o = obs.roles[role];
    const open = history.filter((h) => h.role === role && h.to === undefined);
    if (!o) {
      // The role is gone (the canary removed): its Pods are stopping now.
      for (const h of open) h.to = at;
      continue;
    }
    if (!open.some((h) => h.modelVersion === o.served.modelVersion)) {
      const replacing = open.map((h) => h.modelVersion);
      history.push({ modelVersion: o.served.modelVersion, version: o.served.version, role, from: at });
      events.push({
        type: 'Normal',
        reason: EVENT_REASONS.RolloutStarted,
        action: 'Rollout',
        note:
          role === 'primary'
            ? `Rolling out ${o.served.modelVersion} to the primary${replacing.length > 0 ? `, replacing ${replacing.join(', ')}` : ''}`
            : `Rolling out ${o.served.modelVersion} as the canary at ${obs.canaryPercent}% of the replicas${replacing.length > 0 ? `, replacing ${replacing.join(', ')}` : ''}`,
      });
    }
    // Versions replaced stop serving once no Pod of theirs is left.
    if (o.rollout?.complete) for (const h of open) if (h.modelVersion !== o.served.modelVersion) h.to = at;
  }
  while (history.length > MAX_HISTORY) {
    const oldestClosed = history.findIndex((h) => h.to !== undefined);
    if (oldestClosed < 0) break;
    history.splice(oldestClosed, 1);
  }
  return events;
}

export function desiredStatus(isvc: InferenceService, obs: ServingObservation, now: Date): Desired {
  const previous = isvc.status ?? {};
  const generation = isvc.metadata.generation ?? 0;
  const at = kubeTime(now);
  const events: EventRecord[] = [];
  let conditions: Condition[] = previous.conditions ?? [];
  const set = (type: string, status: ConditionStatus, reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status, reason, message, observedGeneration: generation },
      now,
    );
  };

  // ModelResolved
  const failures = [
    failureOf('primary', obs.resolution.primary),
    failureOf('canary', obs.resolution.canary),
  ].filter((f) => f !== undefined);
  const failedReason = [obs.resolution.primary, obs.resolution.canary].find((r) => r && !r.resolved);
  const resolved = failures.length === 0;
  if (resolved) {
    const parts = SERVING_ROLES.map(
      (role) => obs.roles[role] && `${role} ${obs.roles[role]?.served.modelVersion}`,
    )
      .filter((p) => p)
      .join(', ');
    set(
      CONDITION_MODEL_RESOLVED,
      'True',
      REASONS.Resolved,
      `resolved to ${parts}${obs.resolution.canaryNote ? `; ${obs.resolution.canaryNote}` : ''}`,
    );
  } else {
    set(
      CONDITION_MODEL_RESOLVED,
      'False',
      (failedReason as Extract<RoleResolution, { resolved: false }>).reason,
      failures.join('; '),
    );
  }
  const before = findCondition(previous.conditions, CONDITION_MODEL_RESOLVED);
  const after = findCondition(conditions, CONDITION_MODEL_RESOLVED) as Condition;
  if (after.status === 'False' && (before?.status !== 'False' || before.reason !== after.reason))
    events.push({ type: 'Warning', reason: after.reason, action: 'Resolve', note: after.message });

  // Progressing and Ready
  const observed = SERVING_ROLES.flatMap((role) => {
    const o = obs.roles[role];
    return o ? [{ role, o }] : [];
  });
  const failing = observed.find(({ o }) => o.failure && !o.rollout?.complete);
  const stalled = observed.find(({ o }) => o.rollout?.deadlineExceeded && !o.rollout.complete);
  const incomplete = observed.filter(({ o }) => !o.rollout?.complete);
  const primary = obs.roles.primary;
  let progressing: [ConditionStatus, string, string];
  if (!primary) {
    progressing = ['False', REASONS.ModelNotResolved, 'nothing to roll out: no version resolved yet'];
  } else if (failing?.o.failure) {
    const f = failing.o.failure;
    progressing = [
      'False',
      REASONS.ServerFailing,
      `${failing.o.served.modelVersion} (${failing.role}) does not start: Pod ${f.pod} exited with code ${f.exitCode} (${f.restarts} restarts): ${f.message}`,
    ];
  } else if (stalled) {
    progressing = [
      'False',
      REASONS.ProgressDeadlineExceeded,
      `the rollout made no progress within the Deployment's deadline: ${progress(stalled.role, stalled.o)}`,
    ];
  } else if (incomplete.length > 0) {
    progressing = ['True', REASONS.RollingOut, incomplete.map(({ role, o }) => progress(role, o)).join('; ')];
  } else {
    progressing = [
      'False',
      REASONS.RolloutFinished,
      `every replica runs the resolved version: ${serving(obs)}`,
    ];
  }
  set(CONDITION_PROGRESSING, ...progressing);

  let ready: [ConditionStatus, string, string];
  const secretProblem = obs.secrets.problems[0];
  if (!obs.serverImageConfigured) {
    ready = [
      'False',
      REASONS.ServerImageNotConfigured,
      'the operator was started without --inference-server-image, so nothing can serve',
    ];
  } else if (secretProblem) {
    ready = ['False', secretProblem.reason, secretProblem.message];
  } else if (!primary) {
    ready = [
      'False',
      failedReason
        ? (failedReason as Extract<RoleResolution, { resolved: false }>).reason
        : REASONS.ModelNotResolved,
      failures.join('; ') || 'no version to serve',
    ];
  } else if (obs.namesInUse.length > 0) {
    ready = [
      'False',
      REASONS.NameInUse,
      `${obs.namesInUse.join(', ')} already exist${obs.namesInUse.length === 1 ? 's' : ''} and belong${obs.namesInUse.length === 1 ? 's' : ''} to another owner; rename the InferenceService or remove them`,
    ];
  } else if (
    progressing[1] === REASONS.ServerFailing ||
    progressing[1] === REASONS.ProgressDeadlineExceeded
  ) {
    ready = ['False', progressing[1], progressing[2]];
  } else if (!resolved) {
    ready = ['False', REASONS.ModelNotResolved, failures.join('; ')];
  } else if ((primary.rollout?.desired ?? 0) === 0) {
    ready = ['False', REASONS.ScaledToZero, 'replicas is 0: nothing serves'];
  } else if (incomplete.length > 0) {
    ready = ['False', REASONS.RollingOut, progressing[2]];
  } else {
    ready = ['True', REASONS.Serving, serving(obs)];
  }
  set(CONDITION_READY, ...ready);
  const readyBefore = findCondition(previous.conditions, CONDITION_READY);
  if (ready[1] === REASONS.ServerFailing && readyBefore?.reason !== REASONS.ServerFailing)
    events.push({ type: 'Warning', reason: REASONS.ServerFailing, action: 'Rollout', note: ready[2] });

  const progressingBefore = findCondition(previous.conditions, CONDITION_PROGRESSING);
  if (progressingBefore?.status === 'True' && progressing[1] === REASONS.RolloutFinished)
    events.push({
      type: 'Normal',
      reason: EVENT_REASONS.RolloutFinished,
      action: 'Rollout',
      note: `Rollout finished: ${serving(obs)}`,
    });

  const optional: [string, [ConditionStatus, string, string] | undefined][] = [
    [CONDITION_AUTOSCALING, autoscalingCondition(isvc, obs.autoscaling)],
    [CONDITION_PREDICTION_LOG, predictionLogCondition(isvc, obs.secrets)],
  ];
  for (const [type, condition] of optional) {
    if (condition) set(type, ...condition);
    else conditions = conditions.filter((c) => c.type !== type);
  }

  const history = structuredClone(previous.history ?? []);
  events.unshift(...updateHistory(history, obs, at));

  const status: InferenceServiceStatus = { observedGeneration: generation };
  if (primary) status.primary = { ...primary.served };
  const canary = obs.roles.canary;
  if (canary && obs.canaryPercent !== undefined)
    status.canary = { ...canary.served, percent: obs.canaryPercent };
  status.url = obs.url;
  status.selector = obs.selector;
  status.replicas = observed.reduce((n, { o }) => n + (o.rollout?.replicas ?? 0), 0);
  status.readyReplicas = observed.reduce((n, { o }) => n + (o.rollout?.ready ?? 0), 0);
  if (history.length > 0) status.history = history;
  status.conditions = conditions;
  return { status, events };
}
