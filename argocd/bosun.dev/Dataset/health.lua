-- Argo CD health of a Bosun Dataset (bosun.dev/v1alpha1), from its Ready condition.
-- Healthy: a snapshot that passed its quality gates exists and collection works as specified.
-- Progressing: the operator has not reported on this generation yet, or the first snapshot is awaited.
-- Degraded: a spec the operator refuses, a failing collection or snapshot build, a store error, or
-- snapshots that all fail their quality gates.
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
  return { status = "Healthy", message = ready.message }
end
if ready.status ~= "False" then
  return { status = "Progressing", message = describe(ready) }
end
if ready.reason == "AwaitingSnapshot" then
  -- No snapshot yet: on its way, unless every snapshot built so far failed its quality gates.
  local snapshots = findCondition(obj.status, "SnapshotsHealthy")
  if snapshots ~= nil and snapshots.status == "False" then
    return { status = "Degraded", message = describe(ready) }
  end
  return { status = "Progressing", message = describe(ready) }
end
return { status = "Degraded", message = describe(ready) }
