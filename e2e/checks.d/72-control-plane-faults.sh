# shellcheck disable=SC2154  # op: set by e2e/lib.sh
# Control-plane faults. (1) kube-apiserver is restarted right after an edit (hack/local-cluster.sh
# restart-apiserver): an operator without leader election rides it out (its watches reconnect) and reconciles that edit
# and the next one. (2) The same with leader election on (the chart's default): the outage may outlast the Lease's
# renew deadline (10 s), and then the operator must exit, not go on reconciling without the Lease; restarted (as the
# Deployment would), it reconciles. (3) The Lease is stolen (another holder, fresh renewTime): the operator exits with
# "lost the leader-election Lease", and a restarted one waits for the Lease to expire, takes it, and reconciles the
# edits made meanwhile.
ns=e2e-faults psc=quickstart
lease_ns="$E2E_NAMESPACE" lease="$E2E_RELEASE-imcluster-operator"
cluster="$E2E_ROOT/hack/local-cluster.sh"
replicas() { jp deployment/$psc-comet '{.spec.replicas}' -n $ns; }
scale() { kubectl -n $ns patch psc $psc --type=merge -p "{\"spec\":{\"comet\":{\"replicas\":$1}}}" >/dev/null; }
alive() { "$op" status >/dev/null 2>&1; }
lease_holder() { jp lease/$lease '{.spec.holderIdentity}' -n "$lease_ns"; }

# (1) No leader election: the process must survive the outage.
"$op" stop >/dev/null 2>&1 || true
E2E_OPERATOR_ENV="IMCLUSTER_LEADER_ELECTION=false" "$op" start >/dev/null 2>&1
t "the operator runs without leader election" alive
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
t "the cluster is reconciled" eventually 90 equals 1 replicas
scale 2
t "kube-apiserver restarts right after an edit" "$cluster" restart-apiserver
t "the operator process survived the outage" alive
t "the edit made before the outage is reconciled" eventually 120 equals 2 replicas
scale 3
t "a new edit after the outage is reconciled (watches reconnected)" eventually 120 equals 3 replicas
t "SIGKILLed kube-apiserver: restarted" "$cluster" restart-apiserver --kill
scale 1
t "after a SIGKILLed kube-apiserver a new edit is reconciled" eventually 120 equals 1 replicas
t "the operator process is still the same and alive" alive
"$op" stop >/dev/null 2>&1 || true

# (2) Leader election on: survive, or exit because the Lease could not be renewed, then work once restarted.
"$op" start >/dev/null 2>&1
t "the operator runs with leader election" alive
t "it holds the Lease" eventually 60 bash -c "[ -n \"\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" ]"
scale 2
t "kube-apiserver restarts (leader election on)" "$cluster" restart-apiserver
settled_after_outage() {   # alive, or gone with the lease-lost message (never gone for another reason)
  alive && return 0
  "$op" log | grep -q 'lost the leader-election Lease' || { echo "the operator died without losing the Lease:";
    "$op" log | tail -20; return 1; }
}
sleep 20   # past the renew deadline: an operator that cannot renew has exited by now
t "after the outage the operator is alive, or exited because it lost the Lease" settled_after_outage
alive || "$op" start >/dev/null 2>&1
t "the edit made before the outage is reconciled" eventually 120 equals 2 replicas

# (3) The Lease is stolen.
t "the operator holds the Lease" eventually 60 bash -c "[ -n \"\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" ] && [ \"\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" != thief ]"
now="$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)"
kubectl -n "$lease_ns" patch lease $lease --type=merge \
  -p "{\"spec\":{\"holderIdentity\":\"thief\",\"leaseDurationSeconds\":40,\"acquireTime\":\"$now\",\"renewTime\":\"$now\"}}" >/dev/null
t "the Lease is stolen" equals thief lease_holder
t "the operator exits once it cannot renew the Lease" eventually 60 bash -c "! $op status >/dev/null 2>&1"
t "its log says it lost the Lease" bash -c "$op log | grep -q 'lost the leader-election Lease'"
scale 3
t "while the thief holds the Lease, nothing reconciles the edit" equals 2 replicas
"$op" start >/dev/null 2>&1
t "a restarted operator is running" alive
t "it takes the Lease once the thief's expires" eventually 120 bash -c "[ \"\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" != thief ]"
t "and reconciles the edit made meanwhile" eventually 120 equals 3 replicas
kubectl delete namespace $ns --wait=false >/dev/null
