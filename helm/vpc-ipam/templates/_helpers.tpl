{{/* The release's full name, at most 63 characters (a DNS label). */}}
{{- define "vpc-ipam.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vpc-ipam.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vpc-ipam.labels" -}}
{{ include "vpc-ipam.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "vpc-ipam.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vpc-ipam.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vpc-ipam.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{- define "vpc-ipam.socket" -}}
{{ .Values.host.runDir }}/ipamd.sock
{{- end -}}

{{- /*
The plugin's host veth prefix: aws-node's AWS_VPC_K8S_CNI_VETHPREFIX from extraEnv wins over network.vethPrefix
(an alias never loses to a chart value); empty when neither is set, so the conflist leaves the plugin's default.
*/ -}}
{{- define "vpc-ipam.vethPrefix" -}}
{{- $prefix := .Values.network.vethPrefix -}}
{{- range .Values.extraEnv -}}
{{- if and (eq .name "AWS_VPC_K8S_CNI_VETHPREFIX") .value -}}
{{- $prefix = .value -}}
{{- end -}}
{{- end -}}
{{- $prefix -}}
{{- end -}}

{{- /* One ipamd variable (dict: name, value, aliases, extra), left out when extraEnv names it or one of its aliases
(ipamd reads the chart's name first, so a rendered default would shadow the alias the user set). */ -}}
{{- define "vpc-ipam.env" -}}
{{- $skip := false -}}
{{- range (prepend (default list .aliases) .name) -}}
{{- if has . $.extra }}{{ $skip = true }}{{ end -}}
{{- end -}}
{{- /* an empty value is left out, not rendered as "": the API server drops value: "" and every kubectl apply
       (or GitOps sync) would then see a change to make; ipamd reads an unset and an empty variable alike */ -}}
{{- if and (not $skip) (ne (.value | toString) "") -}}
- {name: {{ .name }}, value: {{ .value | toString | quote }}}
{{- end -}}
{{- end -}}
