{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "newswire.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; room is left for the "-poller"/"-worker" suffixes. */}}
{{- define "newswire.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 48 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The version that actually runs: the image tag when one is set, else the chart's appVersion.
A label value allows [A-Za-z0-9_.-] and 63 characters, so e.g. "+build" becomes "_build". */}}
{{- define "newswire.version" -}}
{{- default .Chart.AppVersion .Values.image.tag | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */}}
{{- define "newswire.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "newswire.selectorLabels" . }}
app.kubernetes.io/version: {{ include "newswire.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: newswire
{{- end }}

{{/* Topic and consumer-group names as newswire derives them (newswire/topics.py). */}}
{{- define "newswire.topic" -}}
{{- printf "%s%s" (toString (dig "topics" "prefix" "newswire." .root.Values.settings)) .role }}
{{- end }}

{{- define "newswire.selectorLabels" -}}
app.kubernetes.io/name: {{ include "newswire.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "newswire.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "newswire.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "newswire.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The pod template shared by pollers and workers. Call with
(dict "root" $ "component" "poller" "spec" .Values.poller).
*/}}
{{- define "newswire.podTemplate" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
metadata:
  labels:
    {{- include "newswire.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Roll the pods when settings or feeds change: they are read once at start.
    checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "newswire.serviceAccountName" $root }}
  # newswire never talks to the Kubernetes API.
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
  {{- with (default $values.priorityClassName .spec.priorityClassName) }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $values.initContainers }}
  initContainers:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "newswire.image" $root }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      args:
        {{- toYaml .spec.args | nindent 8 }}
      env:
        - name: NEWSWIRE_CONFIG
          value: /etc/newswire/newswire.yaml
        {{- if include "newswire.hasSettingsSecrets" $root }}
        # Settings from files (pydantic-settings secrets_dir): kafka__sasl_password -> kafka.sasl_password
        - name: NEWSWIRE_SECRETS_DIR
          value: /etc/newswire/secrets/settings
        {{- end }}
        {{- if $values.kafka.tls.existingSecret }}
        - name: NEWSWIRE_KAFKA__SSL_CAFILE
          value: /etc/newswire/secrets/tls/{{ $values.kafka.tls.caKey }}
        {{- end }}
        {{- with $values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with .spec.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.envFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: metrics
          containerPort: {{ $values.settings.metrics.port }}
          protocol: TCP
      startupProbe:
        httpGet: {path: /healthz, port: metrics}
        periodSeconds: {{ $values.probes.startup.periodSeconds }}
        failureThreshold: {{ $values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet: {path: /healthz, port: metrics}
        periodSeconds: {{ $values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet: {path: /readyz, port: metrics}
        periodSeconds: {{ $values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $values.probes.readiness.failureThreshold }}
      resources:
        {{- toYaml .spec.resources | nindent 8 }}
      securityContext:
        {{- toYaml $values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/newswire/newswire.yaml
          subPath: newswire.yaml
          readOnly: true
        - name: config
          mountPath: /etc/newswire/feeds.yaml
          subPath: feeds.yaml
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- if include "newswire.hasSettingsSecrets" $root }}
        - name: settings-secrets
          mountPath: /etc/newswire/secrets/settings
          readOnly: true
        {{- end }}
        {{- if $values.kafka.tls.existingSecret }}
        - name: tls
          mountPath: /etc/newswire/secrets/tls
          readOnly: true
        {{- end }}
        {{- with $values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "newswire.fullname" $root }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $values.tmpSizeLimit }}
    {{- if include "newswire.hasSettingsSecrets" $root }}
    - name: settings-secrets
      projected:
        defaultMode: 0440
        sources:
          {{- with $values.kafka.sasl.existingSecret }}
          - secret:
              name: {{ . }}
              items:
                - {key: {{ $values.kafka.sasl.usernameKey }}, path: kafka__sasl_username}
                - {key: {{ $values.kafka.sasl.passwordKey }}, path: kafka__sasl_password}
          {{- end }}
          {{- range $values.settingsSecrets }}
          - secret:
              name: {{ . }}
          {{- end }}
    {{- end }}
    {{- if $values.kafka.tls.existingSecret }}
    - name: tls
      secret:
        secretName: {{ $values.kafka.tls.existingSecret }}
        defaultMode: 0444
        items:
          - {key: {{ $values.kafka.tls.caKey }}, path: {{ $values.kafka.tls.caKey }}}
    {{- end }}
    {{- with $values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .spec.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .spec.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .spec.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .spec.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    - {{- toYaml (omit . "labelSelector") | nindent 6 }}
      labelSelector:
        {{- if .labelSelector }}
        {{- toYaml .labelSelector | nindent 8 }}
        {{- else }}
        matchLabels:
          {{- include "newswire.selectorLabels" $root | nindent 10 }}
          app.kubernetes.io/component: {{ $.component }}
        {{- end }}
    {{- end }}
  {{- end }}
{{- end }}

{{/* Non-empty when some Secret is mounted as settings files. */}}
{{- define "newswire.hasSettingsSecrets" -}}
{{- if or .Values.kafka.sasl.existingSecret .Values.settingsSecrets }}true{{ end }}
{{- end }}

{{/* Fail the render, not the rollout, when a drain could be SIGKILLed midway. */}}
{{- define "newswire.validate" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.settings.shutdown_timeout_s) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be longer than settings.shutdown_timeout_s (%v)" .Values.terminationGracePeriodSeconds .Values.settings.shutdown_timeout_s) }}
{{- end }}
{{- if and .Values.kafka.sasl.existingSecret (not (hasPrefix "SASL_" (toString (dig "kafka" "security_protocol" "" .Values.settings)))) }}
{{- fail "kafka.sasl.existingSecret is set: settings.kafka.security_protocol must be SASL_SSL or SASL_PLAINTEXT" }}
{{- end }}
{{- if and .Values.poller.enabled (empty .Values.feeds) }}
{{- fail "feeds is empty: a poller with no feeds polls nothing. Give the feed list (-f my-feeds.yaml with feeds: [{url: ...}], or --set-json 'feeds=[{\"url\":\"https://...\"}]'), or set poller.enabled=false to deploy workers only" }}
{{- end }}
{{- if and .Values.worker.hpa.enabled .Values.worker.keda.enabled }}
{{- fail "worker.hpa.enabled and worker.keda.enabled are both true: KEDA creates its own HPA for the workers; set worker.hpa.enabled=false to scale with KEDA" }}
{{- end }}
{{- end }}

{{/* The components this release deploys, space-separated. */}}
{{- define "newswire.components" -}}
{{- if .Values.poller.enabled }}poller {{ end }}worker
{{- end }}
