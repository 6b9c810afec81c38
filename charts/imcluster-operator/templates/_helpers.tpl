{{/* Names and labels. */}}
{{- define "imcluster-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "imcluster-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "imcluster-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "imcluster-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "imcluster-operator.labels" -}}
{{ include "imcluster-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: imcluster
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "imcluster-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "imcluster-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "imcluster-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "imcluster-operator.brokerImage" -}}
{{- default (printf "imcluster/broker:%s" .Chart.AppVersion) .Values.managedImages.broker -}}
{{- end -}}

{{/*
Permissions on the objects the operator owns, in the namespaces it watches: exactly the kinds and verbs its code
uses (ChartRbacTest derives them from the operator's classes and compares them with this chart). Granted by a
ClusterRole for a cluster-wide watch, or by a Role in each watched namespace.
- pubsubclusters: the controller's informer (list, watch) and a re-read on a conflicting status patch (get); the
  status is only ever patched (server-side apply, or a JSON patch with IMCLUSTER_SSA=false); finalizers/update
  because owned objects carry blockOwnerDeletion (OwnerReferencesPermissionEnforcement).
- owned kinds: an informer each (list, watch), the ownership check before creating (get), create (server-side
  apply of a new object is a patch that creates: patch and create), update (a plain PUT with IMCLUSTER_SSA=false),
  delete (a dependent switched off, a surplus object of a bulk dependent). Generated passwords and tokens are
  never updated; the internal TLS Secrets (spec.tls.internal) are, when certificates rotate.
- pods: listed during a backend swap (logic's config hash, job's pod IPs); events: created on transitions;
  servicemonitors: no informer (the CRD may be absent), read, created, replaced and deleted one by one.
*/}}
{{- define "imcluster-operator.workloadRules" -}}
- apiGroups: [pubsub.imcluster.dev]
  resources: [pubsubclusters]
  verbs: [get, list, watch]
- apiGroups: [pubsub.imcluster.dev]
  resources: [pubsubclusters/status]
  verbs: [patch]
- apiGroups: [pubsub.imcluster.dev]
  resources: [pubsubclusters/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [configmaps, services, serviceaccounts]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [apps]
  resources: [deployments, statefulsets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [monitoring.coreos.com]
  resources: [servicemonitors]
  verbs: [get, create, update, delete]
- apiGroups: [cert-manager.io]
  resources: [certificates]
  verbs: [get, create, update, delete]
{{- end -}}

{{/* metrics.serviceMonitor.labels as k=v,k2=v2 (sorted), for the ServiceMonitors the operator creates. */}}
{{- define "imcluster-operator.serviceMonitorLabels" -}}
{{- $pairs := list -}}
{{- range $k, $v := .Values.metrics.serviceMonitor.labels -}}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/*
The operator's environment. The names are the operator's contract (dev.imcluster.operator); keep them in one
place.
*/}}
{{- define "imcluster-operator.env" -}}
- name: IMCLUSTER_WATCH_NAMESPACES
  value: {{ join "," .Values.watchNamespaces | quote }}
- name: IMCLUSTER_BROKER_IMAGE
  value: {{ include "imcluster-operator.brokerImage" . | quote }}
- name: IMCLUSTER_REDIS_IMAGE
  value: {{ .Values.managedImages.redis | quote }}
- name: IMCLUSTER_NATS_IMAGE
  value: {{ .Values.managedImages.nats | quote }}
- name: IMCLUSTER_MOSQUITTO_IMAGE
  value: {{ .Values.managedImages.mosquitto | quote }}
- name: IMCLUSTER_HTTP_PORT
  value: {{ .Values.httpPort | quote }}
- name: IMCLUSTER_LEADER_ELECTION
  value: {{ .Values.leaderElection | quote }}
- name: IMCLUSTER_LEASE_NAME
  value: {{ include "imcluster-operator.fullname" . | quote }}
- name: IMCLUSTER_RECONCILE_THREADS
  value: {{ .Values.reconcileThreads | quote }}
- name: IMCLUSTER_SERVICE_MONITOR_LABELS
  value: {{ include "imcluster-operator.serviceMonitorLabels" . | quote }}
- name: IMCLUSTER_LOG_FORMAT
  value: {{ ternary "json" "text" .Values.logging.json | quote }}
- name: IMCLUSTER_LOG_LEVEL
  value: {{ .Values.logging.level | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef: {fieldPath: metadata.namespace}
- name: JAVA_TOOL_OPTIONS
  value: {{ .Values.jvmOptions | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
