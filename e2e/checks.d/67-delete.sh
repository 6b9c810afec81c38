# `kubectl delete psc` garbage-collects everything the operator created (owner references; the
# controller-manager's garbage collector does the deleting, the operator has no finalizer).
ensure_operator || { t "the operator is running" false; return 0; }
for ns in e2e-operator e2e-examples-op e2e-ready e2e-failing; do
  kubectl get namespace $ns >/dev/null 2>&1 || continue
  names="$(kubectl -n $ns get psc -o jsonpath='{.items[*].metadata.name}')"
  [ -n "$names" ] || continue
  # shellcheck disable=SC2086
  t "kubectl delete psc in $ns" kubectl -n $ns delete psc $names --wait=true --timeout=60s
  t "$ns: every owned object and pod is garbage-collected" eventually 120 bash -c \
    "[ -z \"\$(kubectl -n $ns get $OWNED_KINDS,replicasets.apps,pods -l app.kubernetes.io/managed-by=imcluster-operator -o name)\" ]"
  kubectl delete namespace $ns --wait=false >/dev/null
done
