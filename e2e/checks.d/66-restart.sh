# shellcheck disable=SC2154  # op: set by e2e/lib.sh
# An operator restart makes no spurious updates: after SIGTERM (a bounded, graceful stop), a new process and its
# first full reconciliation of every cluster, the generation and resourceVersion of every owned object and of the
# PubSubCluster itself (status included) are unchanged: server-side apply of the same desired state is a no-op.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-ready psc=quickstart
snapshot() { { owned_objects $ns $psc; jp psc/$psc '{.metadata.generation} {.metadata.resourceVersion}' -n $ns; echo; } }
settled() { local a b; a="$(snapshot)"; sleep 3; b="$(snapshot)"; [ "$a" = "$b" ] && [ -n "$a" ]; }
t "the cluster has settled" eventually 90 settled
before="$(snapshot)"

# A cluster whose reconciliation keeps failing (and being retried) while the operator stops: a ResourceQuota of
# the namespace allows no Services. (A Service of someone else's with a derived name would not do: the operator
# refuses to take it over and flags the spec instead, see 68-hostile.)
fns=e2e-failing
kubectl create namespace $fns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $fns create quota no-services --hard=services=0 --dry-run=client -o yaml | kubectl apply -f - >/dev/null
# In CI the operator's Services were once admitted despite the quota (likely the quota admission plugin's 30 s
# "no quota here" cache from a live lookup, until its informer sees the new quota). So wait until a probe Service
# is refused by the quota itself (any other error, e.g. a probe still being deleted, does not count).
quota_refuses() {
  local out
  if out="$(kubectl -n $fns create service clusterip quota-probe --tcp=1:1 2>&1)"; then
    kubectl -n $fns delete service quota-probe >/dev/null 2>&1
    echo "a Service was admitted despite the quota"; return 1
  fi
  case "$out" in *"exceeded quota"*) return 0 ;; *) echo "$out"; return 1 ;; esac
}
t "the namespace's quota refuses Services" eventually 60 quota_refuses
kubectl -n $fns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
degraded() {
  condition_is $fns $psc Degraded True && return 0
  jp psc/$psc '{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' -n $fns | cut -c1-200
  kubectl -n $fns get services --no-headers 2>&1 | head -5
  return 1
}
t "a failing reconciliation is reported: Degraded=True" eventually 90 degraded
t "the operator stops within 30 s of SIGTERM while a reconciliation is failing" "$op" stop
reconciled() {   # the new process has reconciled this cluster successfully at least once
  curl -fsS "$(operator_url /metrics)" | grep '^operator_sdk_reconciliations_success_total' |
    grep "name=\"$psc\"" | grep "namespace=\"$ns\"" | grep -qv ' 0.0$'
}
t "the operator restarts" "$op" start
t "the new operator reconciles the cluster" eventually 90 reconciled
sleep 5   # let any (unwanted) write land before comparing
t "no owned object and not the PubSubCluster changed" equals "$before" snapshot
