{{/* Name of the chart, or nameOverride. */}}
{{- define "watch-proxy.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of every object: fullnameOverride, the release name when it already holds the chart name, else both. */}}
{{- define "watch-proxy.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "watch-proxy.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "watch-proxy.selectorLabels" -}}
app.kubernetes.io/name: {{ include "watch-proxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "watch-proxy.labels" -}}
{{ include "watch-proxy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "watch-proxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "watch-proxy.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The config file the daemon reads: .Values.config, with leaderElection.enabled set in HA mode and the entries of
.Values.clusters appended to config.clusters (kubeconfig: the file of its mounted Secret, or in-cluster). YAML;
parse it with fromYaml to read keys.
*/}}
{{- define "watch-proxy.config" -}}
{{- $config := deepCopy (.Values.config | default dict) -}}
{{- if .Values.highAvailability.enabled -}}
{{- $election := get $config "leaderElection" | default dict -}}
{{- $_ := set $election "enabled" true -}}
{{- $_ := set $config "leaderElection" $election -}}
{{- end -}}
{{- if .Values.clusters -}}
{{- $clusters := get $config "clusters" | default list -}}
{{- range $c := .Values.clusters -}}
{{- $entry := dict "name" $c.name "kubeconfig" "in-cluster" -}}
{{- with $c.kubeconfigSecret -}}
{{- $_ := set $entry "kubeconfig" (printf "%s/%s" (include "watch-proxy.clusterMountPath" $c.name) (.key | default "kubeconfig")) -}}
{{- end -}}
{{- with $c.context -}}
{{- $_ := set $entry "context" . -}}
{{- end -}}
{{- with $c.metadata -}}
{{- $_ := set $entry "metadata" . -}}
{{- end -}}
{{- if hasKey $c "clusterUid" -}}
{{- $_ := set $entry "clusterUid" $c.clusterUid -}}
{{- end -}}
{{- $clusters = append $clusters $entry -}}
{{- end -}}
{{- $_ := set $config "clusters" $clusters -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
Folder a cluster's kubeconfig Secret is mounted at, from its name. Beside /etc/watch-proxy, not inside it: a
mount point inside the read-only ConfigMap volume could not be created.
*/}}
{{- define "watch-proxy.clusterMountPath" -}}
{{- printf "/etc/watch-proxy-clusters/%s" . -}}
{{- end -}}

{{/*
The RBAC of the config: the same rules as `watch-proxy rbac` (packages/cli/src/rbac/access-rules.ts; a test
keeps them equal). list/watch on exactly config.resources, one rule per API group, groups and plurals sorted:
a ClusterRole, or a Role per namespace when every resource is namespaced and lists `namespaces`. A Role
"<fullname>-state" per namespace for the Lease (leader election) and the emit cache ConfigMaps (the cluster
store, or the Lease's with leader election), get/update limited to their names. With clusterUid, a ClusterRole
"<fullname>-cluster-uid": get on the kube-system Namespace. Bare plurals are looked up in
files/kube-resources.json (generated from the CLI's table).
*/}}
{{- define "watch-proxy.rbac" -}}
{{- $known := .Files.Get "files/kube-resources.json" | fromJson -}}
{{- $config := include "watch-proxy.config" . | fromYaml -}}
{{- $name := include "watch-proxy.fullname" . -}}
{{- $subject := dict "kind" "ServiceAccount" "name" (include "watch-proxy.serviceAccountName" .) "namespace" .Release.Namespace -}}
{{- $labels := include "watch-proxy.labels" . | fromYaml -}}
{{- $resolved := list -}}
{{- range $r := $config.resources | default list -}}
{{- $n := toString $r.name -}}
{{- $parts := splitList "/" $n -}}
{{- $group := "" -}}
{{- $plural := "" -}}
{{- if eq (len $parts) 3 -}}
{{- $group = index $parts 0 -}}
{{- $plural = index $parts 2 -}}
{{- else if eq (len $parts) 2 -}}
{{- if not (regexMatch "^v[0-9]+((alpha|beta)[0-9]+)?$" (index $parts 0)) -}}
{{- fail (printf "config.resources: %q: the version in version/plural must look like v1 or v1beta1" $n) -}}
{{- end -}}
{{- $plural = index $parts 1 -}}
{{- else if contains "." $n -}}
{{- $split := splitn "." 2 $n -}}
{{- $plural = $split._0 -}}
{{- $group = $split._1 -}}
{{- else if hasKey $known $n -}}
{{- $group = (get $known $n).group -}}
{{- $plural = $n -}}
{{- else -}}
{{- fail (printf "config.resources: %q is not a built-in resource, so its API group is unknown without a cluster; write it as \"plural.group\" (e.g. \"certificates.cert-manager.io\")" $n) -}}
{{- end -}}
{{- $scope := "unknown" -}}
{{- if hasKey $known $plural -}}
{{- $entry := get $known $plural -}}
{{- if eq $entry.group $group -}}
{{- $scope = ternary "namespaced" "cluster" $entry.namespaced -}}
{{- end -}}
{{- end -}}
{{- $resolved = append $resolved (dict "group" $group "plural" $plural "scope" $scope "namespaces" ($r.namespaces | default list)) -}}
{{- end -}}
{{- $namespaced := gt (len $resolved) 0 -}}
{{- range $resolved -}}
{{- if or (eq (len .namespaces) 0) (eq .scope "cluster") -}}
{{- $namespaced = false -}}
{{- end -}}
{{- end -}}
{{- $roles := list -}}
{{- if $namespaced -}}
{{- $all := list -}}
{{- range $resolved -}}
{{- $all = concat $all .namespaces -}}
{{- end -}}
{{- range $ns := $all | uniq | sortAlpha -}}
{{- $inNs := list -}}
{{- range $resolved -}}
{{- if has $ns .namespaces -}}
{{- $inNs = append $inNs . -}}
{{- end -}}
{{- end -}}
{{- $roles = append $roles (dict "kind" "Role" "name" $name "namespace" $ns "rules" (include "watch-proxy.watchRules" $inNs | fromYamlArray)) -}}
{{- end -}}
{{- else if gt (len $resolved) 0 -}}
{{- $roles = append $roles (dict "kind" "ClusterRole" "name" $name "rules" (include "watch-proxy.watchRules" $resolved | fromYamlArray)) -}}
{{- end -}}
{{- /* The Lease (leader election) and the store's ConfigMaps, grouped by namespace in that order. */ -}}
{{- $election := $config.leaderElection | default dict -}}
{{- $store := $config.stateStore | default dict -}}
{{- $electionOn := eq (toString $election.enabled) "true" -}}
{{- $leaseName := $election.leaseName | default "watch-proxy" -}}
{{- $leaseNs := $election.namespace | default .Release.Namespace -}}
{{- $state := list -}}
{{- if $electionOn -}}
{{- $state = append $state (dict "namespace" $leaseNs "lease" $leaseName) -}}
{{- end -}}
{{- $storeName := "" -}}
{{- $storeNs := "" -}}
{{- if eq (toString $store.type) "cluster" -}}
{{- $storeName = $store.name | default (ternary $leaseName "watch-proxy" $electionOn) -}}
{{- $storeNs = $store.namespace | default (ternary ($election.namespace | default "") "" $electionOn) | default .Release.Namespace -}}
{{- else if $electionOn -}}
{{- $storeName = $leaseName -}}
{{- $storeNs = $leaseNs -}}
{{- end -}}
{{- if $storeName -}}
{{- $merged := false -}}
{{- range $state -}}
{{- if eq .namespace $storeNs -}}
{{- $_ := set . "store" $storeName -}}
{{- $merged = true -}}
{{- end -}}
{{- end -}}
{{- if not $merged -}}
{{- $state = append $state (dict "namespace" $storeNs "store" $storeName) -}}
{{- end -}}
{{- end -}}
{{- range $entry := $state -}}
{{- $rules := list -}}
{{- if .lease -}}
{{- $rules = append $rules (dict "apiGroups" (list "coordination.k8s.io") "resources" (list "leases") "verbs" (list "create")) -}}
{{- $rules = append $rules (dict "apiGroups" (list "coordination.k8s.io") "resources" (list "leases") "resourceNames" (list .lease) "verbs" (list "get" "update")) -}}
{{- end -}}
{{- if .store -}}
{{- $names := list -}}
{{- range $i := until 8 -}}
{{- $names = append $names (printf "%s-emit-cache-%d" $entry.store $i) -}}
{{- end -}}
{{- $names = append $names (printf "%s-emit-cache-intents" .store) -}}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "configmaps") "verbs" (list "create")) -}}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "configmaps") "resourceNames" $names "verbs" (list "get" "update")) -}}
{{- end -}}
{{- $roles = append $roles (dict "kind" "Role" "name" (printf "%s-state" $name) "namespace" .namespace "rules" $rules) -}}
{{- end -}}
{{- /* clusterUid (top-level, or of a cluster, whose own setting wins): get on the kube-system Namespace. */ -}}
{{- $uidDefault := eq (toString $config.clusterUid) "true" -}}
{{- $uid := $uidDefault -}}
{{- if $config.clusters -}}
{{- $uid = false -}}
{{- range $config.clusters -}}
{{- if hasKey . "clusterUid" -}}
{{- if eq (toString .clusterUid) "true" -}}
{{- $uid = true -}}
{{- end -}}
{{- else if $uidDefault -}}
{{- $uid = true -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $uid -}}
{{- $roles = append $roles (dict "kind" "ClusterRole" "name" (printf "%s-cluster-uid" $name) "rules" (list (dict "apiGroups" (list "") "resources" (list "namespaces") "resourceNames" (list "kube-system") "verbs" (list "get")))) -}}
{{- end -}}
{{- range $role := $roles }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ $role.kind }}
metadata:
  name: {{ $role.name }}
  {{- if $role.namespace }}
  namespace: {{ $role.namespace }}
  {{- end }}
  labels:
    {{- toYaml $labels | nindent 4 }}
rules:
  {{- toYaml $role.rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ $role.kind }}Binding
metadata:
  name: {{ $role.name }}
  {{- if $role.namespace }}
  namespace: {{ $role.namespace }}
  {{- end }}
  labels:
    {{- toYaml $labels | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ $role.kind }}
  name: {{ $role.name }}
subjects:
  {{- toYaml (list $subject) | nindent 2 }}
{{- end }}
{{- end -}}

{{/* list/watch rules for a list of resolved resources (dicts with group, plural): one per group, sorted. */}}
{{- define "watch-proxy.watchRules" -}}
{{- $groups := list -}}
{{- range . -}}
{{- $groups = append $groups .group -}}
{{- end -}}
{{- $rules := list -}}
{{- range $g := $groups | uniq | sortAlpha -}}
{{- $plurals := list -}}
{{- range $ -}}
{{- if eq .group $g -}}
{{- $plurals = append $plurals .plural -}}
{{- end -}}
{{- end -}}
{{- $rules = append $rules (dict "apiGroups" (list $g) "resources" ($plurals | uniq | sortAlpha) "verbs" (list "list" "watch")) -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
