# Least-privilege RBAC, cluster-wide (the main release) and namespaced (a second release).
sa="$E2E_SA"
t "operator can watch PubSubClusters everywhere" can "$sa" watch pubsubclusters.pubsub.imcluster.dev -A
t "operator can patch PubSubCluster status" can "$sa" patch pubsubclusters.pubsub.imcluster.dev --subresource status -n default
t "operator cannot update PubSubClusters" cannot "$sa" update pubsubclusters.pubsub.imcluster.dev -n default
t "operator can create Deployments" can "$sa" create deployments.apps -n default
t "operator can create StatefulSets" can "$sa" create statefulsets.apps -n default
t "operator can patch PodDisruptionBudgets" can "$sa" patch poddisruptionbudgets.policy -n default
t "operator can create NetworkPolicies" can "$sa" create networkpolicies.networking.k8s.io -n default
t "operator can create ServiceMonitors" can "$sa" create servicemonitors.monitoring.coreos.com -n default
t "operator cannot list CRDs (discovery needs no RBAC)" cannot "$sa" list customresourcedefinitions.apiextensions.k8s.io
t "operator can renew its Lease" can "$sa" update leases.coordination.k8s.io -n "$E2E_NAMESPACE"
t "operator can read pods" can "$sa" list pods -n default
t "operator cannot create pods" cannot "$sa" create pods -n default
t "operator cannot create Roles" cannot "$sa" create roles.rbac.authorization.k8s.io -n default
t "operator cannot read Endpoints" cannot "$sa" list endpoints -n default
t "operator can update Secrets (internal TLS certificates are renewed in place)" can "$sa" update secrets -n default
t "operator cannot delete nodes" cannot "$sa" delete nodes
t "operator cannot change CRDs" cannot "$sa" update customresourcedefinitions.apiextensions.k8s.io
t "operator cannot bind cluster roles" cannot "$sa" create clusterrolebindings.rbac.authorization.k8s.io

# A second release that watches one namespace only.
rel=imcluster-ns ns=imcluster-ns-system team=e2e-team-a
kubectl create namespace $team --dry-run=client -o yaml | kubectl apply -f - >/dev/null
helm upgrade --install $rel "$E2E_ROOT/charts/imcluster-operator" -n $ns --create-namespace \
  --set "watchNamespaces={$team}" --set dashboard.enabled=false >/dev/null
nsa="$ns:$rel-imcluster-operator"
t "namespaced: a Role in the watched namespace" kubectl -n $team get role $rel-imcluster-operator
t "namespaced: no cluster-wide workload ClusterRole" bash -c "! kubectl get clusterrole $rel-imcluster-operator 2>/dev/null"
t "namespaced: operator can create Deployments in the watched namespace" can "$nsa" create deployments.apps -n $team
t "namespaced: operator cannot create Deployments elsewhere" cannot "$nsa" create deployments.apps -n default
t "namespaced: operator gets the namespace list in its env" equals "$team" bash -c \
  "kubectl -n $ns get deployment $rel-imcluster-operator -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"IMCLUSTER_WATCH_NAMESPACES\")].value}'"
helm uninstall $rel -n $ns >/dev/null
