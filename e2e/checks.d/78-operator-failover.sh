# shellcheck disable=SC2154  # op: set by e2e/lib.sh
# Operator failover: two replicas of the release with leader election (the chart's default), as replicaCount: 2
# runs them. The leader is killed with SIGKILL in the middle of reconciling 20 new PubSubClusters (some done, some
# half-made, some not started). The standby takes the Lease once it expires (leaseDuration plus a retry period) and
# finishes the job: every object of every cluster exists once, with one controller owner reference, every status is
# current, and a later edit is reconciled by the new leader.
ns=e2e-failover
lease_ns="$E2E_NAMESPACE" lease="$E2E_RELEASE-imcluster-operator"
holder() { jp lease/$lease '{.spec.holderIdentity}' -n "$lease_ns"; }
pid_of() { cat "$IMCLUSTER_STATE/operator-$E2E_RELEASE${1:+-$1}/pid"; }

"$op" stop >/dev/null 2>&1 || true
"$op" start >/dev/null 2>&1
E2E_OPERATOR_INSTANCE=b "$op" start >/dev/null 2>&1
t "two replicas run" bash -c "'$op' status && E2E_OPERATOR_INSTANCE=b '$op' status"
t "one of them holds the Lease" eventually 60 bash -c "[[ \"\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}')\" == *-local* ]]"
leader="$(holder)"
if [[ "$leader" == *-local-b ]]; then leader_instance=b standby_instance=""; else leader_instance="" standby_instance=b; fi

kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
clusters=20
for i in $(seq 1 $clusters); do
  sed "s/^  name: quickstart$/  name: fo-$i/" "$E2E_ROOT/examples/quickstart.yaml"; echo '---'
done | kubectl -n $ns apply --server-side -f - >/dev/null
# Mid-reconcile: killed as soon as the first objects show; how far it got is reported.
made() { kubectl -n $ns get configmaps,deployments,services -l app.kubernetes.io/managed-by=imcluster-operator -o name 2>/dev/null | wc -l; }
deadline=$((SECONDS + 60))
until [ "$(made)" -gt 0 ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
leader_pid="$(pid_of "$leader_instance")"
kill -KILL "$leader_pid"
killed_at=$SECONDS
made_before_kill="$(made)"
# Gone, or a zombie nobody reaps (its parent, the start script, has exited).
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
t "the leader ($leader) is killed while reconciling ($made_before_kill of the $((clusters * 9)) ConfigMaps, Deployments and Services made by then)" \
  eventually 10 gone "$leader_pid"
t "the standby takes the Lease" eventually 120 bash -c "h=\$(kubectl -n $lease_ns get lease $lease -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\$h\" != '$leader' ]"
took=$((SECONDS - killed_at))
t "...within the lease duration and a retry (took $took s, at most 60)" test $took -le 60
current() {   # every cluster's status is for its current generation
  kubectl -n $ns get psc -o jsonpath='{range .items[*]}{.metadata.generation} {.status.observedGeneration}{"\n"}{end}' \
    | awk -v n=$clusters '$1 == $2 { ok++ } END { exit !(ok == n) }'
}
t "the standby finishes every cluster (status current for all $clusters)" eventually 180 current
for i in $(seq 1 $clusters); do
  got="$(owned_objects $ns fo-$i | wc -l)"
  [ "$got" = "$(owned_objects $ns fo-1 | wc -l)" ] || t "fo-$i has as many objects as fo-1 ($got)" false
done
t "each cluster has its $(owned_objects $ns fo-1 | wc -l) objects" test "$(owned_objects $ns fo-1 | wc -l)" -ge 16
for kind in deployments services configmaps serviceaccounts statefulsets poddisruptionbudgets secrets; do
  t "no $kind made twice or left without its controller (each named once, one controller owner)" bash -c "
    kubectl -n $ns get $kind -o json | python3 -c '
import collections, json, sys
items = json.load(sys.stdin)[\"items\"]
names = collections.Counter(i[\"metadata\"][\"name\"] for i in items)
assert all(n == 1 for n in names.values()), names
for i in items:
    if i[\"metadata\"].get(\"labels\", {}).get(\"app.kubernetes.io/managed-by\") != \"imcluster-operator\": continue
    owners = [o for o in i[\"metadata\"].get(\"ownerReferences\", []) if o.get(\"controller\")]
    assert len(owners) == 1 and owners[0][\"kind\"] == \"PubSubCluster\", (i[\"metadata\"][\"name\"], owners)
'"
done
kubectl -n $ns patch psc fo-1 --type=merge -p '{"spec":{"comet":{"replicas":2}}}' >/dev/null
t "the new leader reconciles a later edit" eventually 60 equals 2 jp deployment/fo-1-comet '{.spec.replicas}' -n $ns

E2E_OPERATOR_INSTANCE=b "$op" stop >/dev/null 2>&1 || true
"$op" stop >/dev/null 2>&1 || true
kubectl delete namespace $ns --wait=false >/dev/null
