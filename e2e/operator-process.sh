#!/usr/bin/env bash
# Runs the operator as a local process against the local cluster, as the chart deploys it but without a
# kubelet: with the token of the ServiceAccount the chart created (so the chart's RBAC is what it gets) and
# the environment of the chart's Deployment (so the chart's settings are what it reads). A test tool.
#
# Usage: e2e/operator-process.sh start | stop | status | log
# Env:   E2E_RELEASE (imcluster), E2E_NAMESPACE (imcluster-system), E2E_OPERATOR_NO_BUILD=1 to use the jar as built,
#        E2E_OPERATOR_JAVA_OPTS (extra JVM options, e.g. -Xmx384m or a JFR recording; bench/operator-scale.sh)
#        E2E_OPERATOR_ENV: extra NAME=value words over the chart's environment (e.g. IMCLUSTER_LEADER_ELECTION=false)
#        E2E_OPERATOR_INSTANCE: another replica of the release (its own state dir and pod name), e.g. b
# Exit 4 from stop: it did not stop within 30 s of SIGTERM.
# Exit 3 from start: the operator module has no main class yet, or its main exits at once with status 0
# (nothing to run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/hack/lib.sh"

release="${E2E_RELEASE:-imcluster}" ns="${E2E_NAMESPACE:-imcluster-system}"
name="$release-imcluster-operator"
# E2E_OPERATOR_INSTANCE: a second (third...) replica of the same release, as the chart's replicaCount would run,
# with its own state directory and pod name (so its own leader-election identity).
instance="${E2E_OPERATOR_INSTANCE:-}"
state="$IMCLUSTER_STATE/operator-$release${instance:+-$instance}"
main_class=dev.imcluster.operator.OperatorMain
export PATH="$TOOLS_BIN_DIR:$PATH"
[ -n "${KUBECONFIG:-}" ] || export KUBECONFIG="$IMCLUSTER_STATE/kubeconfig"

running() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

build() {
  # The jar and its runtime classpath (target/runtime-classpath.txt) come from one reactor build (-am), so the
  # broker, a test dependency of the operator, never has to be in the local Maven repository.
  if [ "${E2E_OPERATOR_NO_BUILD:-0}" != 1 ] || [ ! -s "$root/operator/target/runtime-classpath.txt" ]; then
    maven_package operator || die "the operator build failed"
  fi
  classpath="$(cat "$root/operator/target/runtime-classpath.txt")"
  jar=""
  local j
  for j in "$root"/operator/target/imcluster-operator-*.jar; do
    case "$j" in *-sources.jar|*-tests.jar) ;; *) [ -f "$j" ] && jar="$j" ;; esac
  done
  if [ -z "$jar" ] || ! unzip -l "$jar" "${main_class//.//}.class" >/dev/null 2>&1; then
    echo "operator-process: no $main_class in the operator module yet" >&2
    exit 3
  fi
}

# A kubeconfig for the chart's ServiceAccount: a TokenRequest where the server has it (>= 1.22 by default),
# else the token Secret that the token controller made for it (1.20).
sa_kubeconfig() {
  local token server ca secret
  token="$(kubectl -n "$ns" create token "$name" 2>/dev/null || true)"
  if [ -z "$token" ]; then
    secret="$(kubectl -n "$ns" get serviceaccount "$name" -o jsonpath='{.secrets[0].name}')"
    [ -n "$secret" ] || die "ServiceAccount $ns/$name has no token (is the chart installed?)"
    token="$(kubectl -n "$ns" get secret "$secret" -o jsonpath='{.data.token}' | base64 -d)"
  fi
  server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
  ca="$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')"
  cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$server", certificate-authority: "$ca"}}]
users: [{name: operator, user: {token: "$token"}}]
contexts: [{name: local, context: {cluster: local, user: operator, namespace: "$ns"}}]
current-context: local
EOF
  chmod 600 "$state/kubeconfig"
}

# The Deployment's container env as NAME=value lines; fieldRefs resolved as the kubelet would.
deployment_env() {
  kubectl -n "$ns" get deployment "$name" -o json | python3 -c '
import json, sys
ns, pod = sys.argv[1], sys.argv[2]
for e in json.load(sys.stdin)["spec"]["template"]["spec"]["containers"][0].get("env", []):
    if "value" in e:
        print("%s=%s" % (e["name"], e["value"]))
    elif e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
        print("%s=%s" % (e["name"], ns))
    elif e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name":
        print("%s=%s" % (e["name"], pod))' "$ns" "$name-local${instance:+-$instance}"
}

start() {
  ensure_pkgs curl:curl unzip:unzip python3:python3
  mkdir -p "$state"
  if running; then log "operator already running (pid $(cat "$state/pid"))"; return 0; fi
  build
  sa_kubeconfig
  local port="" envs=() line
  while IFS= read -r line; do envs+=("$line"); done < <(deployment_env)
  # Port 0: the operator binds a free port itself and logs it (a port picked here could be taken meanwhile
  # by another process on this shared machine).
  # HOSTNAME is the pod name in a pod, and JOSDK's leader-election identity: one per replica.
  envs+=("IMCLUSTER_HTTP_PORT=0" "KUBECONFIG=$state/kubeconfig" "HOSTNAME=$name-local${instance:+-$instance}")
  # shellcheck disable=SC2206  # NAME=value words, split on purpose
  [ -z "${E2E_OPERATOR_ENV:-}" ] || envs+=($E2E_OPERATOR_ENV)
  [ -f "$state/operator.log" ] && mv -f "$state/operator.log" "$state/operator.log.1"   # the previous run's
  local jvm_opts=(); read -r -a jvm_opts <<<"${E2E_OPERATOR_JAVA_OPTS:-}"
  setsid env -i PATH="$PATH" HOME="$HOME" "${envs[@]}" \
    java ${jvm_opts[@]+"${jvm_opts[@]}"} -cp "$jar:$classpath" "$main_class" >>"$state/operator.log" 2>&1 </dev/null &
  echo $! >"$state/pid"
  local pid; pid="$(cat "$state/pid")"
  ready_or_gone() {
    ! kill -0 "$pid" 2>/dev/null && return 0
    [ -n "$port" ] || port="$(grep -o -m1 'starting imcluster operator: .* http=[0-9]*' "$state/operator.log" | grep -o '[0-9]*$')"
    [ -n "$port" ] && curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1
  }
  wait_for 90 ready_or_gone || true
  if ! kill -0 "$pid" 2>/dev/null; then
    local rc=0; wait "$pid" 2>/dev/null || rc=$?
    show_log_tail "$state/operator.log"; rm -f "$state/pid"
    # A main that returns at once with success has nothing to run (the module's placeholder).
    [ "$rc" = 0 ] && { echo "operator-process: the operator exited at once with status 0" >&2; exit 3; }
    die "the operator exited with status $rc"
  fi
  echo "$port" >"$state/port"
  if [ -z "$port" ] || ! curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    show_log_tail "$state/operator.log"; stop; die "the operator is not ready after 90 s"
  fi
  log "operator running as $ns/$name (pid $(cat "$state/pid"), http 127.0.0.1:$port, log $state/operator.log)"
}

# Exit 4 when the operator did not stop within 30 s of SIGTERM (it is then killed).
stop() {
  running || { rm -f "$state/pid"; return 0; }
  local pid rc=0 started=$SECONDS; pid="$(cat "$state/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for 30 bash -c "! kill -0 $pid"; then
    log "the operator did not stop within 30 s of SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    rc=4
  else
    log "operator stopped $((SECONDS - started)) s after SIGTERM"
  fi
  rm -f "$state/pid"
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$state/pid"), port $(cat "$state/port"))"; else echo stopped; exit 1; fi ;;
  log) cat "$state/operator.log" ;;
  *) echo "usage: $0 start | stop | status | log" >&2; exit 2 ;;
esac
