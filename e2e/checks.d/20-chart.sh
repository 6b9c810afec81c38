# What `helm install` of charts/imcluster-operator puts on the cluster.
crd=pubsubclusters.pubsub.imcluster.dev
dep="$E2E_RELEASE-imcluster-operator"
n=(-n "$E2E_NAMESPACE")

t "the PubSubCluster CRD is installed and Established" kubectl wait --for condition=Established crd/$crd --timeout 60s
t "the short name psc works" kubectl get psc -A
t "the CRD serves pubsub.imcluster.dev/v1alpha1" \
  bash -c "kubectl api-resources --api-group pubsub.imcluster.dev -o name | grep -qx $crd"
t "the CRD has printer columns" bash -c "[ -n \"\$(kubectl get crd $crd -o jsonpath='{.spec.versions[0].additionalPrinterColumns[*].name}')\" ]"
t "the operator Deployment exists" kubectl "${n[@]}" get deployment "$dep"
t "the operator Deployment has a ReplicaSet and a Pod" \
  eventually 60 bash -c "kubectl ${n[*]} get pods -l app.kubernetes.io/name=imcluster-operator -o name | grep -q ."
t "the operator runs as non-root 65532" equals "true 65532" \
  jp deployment/"$dep" '{.spec.template.spec.securityContext.runAsNonRoot} {.spec.template.spec.securityContext.runAsUser}' "${n[@]}"
t "the operator's root filesystem is read-only" equals true \
  jp deployment/"$dep" '{.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem}' "${n[@]}"
t "the operator probes /healthz and /readyz on the http port" equals "/healthz /readyz http" \
  jp deployment/"$dep" '{.spec.template.spec.containers[0].livenessProbe.httpGet.path} {.spec.template.spec.containers[0].readinessProbe.httpGet.path} {.spec.template.spec.containers[0].ports[0].name}' "${n[@]}"
t "the operator gets its watch namespaces and broker image" bash -c \
  "kubectl ${n[*]} get deployment $dep -o jsonpath='{.spec.template.spec.containers[0].env[*].name}' | grep -q 'IMCLUSTER_WATCH_NAMESPACES.*IMCLUSTER_BROKER_IMAGE'"
t "the operator uses its own ServiceAccount" equals "$dep" \
  jp deployment/"$dep" '{.spec.template.spec.serviceAccountName}' "${n[@]}"
t "the metrics Service selects the operator" equals http jp service/"$dep-metrics" '{.spec.ports[0].name}' "${n[@]}"
t "the Grafana dashboard ConfigMap holds valid JSON" bash -c \
  "kubectl ${n[*]} get configmap $dep-dashboard -o jsonpath='{.data.imcluster\.json}' | python3 -m json.tool >/dev/null"
