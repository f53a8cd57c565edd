{{/*
Names. fullname: the release name when it contains the chart's name ("sluice" gives the names of the
Kustomize base: sluice-autodeploy, …), else "<release>-sluice"; 40 characters at most so that
"<fullname>-kube-applier-deployer" stays a valid name.
*/}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The processes the image runs (deploy/docker/entrypoint.sh), in order. */}}
{{- define "sluice.processes" -}}
webhook-ingest repo-sync autodeploy kube-applier commit-status dashboard-server
{{- end }}

{{/* Labels of every object. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* Labels of one process's objects: (dict "ctx" $ "process" "autodeploy") */}}
{{- define "sluice.componentLabels" -}}
{{ include "sluice.labels" .ctx }}
app.kubernetes.io/component: {{ .process }}
{{- end }}

{{/* The selector of one process's pods. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .process }}
{{- end }}

{{- define "sluice.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if hasPrefix "sha256:" $tag }}
{{- printf "%s@%s" .Values.image.repository $tag }}
{{- else if hasPrefix "@" $tag }}
{{- printf "%s%s" .Values.image.repository $tag }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* Whether a process calls the Kubernetes API (ServiceAccount token, RBAC): as deploy/rbac. */}}
{{- define "sluice.callsApi" -}}
{{- if has . (list "kube-applier" "commit-status") }}true{{ end }}
{{- end }}

{{/*
The secret settings each process reads (its config schema, libs/<service>/src/<service>.config.ts),
in the order they are listed. DATABASE_URL and KAFKA_SASL_PASSWORD are added for every process but
the dashboard server (postgres, kafka.sasl).
*/}}
{{- define "sluice.secretVars" -}}
{{- $vars := dict
  "webhook-ingest" (list "GITHUB_WEBHOOK_SECRET" "GITLAB_WEBHOOK_TOKEN" "BITBUCKET_WEBHOOK_SECRET" "BITBUCKET_TOKEN")
  "repo-sync" (list "SLUICE_ADMIN_TOKEN" "GITHUB_TOKEN" "GITHUB_APP_ID" "GITHUB_APP_PRIVATE_KEY" "GITLAB_TOKEN" "BITBUCKET_TOKEN")
  "autodeploy" (list "SLUICE_ADMIN_TOKEN" "SLACK_BOT_TOKEN" "SLACK_SIGNING_SECRETS")
  "kube-applier" (list "SLUICE_ADMIN_TOKEN" "GITHUB_TOKEN" "GITHUB_APP_ID" "GITHUB_APP_PRIVATE_KEY" "ARGOCD_TOKEN" "SLUICE_REGISTRY_CREDENTIALS")
  "commit-status" (list "SLUICE_ADMIN_TOKEN" "GITHUB_TOKEN" "GITHUB_APP_ID" "GITHUB_APP_PRIVATE_KEY" "GITHUB_APP_INSTALLATION_ID" "GITLAB_TOKEN" "BITBUCKET_TOKEN")
  "dashboard-server" (list) }}
{{- join " " (get $vars .) }}
{{- end }}

{{/* One env entry from a Secret: (dict "name" VAR "secret" NAME "key" KEY "optional" BOOL) */}}
{{- define "sluice.secretEnvEntry" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end }}

{{/* The env entries of one process's secrets: (dict "ctx" $ "process" NAME) */}}
{{- define "sluice.secretEnv" -}}
{{- $v := .ctx.Values }}
{{- if ne .process "dashboard-server" }}
{{ include "sluice.secretEnvEntry" (dict "name" "DATABASE_URL" "secret" (default $v.secrets.existingSecret $v.postgres.existingSecret) "key" $v.postgres.urlKey) }}
{{- if $v.kafka.sasl.mechanism }}
{{ include "sluice.secretEnvEntry" (dict "name" "KAFKA_SASL_PASSWORD" "secret" (default $v.secrets.existingSecret $v.kafka.sasl.existingSecret) "key" $v.kafka.sasl.passwordKey) }}
{{- end }}
{{- end }}
{{- range $var := splitList " " (include "sluice.secretVars" .process) }}
{{- if $var }}
{{- $ref := get $v.secrets.env $var }}
{{- if kindIs "map" $ref }}
{{ include "sluice.secretEnvEntry" (dict "name" $var "secret" (default $v.secrets.existingSecret $ref.secret) "key" (default $var $ref.key) "optional" $ref.optional) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* SLUICE_SERVICE_URLS of the dashboard server: the Services of the four API services. */}}
{{- define "sluice.serviceUrls" -}}
{{- $urls := list }}
{{- range $s := list "autodeploy" "repo-sync" "kube-applier" "commit-status" }}
{{- $urls = append $urls (printf "%s=http://%s-%s.%s.svc:%d" $s (include "sluice.fullname" $) $s $.Release.Namespace (int $.Values.service.port)) }}
{{- end }}
{{- join "," $urls }}
{{- end }}
