#!/usr/bin/env bash
# The operator at scale on the real local control plane: a fresh hack/local-cluster.sh (its own state dir, removed
# at the end), the chart's CRD and RBAC, the operator as a local process (e2e/operator-process.sh) with the heap
# the chart's memory limit gives it, then `imcluster-bench operator-scale`: 20 PubSubClusters created one at a
# time, 500 at once, the operator's CPU and memory with them, and reconciles/s after a restart. Writes a Markdown
# section (default target/bench-work/operator-scale.md) that bench/run-all.sh puts into docs/BENCHMARKS.md.
# About 2-3 minutes on 2 cores.
#
# Usage: bench/operator-scale.sh [extra operator-scale options, e.g. -n 100 --singles 10]
# Env:   OPSCALE_STATE   the control plane's state dir (default: ${IMCLUSTER_STATE:-~/.cache/imcluster/cluster}
#                        with -operator-bench appended); it is purged before and after the run
#        OPSCALE_OUT     the section to write (default target/bench-work/operator-scale.md)
#        OPSCALE_JFR=1   record the operator with JFR (settings=profile) until its restart, and summarize it
#        OPSCALE_KEEP=1  leave the control plane and the operator running at the end (to look around)
#        OPSCALE_HEAP_OPTS  the operator's heap options (default -Xmx256m, what the chart's 512Mi limit gives)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

export IMCLUSTER_STATE="${OPSCALE_STATE:-${IMCLUSTER_STATE:-$IMCLUSTER_CACHE/cluster}-operator-bench}"
# Only the controllers the operator's objects need: the ServiceAccount and token controllers (the operator's
# credentials on 1.20). With the Deployment, ReplicaSet and StatefulSet controllers, 500 clusters would also make
# 2,000 Pods that no kubelet runs, on the same 2 cores as the operator under test.
export IMCLUSTER_CONTROLLERS="${IMCLUSTER_CONTROLLERS:-serviceaccount,serviceaccount-token}"
export E2E_RELEASE=imcluster E2E_NAMESPACE=imcluster-system E2E_OPERATOR_NO_BUILD=1
out="${OPSCALE_OUT:-target/bench-work/operator-scale.md}"
op_state="$IMCLUSTER_STATE/operator-$E2E_RELEASE"
# The chart's memory limit is 512Mi with -XX:MaxRAMPercentage=50: the same heap here, where the host has more.
heap_opts="${OPSCALE_HEAP_OPTS:--Xmx256m}"
jvm_opts="$heap_opts"
jfr="$root/target/bench-work/operator.jfr"
if [ "${OPSCALE_JFR:-0}" = 1 ]; then
  mkdir -p "$(dirname "$jfr")"; rm -f "$jfr"
  jvm_opts+=" -XX:StartFlightRecording=filename=$jfr,settings=profile,dumponexit=true"
fi

cleanup() {
  [ "${OPSCALE_KEEP:-0}" = 1 ] && { log "kept: export IMCLUSTER_STATE=$IMCLUSTER_STATE"; return 0; }
  "$root/e2e/operator-process.sh" stop >/dev/null 2>&1 || true
  "$root/hack/local-cluster.sh" down --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT

jars_stale() {
  local j
  for j in bench/target/imcluster-bench.jar operator/target/imcluster-operator-*.jar; do
    [ -f "$j" ] || return 0
  done
  [ -n "$(find operator/src operator/pom.xml bench/src bench/pom.xml -newer bench/target/imcluster-bench.jar \
    -print -quit)" ]
}
if jars_stale; then
  log "building the operator and bench jars"
  ./mvnw -q -B -pl broker-image,operator,bench -am -DskipTests package
fi

"$root/hack/local-cluster.sh" down --purge >/dev/null 2>&1 || true
eval "$("$root/hack/local-cluster.sh" up)"
helm upgrade --install "$E2E_RELEASE" charts/imcluster-operator --namespace "$E2E_NAMESPACE" --create-namespace \
  --set replicaCount=0 --set leaderElection=false --wait=false >/dev/null
E2E_OPERATOR_JAVA_OPTS="$jvm_opts" "$root/e2e/operator-process.sh" start

# The restart runs without JFR: the recording is written when the first operator process exits.
java -Xmx1g -jar bench/target/imcluster-bench.jar operator-scale \
  --pid-file "$op_state/pid" --operator-log "$op_state/operator.log" \
  --stop-command "$root/e2e/operator-process.sh stop" \
  --start-command "E2E_OPERATOR_JAVA_OPTS='$heap_opts' $root/e2e/operator-process.sh start" \
  --operator-notes "The operator runs as a local process with the chart's settings and RBAC (e2e/operator-process.sh: \
10 reconcile threads, server-side apply) and \`$jvm_opts\`; kube-controller-manager runs only the \
$IMCLUSTER_CONTROLLERS controllers, so no ReplicaSets or Pods are made (no node agent)." \
  --out "$out" "$@"

if [ "${OPSCALE_JFR:-0}" = 1 ] && [ -f "$jfr" ]; then
  java -cp bench/target/imcluster-bench.jar dev.imcluster.bench.run.JfrSummary "$jfr" >"${out%.md}-profile.md" \
    && log "profile summary: ${out%.md}-profile.md"
fi
