# A real Prometheus scrapes the metrics endpoints in E2E_METRICS_URLS (space-separated), set by whoever
# runs brokers and the operator (the node agent of issue 7, or a test that port-forwards). Lint included.
if [ -z "${E2E_METRICS_URLS:-}" ]; then
  echo "     (skipped: E2E_METRICS_URLS is not set)"
  return 0
fi
# shellcheck disable=SC2086
t "Prometheus scrapes every endpoint and promtool finds no lint" "$E2E_ROOT/hack/prometheus-check.sh" $E2E_METRICS_URLS
