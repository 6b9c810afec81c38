# The chart's optional monitoring objects, on a cluster that has the Prometheus Operator's CRDs (stand-ins
# from e2e/fixtures): a second release with the ServiceMonitor and the PrometheusRule enabled.
kubectl apply --server-side -f "$E2E_ROOT/e2e/fixtures/monitoring-crds.yaml" >/dev/null
kubectl wait --for condition=Established crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com --timeout 60s >/dev/null
rel=imcluster-mon ns=imcluster-mon-system
t "helm install with ServiceMonitor and PrometheusRule" \
  helm upgrade --install $rel "$E2E_ROOT/charts/imcluster-operator" -n $ns --create-namespace \
    --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true \
    --set 'metrics.serviceMonitor.labels.release=prometheus'
t "the ServiceMonitor selects the metrics Service's http port" equals "http /metrics" \
  jp servicemonitor/$rel-imcluster-operator '{.spec.endpoints[0].port} {.spec.endpoints[0].path}' -n $ns
t "the ServiceMonitor carries the extra labels" equals prometheus \
  jp servicemonitor/$rel-imcluster-operator '{.metadata.labels.release}' -n $ns
t "the PrometheusRule has the alert groups" equals "imcluster-operator imcluster-brokers" \
  jp prometheusrule/$rel-imcluster-operator '{.spec.groups[*].name}' -n $ns
helm uninstall $rel -n $ns >/dev/null
kubectl delete -f "$E2E_ROOT/e2e/fixtures/monitoring-crds.yaml" --wait=false >/dev/null
