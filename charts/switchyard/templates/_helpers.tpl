{{/*
Chart name, truncated to the 63 characters a DNS label allows.
*/}}
{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name; the release name is not repeated when it already contains the chart name.
*/}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "switchyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: name and instance only, because selectors are immutable.
*/}}
{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "switchyard.labels" -}}
helm.sh/chart: {{ include "switchyard.chart" . }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: switchyard
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels of the gateway (component gateway) and of the built-in Redis (component redis).
*/}}
{{- define "switchyard.gatewayLabels" -}}
{{ include "switchyard.labels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "switchyard.gatewaySelectorLabels" -}}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "switchyard.redisFullname" -}}
{{- printf "%s-redis" (include "switchyard.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "switchyard.redisSelectorLabels" -}}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "switchyard.redisLabels" -}}
{{ include "switchyard.labels" . }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "switchyard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Names of the Secret and ConfigMaps rendered by the chart.
*/}}
{{- define "switchyard.secretName" -}}
{{- include "switchyard.fullname" . }}
{{- end }}

{{- define "switchyard.settingsConfigMapName" -}}
{{- include "switchyard.fullname" . }}
{{- end }}

{{- define "switchyard.generatedSecretName" -}}
{{- printf "%s-generated" (include "switchyard.fullname" . | trunc 53 | trimSuffix "-") }}
{{- end }}

{{/*
"true" when a credential is a known placeholder (the values the examples ship and the usual template
values); the gateway refuses the same list unless SWITCHYARD_ALLOW_DEMO_KEYS is set.
*/}}
{{- define "switchyard.isPlaceholder" -}}
{{- $v := lower (trim (toString .)) }}
{{- if or (regexMatch "^(change[-_]?me|replace[-_]?me|demo-key|demo-admin|<|[$][{])" $v) (has $v (list "admin" "apikey" "api-key" "api_key" "changeit" "default" "demo" "example" "key" "pass" "password" "placeholder" "secret" "test" "todo" "token" "xxx" "your-api-key" "your-key")) }}true{{ end }}
{{- end }}

{{- define "switchyard.routesConfigMapName" -}}
{{- printf "%s-routes" (include "switchyard.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/*
Where the credentials come from. Each helper prints "true" or nothing.
*/}}
{{- define "switchyard.inlineAccounts" -}}
{{- if not .Values.accounts.existingSecret }}true{{ end }}
{{- end }}

{{- define "switchyard.inlineApiKeys" -}}
{{- if and (not .Values.apiKeys.existingSecret) .Values.apiKeys.keys }}true{{ end }}
{{- end }}

{{- define "switchyard.hasApiKeys" -}}
{{- if or .Values.apiKeys.existingSecret .Values.apiKeys.keys }}true{{ end }}
{{- end }}

{{- define "switchyard.inlineAdminKey" -}}
{{- if and (not .Values.adminKey.existingSecret) .Values.adminKey.value }}true{{ end }}
{{- end }}

{{- define "switchyard.hasAdminKey" -}}
{{- if or .Values.adminKey.existingSecret .Values.adminKey.value }}true{{ end }}
{{- end }}

{{- define "switchyard.inlineRedisURL" -}}
{{- if and (not .Values.redis.existingSecret) .Values.redis.url }}true{{ end }}
{{- end }}

{{- define "switchyard.hasSharedRedis" -}}
{{- if or .Values.redis.url .Values.redis.existingSecret .Values.redis.builtin.enabled }}true{{ end }}
{{- end }}

{{/*
The chart renders a Secret only for data given inline in values.
*/}}
{{- define "switchyard.renderSecret" -}}
{{- if or (include "switchyard.inlineAccounts" .) (include "switchyard.inlineApiKeys" .) (include "switchyard.inlineAdminKey" .) (include "switchyard.inlineRedisURL" .) }}true{{ end }}
{{- end }}

{{/*
The most pods that can run at once, and the fewest that are planned for, used by the Redis and PDB checks.
*/}}
{{- define "switchyard.maxPods" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.maxReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{- define "switchyard.minPods" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
Cross-field checks that a JSON schema cannot express. Included from the Deployment, so they run on
every render; each failure names the values to change.
*/}}
{{- define "switchyard.validate" -}}
{{- if and (gt (int (include "switchyard.maxPods" .)) 1) (not (include "switchyard.hasSharedRedis" .)) }}
{{- fail "switchyard: more than one gateway replica (replicaCount > 1 or autoscaling.enabled) needs a shared Redis: set redis.url, redis.existingSecret or redis.builtin.enabled=true. Without one, each replica would use its own embedded store and sticky sessions, cooldowns and admin changes would not be shared." }}
{{- end }}
{{- if and .Values.redis.persistence.enabled (not .Values.redis.builtin.enabled) }}
{{- fail "switchyard: redis.persistence.enabled applies to the built-in Redis (redis.builtin.enabled=true); configure persistence on an external Redis itself." }}
{{- end }}
{{- if and .Values.redis.builtin.enabled (or .Values.redis.url .Values.redis.existingSecret) }}
{{- fail "switchyard: redis.builtin.enabled is set together with redis.url or redis.existingSecret; choose one Redis." }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "switchyard: autoscaling.minReplicas must not exceed autoscaling.maxReplicas." }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not (kindIs "invalid" .Values.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" .Values.podDisruptionBudget.maxUnavailable)) }}
{{- fail "switchyard: set only one of podDisruptionBudget.minAvailable and podDisruptionBudget.maxUnavailable (set the other to null)." }}
{{- end }}
{{- if not .Values.allowDemoKeys }}
{{- range .Values.apiKeys.keys }}
{{- if include "switchyard.isPlaceholder" . }}
{{- fail "switchyard: apiKeys.keys holds a known placeholder (such as demo-key or CHANGE-ME-...); set real client keys, or allowDemoKeys=true for a demo." }}
{{- end }}
{{- end }}
{{- if include "switchyard.isPlaceholder" .Values.adminKey.value }}
{{- fail "switchyard: adminKey.value is a known placeholder (such as demo-admin or CHANGE-ME-...); set a real admin key, or allowDemoKeys=true for a demo." }}
{{- end }}
{{- end }}
{{- if and .Values.secretsKey.previousExistingSecretKey (not .Values.secretsKey.existingSecret) }}
{{- fail "switchyard: secretsKey.previousExistingSecretKey needs secretsKey.existingSecret (previous keys are read from that Secret)." }}
{{- end }}
{{- if eq (int .Values.service.port) (int .Values.service.adminPort) }}
{{- fail "switchyard: service.port and service.adminPort must differ." }}
{{- end }}
{{- end }}
