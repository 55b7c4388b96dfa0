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

{{- define "newswire.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "newswire.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
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
    {{- include "newswire.selectorLabels" $root | nindent 4 }}
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
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
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
        {{- with $values.kafka.sasl.existingSecret }}
        - name: NEWSWIRE_KAFKA__SASL_USERNAME
          valueFrom:
            secretKeyRef: {name: {{ . }}, key: {{ $values.kafka.sasl.usernameKey }}}
        - name: NEWSWIRE_KAFKA__SASL_PASSWORD
          valueFrom:
            secretKeyRef: {name: {{ . }}, key: {{ $values.kafka.sasl.passwordKey }}}
        {{- end }}
        {{- if $values.kafka.tls.existingSecret }}
        - name: NEWSWIRE_KAFKA__SSL_CAFILE
          value: /etc/newswire/secrets/tls/{{ $values.kafka.tls.caKey }}
        {{- end }}
        {{- with .spec.extraEnv }}
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
        {{- if $values.kafka.tls.existingSecret }}
        - name: tls
          mountPath: /etc/newswire/secrets/tls
          readOnly: true
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "newswire.fullname" $root }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $values.tmpSizeLimit }}
    {{- if $values.kafka.tls.existingSecret }}
    - name: tls
      secret:
        secretName: {{ $values.kafka.tls.existingSecret }}
        defaultMode: 0444
        items:
          - {key: {{ $values.kafka.tls.caKey }}, path: {{ $values.kafka.tls.caKey }}}
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
{{- end }}

{{/* Fail the render, not the rollout, when a drain could be SIGKILLed midway. */}}
{{- define "newswire.validate" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.settings.shutdown_timeout_s) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be longer than settings.shutdown_timeout_s (%v)" .Values.terminationGracePeriodSeconds .Values.settings.shutdown_timeout_s) }}
{{- end }}
{{- if and .Values.kafka.sasl.existingSecret (not (hasPrefix "SASL_" (toString .Values.settings.kafka.security_protocol))) }}
{{- fail "kafka.sasl.existingSecret is set: settings.kafka.security_protocol must be SASL_SSL or SASL_PLAINTEXT" }}
{{- end }}
{{- end }}
