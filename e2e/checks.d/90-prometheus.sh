# A real Prometheus scrapes the operator and a broker of each role, and promtool finds no lint in any of them.
# The brokers run as local processes (e2e/brokers.sh: no kubelet here); more endpoints may be added with
# E2E_METRICS_URLS (space-separated). The dashboard's operator panel must show data from that Prometheus too (the
# broker panels are DashboardQueriesTest's): its queries, with Grafana's $__rate_interval as 1m, one query per panel
# (its targets joined by `or`, as a panel shows data when any target has some).
ensure_operator || { t "the operator is running" false; return 0; }
brokers="$E2E_ROOT/e2e/brokers.sh"
t "a broker of each role starts (comet, logic, job; Redis as queue and session store)" "$brokers" start

# The reconciliation counters exist once the operator has reconciled a cluster.
pns=e2e-prometheus
kubectl create namespace $pns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $pns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
t "the operator reconciles a cluster" eventually 60 equals 1 jp psc/quickstart '{.status.observedGeneration}' -n $pns
panels="$(mktemp)"
python3 - "$E2E_ROOT/charts/imcluster-operator/files/dashboard.json" >"$panels" <<'PY'
import json, sys

def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))

for p in walk(json.load(open(sys.argv[1]))["panels"]):
    exprs = [t["expr"] for t in p.get("targets", []) if "operator_sdk_" in t.get("expr", "")]
    if exprs:
        print("panel '%s'\t%s" % (p["title"], " or ".join("(%s)" % e.replace("$__rate_interval", "1m") for e in exprs)))
PY
t "the dashboard has operator panels to check" test -s "$panels"
# shellcheck disable=SC2046,SC2086
t "Prometheus scrapes the operator and every broker, promtool finds no lint, every operator panel has data" \
  "$E2E_ROOT/hack/prometheus-check.sh" --expect-data "$panels" "$(operator_url /metrics)" $("$brokers" urls) \
  ${E2E_METRICS_URLS:-}
rm -f "$panels"
kubectl delete namespace $pns --wait=false >/dev/null
"$brokers" stop
