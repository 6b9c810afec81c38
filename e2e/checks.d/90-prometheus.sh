# A real Prometheus scrapes the operator and a broker of each role, and promtool finds no lint in any of them.
# The brokers run as local processes (e2e/brokers.sh: no kubelet here); more endpoints may be added with
# E2E_METRICS_URLS (space-separated).
ensure_operator || { t "the operator is running" false; return 0; }
brokers="$E2E_ROOT/e2e/brokers.sh"
t "a broker of each role starts (comet, logic, job; Redis as queue and session store)" "$brokers" start
# shellcheck disable=SC2046,SC2086
t "Prometheus scrapes the operator and every broker, promtool finds no lint" \
  "$E2E_ROOT/hack/prometheus-check.sh" "$(operator_url /metrics)" $("$brokers" urls) ${E2E_METRICS_URLS:-}
"$brokers" stop
