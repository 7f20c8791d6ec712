-- Argo CD health of a Bosun InferenceService (bosun.dev/v1alpha1), from its Ready, Progressing and
-- ModelResolved conditions.
-- Healthy: the resolved version(s) serve on every replica asked for. The optional Autoscaling and
-- PredictionLog conditions do not change that (serving works; a False one's reason is appended).
-- Progressing: not reported on yet, rolling out, or waiting for the model it names to exist or be
-- Ready (ModelVersionNotFound, ModelVersionNotReady, NoReadyVersionInStage: a TrainingRun or a
-- promotion brings it; what served before keeps serving meanwhile).
-- Suspended: replicas is 0. Degraded: anything else that keeps it from serving as specified
-- (ServerFailing, ProgressDeadlineExceeded, SecretNotFound, NameInUse, ModelVersionDeleting, ...).
-- Uses only the libraries Argo CD loads for argocd-cm scripts (no string library).

local WAITING_FOR_MODEL = { ModelVersionNotFound = true, ModelVersionNotReady = true, NoReadyVersionInStage = true }
local OPTIONAL_CONDITIONS = { "Autoscaling", "PredictionLog" }

local function findCondition(status, conditionType)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

local function describe(condition)
  local reason = condition.reason or condition.status
  if condition.message == nil or condition.message == "" then
    return reason
  end
  return reason .. ": " .. condition.message
end

-- Why the status does not speak for the current spec yet, or nil when it does.
local function notObserved(summary)
  local generation = obj.metadata.generation
  if obj.status == nil then
    return "Waiting for the Bosun operator to report a status"
  end
  if generation ~= nil and obj.status.observedGeneration ~= generation then
    return "Waiting for the Bosun operator to observe generation " .. generation
  end
  if summary == nil then
    return "Waiting for the Bosun operator to report the Ready condition"
  end
  if generation ~= nil and summary.observedGeneration ~= nil and summary.observedGeneration ~= generation then
    return "Waiting for the Bosun operator to observe generation " .. generation
  end
  return nil
end

local ready = findCondition(obj.status, "Ready")
local waiting = notObserved(ready)
if waiting ~= nil then
  return { status = "Progressing", message = waiting }
end
if ready.status == "True" then
  local message = ready.message
  for _, conditionType in ipairs(OPTIONAL_CONDITIONS) do
    local optional = findCondition(obj.status, conditionType)
    if optional ~= nil and optional.status == "False" then
      message = message .. "; " .. conditionType .. " False: " .. (optional.reason or "")
    end
  end
  return { status = "Healthy", message = message }
end
local progressing = findCondition(obj.status, "Progressing")
if progressing ~= nil and progressing.status == "True" then
  return { status = "Progressing", message = describe(progressing) }
end
if ready.status ~= "False" or ready.reason == "RollingOut" then
  return { status = "Progressing", message = describe(ready) }
end
if ready.reason == "ScaledToZero" then
  return { status = "Suspended", message = ready.message }
end
local resolved = findCondition(obj.status, "ModelResolved")
if resolved ~= nil and resolved.status == "False" and WAITING_FOR_MODEL[resolved.reason]
  and (ready.reason == resolved.reason or ready.reason == "ModelNotResolved") then
  return { status = "Progressing", message = describe(resolved) }
end
return { status = "Degraded", message = describe(ready) }
