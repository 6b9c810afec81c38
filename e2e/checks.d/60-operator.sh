# The real operator, run as a local process with the chart's ServiceAccount and environment
# (e2e/operator-process.sh), reconciles examples/quickstart.yaml on the real API server: every owned object
# appears with a controller owner reference, the status is written, `kubectl get psc` shows the printer columns,
# and the operator never hits an RBAC denial. The operator keeps running for the next checks (run.sh stops it).
rc=0; ensure_operator || rc=$?
t "the operator process starts and is ready" test $rc = 0
[ $rc = 0 ] || return 0

ns=e2e-operator psc=quickstart
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
t "kubectl apply examples/quickstart.yaml" kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml"

for obj in configmap/$psc-config serviceaccount/$psc-broker \
           deployment/$psc-comet deployment/$psc-logic deployment/$psc-job \
           service/$psc-comet service/$psc-comet-headless service/$psc-logic service/$psc-metrics \
           poddisruptionbudget/$psc-comet poddisruptionbudget/$psc-logic poddisruptionbudget/$psc-job \
           statefulset/$psc-redis service/$psc-redis secret/$psc-redis-password; do
  t "$obj appears, controlled by the PubSubCluster" eventually 90 owned $ns $psc $obj
done
t "every Service port says TCP (server-side apply on 1.20)" bash -c \
  "[ -z \"\$(kubectl -n $ns get services -l app.kubernetes.io/instance=$psc -o jsonpath='{.items[*].spec.ports[?(@.protocol!=\"TCP\")].name}')\" ]"
observed() { equals "$(jp psc/$psc '{.metadata.generation}' -n $ns)" jp psc/$psc '{.status.observedGeneration}' -n $ns; }
t "the status has observedGeneration = generation" eventually 60 observed
t "SpecValid=True" eventually 60 condition_is $ns $psc SpecValid True
t "Ready=False while the pods are Pending (no kubelet)" eventually 60 condition_is $ns $psc Ready False
t "the status names the endpoints" eventually 60 bash -c "kubectl -n $ns get psc $psc -o jsonpath='{.status.endpoints}' | grep -q $psc-comet"
t "kubectl get psc shows the printer columns" bash -c \
  "kubectl -n $ns get psc | head -1 | grep -Eq '^NAME +AGE +BACKEND +COMETS +READY +PHASE\$'"
t "kubectl get psc shows the backend and the replica counts" bash -c \
  "kubectl -n $ns get psc $psc --no-headers | grep -Eq '^$psc +[0-9a-z]+ +redis +0/1 +False +[A-Za-z]+\$'"
t "kubectl get psc -o wide adds job and logic" bash -c \
  "kubectl -n $ns get psc $psc -o wide --no-headers | grep -Eq '^$psc +[0-9a-z]+ +redis +0/1 +False +0/1 +0/1 +Pending\$'"
t "kubectl get imcluster (the category) lists it" bash -c "kubectl -n $ns get imcluster --no-headers | grep -q '$psc'"
operator_owns_no_spec() {
  kubectl -n $ns get psc $psc -o json --show-managed-fields | python3 -c '
import json, sys
bad = [m.get("subresource", "") for m in json.load(sys.stdin)["metadata"].get("managedFields", [])
       if m["manager"] == "pubsubcluster" and "f:spec" in m.get("fieldsV1", {})]
sys.exit("the operator field manager owns spec fields" if bad else 0)'
}
t "the operator's status writes own no spec field" operator_owns_no_spec
t "re-applying the example server-side does not conflict with the operator" \
  kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml"
t "the operator hit no RBAC denial" operator_log_lacks 'forbidden: user'

t "the operator hit no server error (e.g. resourceVersion on create)" operator_log_lacks 'resourceversion should not be set|code=5[0-9][0-9]' 
