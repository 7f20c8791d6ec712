-- Argo CD health of a Bosun TrainingRun (bosun.dev/v1alpha1), from its Succeeded condition.
-- Healthy: the ModelVersion is registered and verified. Degraded: the run failed (JobFailed,
-- DeadlineExceeded, ArtifactInvalid, and any other reason), or it cannot start for a reason nothing
-- in the Application fixes (TrainerImageNotConfigured, StoreCredentialsRefused). A finished run is
-- final, so it is Healthy or Degraded and never Progressing.
-- Progressing: not reported on yet, Pending, Running, Registering, or waiting for its Dataset or
-- snapshot to exist (DatasetNotFound, SnapshotNotFound: GitOps applies objects in any order and a
-- snapshot may be named before it is built; a Degraded resource would fail the sync meanwhile).
-- Uses only the libraries Argo CD loads for argocd-cm scripts (no string library).

local WAITING_FOR_INPUT = { DatasetNotFound = true, SnapshotNotFound = true }

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
    return "Waiting for the Bosun operator to report the Succeeded condition"
  end
  if generation ~= nil and summary.observedGeneration ~= nil and summary.observedGeneration ~= generation then
    return "Waiting for the Bosun operator to observe generation " .. generation
  end
  return nil
end

local succeeded = findCondition(obj.status, "Succeeded")
if succeeded ~= nil and succeeded.status == "True" then
  return { status = "Healthy", message = succeeded.message }
end
if succeeded ~= nil and succeeded.status == "False" and not WAITING_FOR_INPUT[succeeded.reason] then
  return { status = "Degraded", message = describe(succeeded) }
end
local waiting = notObserved(succeeded)
if waiting ~= nil then
  return { status = "Progressing", message = waiting }
end
return { status = "Progressing", message = describe(succeeded) }
