{{/*
Names. A release whose name contains "bosun" is the prefix as it is (release bosun: bosun-operator,
bosun-view, ... — the names config/default uses); any other is followed by "-bosun".
*/}}
{{- define "bosun.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bosun.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 54 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 54 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The operator's Deployment, Service, ClusterRole, Role, bindings and Lease. */}}
{{- define "bosun.operatorName" -}}
{{- printf "%s-operator" (include "bosun.fullname" .) -}}
{{- end -}}

{{- define "bosun.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "bosun.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "bosun.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bosun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* On every object of the chart. */}}
{{- define "bosun.labels" -}}
app.kubernetes.io/name: {{ include "bosun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "bosun.operatorLabels" -}}
{{ include "bosun.labels" . }}
app.kubernetes.io/component: operator
{{- end -}}

{{/*
An image reference from {registry, repository, tag, digest}: the digest wins over the tag, and the
tag defaults to image.tag, then to the chart's appVersion (all four images are released together).
Call with (dict "image" .Values.x.image "root" $).
*/}}
{{- define "bosun.image" -}}
{{- $registry := .root.Values.image.registry -}}
{{- $repository := .image.repository -}}
{{- if $registry -}}{{- $repository = printf "%s/%s" (trimSuffix "/" $registry) $repository -}}{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The store credentials Secret the operator and its Jobs read. */}}
{{- define "bosun.storeSecretName" -}}
{{- if .Values.store.existingSecret -}}
{{- .Values.store.existingSecret -}}
{{- else -}}
{{- printf "%s-store" (include "bosun.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Rules values.schema.json cannot say with a readable message: which store credentials are used.
Included by every template that depends on them.
*/}}
{{- define "bosun.validate" -}}
{{- $s := .Values.store -}}
{{- if and $s.existingSecret (or $s.accessKeyId $s.secretAccessKey) -}}
{{- fail "store: set either store.existingSecret or (for evaluation only) store.accessKeyId and store.secretAccessKey with store.existingSecret=\"\", not both" -}}
{{- end -}}
{{- if and (not $s.existingSecret) (not (and $s.accessKeyId $s.secretAccessKey)) -}}
{{- fail "store: store.existingSecret is empty, so store.accessKeyId and store.secretAccessKey are both required (for evaluation only; use a Secret of your own otherwise)" -}}
{{- end -}}
{{- end -}}
