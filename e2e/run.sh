#!/usr/bin/env bash
# End-to-end checks on the local control plane (hack/local-cluster.sh), through real kubectl and helm:
# brings the cluster up (building/caching the binaries on first use), installs the chart, then runs every
# check file in e2e/checks.d/ in name order. Idempotent: re-running reuses the cluster and upgrades the release.
#
# It builds what it needs first: `mvn -B -pl broker-image,node-agent,operator -am -DskipTests package` when a jar is missing
# or older than its sources. The operator runs as a local process with the chart's ServiceAccount (there is no
# kubelet); it is started by the first check that needs it and stopped at the end, like the local brokers.
#
# Usage: e2e/run.sh [--fresh] [--down] [CHECK_GLOB]
#   --fresh      purge the local cluster's state first
#   --down       stop every process of the cluster at the end, even after a failure (default: leave it up for
#                inspection and fast re-runs)
#   CHECK_GLOB   run only the check files matching it, e.g. '2*'
# Hooks: add e2e/checks.d/NN-name.sh files. Each is run by bash with e2e/lib.sh sourced, KUBECONFIG set, and
#   E2E_RELEASE, E2E_NAMESPACE (the operator's), E2E_SA (namespace:name of its ServiceAccount), E2E_ROOT set.
#   Use `t "what" cmd...` for each assertion; a file that exits non-zero counts as one failure.
# The last line is "N passed, N failed"; the exit code is 1 when anything failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/hack/lib.sh"

fresh=0 down=0 glob='*'
for a in "$@"; do
  case "$a" in
    --fresh) fresh=1 ;;
    --down) down=1 ;;
    -*) die "unknown option $a" ;;
    *) glob="$a" ;;
  esac
done

lock_state "e2e/run.sh"
# The jars, when missing or older than their sources: one reactor build (-am), so nothing comes from a stale ~/.m2.
build_jars || die "the build failed"
export E2E_OPERATOR_NO_BUILD=1

if [ $fresh = 1 ]; then
  # Every process of the old state first (a node agent left by a failed run would outlive its purged state).
  stop_local_cluster || die "could not stop the previous local cluster"
  "$root/hack/local-cluster.sh" down --purge
fi
finish() {
  if [ $down = 1 ]; then
    stop_local_cluster || true
  else
    "$root/e2e/brokers.sh" stop || true
    "$root/e2e/operator-process.sh" stop || true
  fi
}
trap finish EXIT
trap 'exit 130' INT TERM   # so that finish runs on Ctrl-C and SIGTERM too
cluster_env="$("$root/hack/local-cluster.sh" up)" || die "the local cluster did not come up"
eval "$cluster_env"

export E2E_ROOT="$root" E2E_RELEASE="${E2E_RELEASE:-imcluster}" E2E_NAMESPACE="${E2E_NAMESPACE:-imcluster-system}"
export E2E_SA="$E2E_NAMESPACE:$E2E_RELEASE-imcluster-operator"
export E2E_RESULTS; E2E_RESULTS="$(mktemp)"

log "static chart checks"
"$root/hack/check-chart.sh"

# Helm installs a chart's CRDs only the first time: on a cluster kept from an earlier run, replace them from the chart,
# as docs/KUBERNETES.md says to on an upgrade (1.20 needs --validate=false for the CEL fields).
if kubectl get crd pubsubclusters.pubsub.imcluster.dev >/dev/null 2>&1; then
  log "kubectl replace the CRDs from the chart (Helm never upgrades them)"
  kubectl replace --validate=false -f "$root/charts/imcluster-operator/crds/" >/dev/null
fi
# --reset-values: the chart's defaults, whatever an earlier install (hack/quickstart.sh) set.
log "helm upgrade --install $E2E_RELEASE"
helm upgrade --install "$E2E_RELEASE" "$root/charts/imcluster-operator" \
  --namespace "$E2E_NAMESPACE" --create-namespace --reset-values ${E2E_HELM_ARGS:-} >/dev/null

for f in "$root"/e2e/checks.d/$glob.sh; do
  [ -f "$f" ] || continue
  export E2E_CHECK; E2E_CHECK="$(basename "$f" .sh)"
  log "$E2E_CHECK"
  started=$SECONDS
  if ! bash -c 'set -uo pipefail; . "$1/e2e/lib.sh"; . "$2"' _ "$root" "$f"; then
    echo "FAIL $E2E_CHECK: the check file exited non-zero" | tee -a "$E2E_RESULTS"
  fi
  log "$E2E_CHECK took $((SECONDS - started)) s"
done

passed="$(grep -c '^PASS' "$E2E_RESULTS" || true)"
failed="$(grep -c '^FAIL' "$E2E_RESULTS" || true)"
# Every failure again at the end, where a truncated log still shows it (the details are above, under its check).
[ "$failed" = 0 ] || { log "failed checks:"; grep '^FAIL' "$E2E_RESULTS" >&2; }
rm -f "$E2E_RESULTS"
log "e2e took $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
