-- Argo CD health of a Bosun ModelVersion (bosun.dev/v1alpha1), from its Ready condition.
-- Healthy: the artifact exists, its sha256 matches and it loads as ONNX (the message adds the stage).
-- Progressing: the operator has not reported on this generation (a stage change) yet, or verifies.
-- Degraded: verification failed (ArtifactNotFound, DigestMismatch, InvalidModel, ...).
-- Uses only the libraries Argo CD loads for argocd-cm scripts (no string library).

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
  local stage = "none"
  if obj.spec ~= nil and obj.spec.stage ~= nil then
    stage = obj.spec.stage
  end
  return { status = "Healthy", message = ready.message .. "; stage " .. stage }
end
if ready.status ~= "False" then
  return { status = "Progressing", message = describe(ready) }
end
return { status = "Degraded", message = describe(ready) }
