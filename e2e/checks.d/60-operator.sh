# The real operator, run as a local process with the chart's ServiceAccount and environment
# (e2e/operator-process.sh), reconciles examples/quickstart.yaml on the real API server: the owned objects
# appear with owner references, it never hits an RBAC denial, and deleting the cluster removes them all.
# Pods stay Pending (no kubelet), so readiness is not checked here.
op="$E2E_ROOT/e2e/operator-process.sh"
rc=0; "$op" start || rc=$?
if [ $rc = 3 ]; then echo "     (skipped: the operator module has nothing to run yet)"; return 0; fi
t "the operator process starts and is ready" test $rc = 0
[ $rc = 0 ] || return 0
oplog() { "$op" log; }

ns=e2e-operator
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
psc="$(kubectl -n $ns get psc -o jsonpath='{.items[0].metadata.name}')"

owned_by_psc() { equals PubSubCluster jp "$1" '{.metadata.ownerReferences[0].kind}' -n $ns; }
for role in comet logic job; do
  t "the $role Deployment is created, owned by the PubSubCluster" eventually 90 owned_by_psc "deployment/$psc-$role"
done
t "the rendered ConfigMap is created, owned by the PubSubCluster" \
  eventually 60 bash -c "kubectl -n $ns get configmap -o jsonpath='{range .items[*]}{.metadata.ownerReferences[0].kind}{\"\n\"}{end}' | grep -qx PubSubCluster"
t "Services are created" eventually 60 bash -c "kubectl -n $ns get services -o name | grep -q ."
t "PodDisruptionBudgets are created" eventually 60 bash -c "kubectl -n $ns get poddisruptionbudgets -o name | grep -q ."
t "the status reports an observedGeneration" eventually 60 bash -c \
  "[ -n \"\$(kubectl -n $ns get psc $psc -o jsonpath='{.status.observedGeneration}')\" ]"
t "the operator hit no RBAC denial" bash -c "! '$op' log | grep -i 'forbidden'"

t "the owned objects carry app.kubernetes.io/instance=$psc" bash -c \
  "[ -n \"\$(kubectl -n $ns get deployments -l app.kubernetes.io/instance=$psc -o name)\" ]"

kubectl -n $ns delete psc "$psc" --wait=false >/dev/null
t "deleting the PubSubCluster garbage-collects its objects" eventually 90 bash -c \
  "[ -z \"\$(kubectl -n $ns get deployments,statefulsets,services,configmaps,poddisruptionbudgets -l app.kubernetes.io/instance=$psc -o name)\" ]"
"$op" stop
kubectl delete namespace $ns --wait=false >/dev/null
