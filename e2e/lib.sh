# Helpers for e2e/checks.d/*.sh (sourced by run.sh for each check file).
# shellcheck shell=bash
# shellcheck source=hack/lib.sh
. "$E2E_ROOT/hack/lib.sh"

# t "what is checked" command...   runs the command, records PASS/FAIL in $E2E_RESULTS, never exits.
t() {
  local name="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    echo "PASS $E2E_CHECK: $name" | tee -a "$E2E_RESULTS"
  else
    echo "FAIL $E2E_CHECK: $name" | tee -a "$E2E_RESULTS"
    printf '%s\n' "$out" | tail -15 | sed 's/^/     | /'
  fi
}

# eventually SECONDS command...   retries the command every second until it succeeds or time runs out.
eventually() {
  local timeout="$1"; shift
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 1
  done
}

# jp RESOURCE JSONPATH [kubectl args...]   prints a field of an object.
jp() { local r="$1" p="$2"; shift 2; kubectl get "$r" "$@" -o "jsonpath=$p"; }

# equals EXPECTED COMMAND...   the command's output is exactly EXPECTED.
equals() { local want="$1" got; shift; got="$("$@")" || return 1; [ "$got" = "$want" ] || { echo "want '$want', got '$got'"; return 1; }; }

# can NS:SA VERB RESOURCE[.GROUP] [-n NAMESPACE] [--subresource SUB]   a SubjectAccessReview allows it.
# (A review, not `kubectl auth can-i`: that needs the resource to be discoverable, e.g. servicemonitors.)
can() {
  local sa="$1" verb="$2" res="$3" group="" ns="" sub=""; shift 3
  case "$res" in *.*) group="${res#*.}"; res="${res%%.*}" ;; esac
  while [ $# -gt 0 ]; do
    case "$1" in
      -n) ns="$2"; shift 2 ;;
      --subresource) sub="$2"; shift 2 ;;
      -A) shift ;;
      *) echo "can: unknown argument $1" >&2; return 2 ;;
    esac
  done
  local allowed
  allowed="$(kubectl create -o jsonpath='{.status.allowed}' -f - <<JSON
{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
 "spec": {"user": "system:serviceaccount:$sa", "groups": ["system:serviceaccounts", "system:authenticated"],
          "resourceAttributes": {"verb": "$verb", "group": "$group", "resource": "$res",
                                 "subresource": "$sub", "namespace": "$ns"}}}
JSON
)"
  [ "$allowed" = true ]
}
cannot() { ! can "$@"; }

# --- the operator and PubSubClusters ---------------------------------------------------------------------------
op="$E2E_ROOT/e2e/operator-process.sh"
# Starts the operator process unless it is running (a check run alone, e.g. `e2e/run.sh '63*'`, still has one).
ensure_operator() { "$op" status >/dev/null 2>&1 || "$op" start; }
operator_url() { echo "http://127.0.0.1:$(cat "${IMCLUSTER_STATE:?}/operator-$E2E_RELEASE/port")$1"; }

# serving_pod_ips NS PSC ROLE   the addresses of a role's pods that are ready and not going away: a pod being
# deleted (a rollout's old one, draining) stays ready until it goes, and refuses new clients meanwhile.
serving_pod_ips() {
  kubectl -n "$1" get pods -l "app.kubernetes.io/instance=$2,app.kubernetes.io/component=$3" -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==true)]}{.metadata.deletionTimestamp}{" "}{.status.podIP}{"\n"}{end}' \
    | awk '/^ / { print $1 }'
}

# condition NS PSC TYPE   prints the status of a PubSubCluster's condition.
condition() { kubectl -n "$1" get psc "$2" -o "jsonpath={.status.conditions[?(@.type==\"$3\")].status}"; }
# condition_is NS PSC TYPE STATUS
condition_is() { equals "$4" condition "$1" "$2" "$3"; }
# condition_reason NS PSC TYPE   prints the reason of a PubSubCluster's condition.
condition_reason() { kubectl -n "$1" get psc "$2" -o "jsonpath={.status.conditions[?(@.type==\"$3\")].reason}"; }

# owned NS PSC KIND/NAME   the object exists with a controller owner reference to the PubSubCluster (by uid).
owned() {
  local uid ref
  uid="$(kubectl -n "$1" get psc "$2" -o jsonpath='{.metadata.uid}')" || return 1
  ref="$(kubectl -n "$1" get "$3" -o jsonpath='{range .metadata.ownerReferences[?(@.controller==true)]}{.kind}/{.name}/{.uid}{end}')" \
    || return 1
  [ "$ref" = "PubSubCluster/$2/$uid" ] || { echo "$3: controller owner reference '$ref', want PubSubCluster/$2/$uid"; return 1; }
}

# template_hash NS DEPLOYMENT   a hash of the Deployment's pod template (what decides a rollout).
template_hash() {
  kubectl -n "$1" get deployment "$2" -o json |
    python3 -c 'import hashlib, json, sys; print(hashlib.sha256(json.dumps(json.load(sys.stdin)["spec"]["template"], sort_keys=True).encode()).hexdigest()[:16])'
}

# owned_objects NS PSC   "kind/name generation resourceVersion" of every object the operator owns for PSC.
OWNED_KINDS=configmaps,services,serviceaccounts,secrets,deployments.apps,statefulsets.apps,poddisruptionbudgets.policy,networkpolicies.networking.k8s.io
owned_objects() {
  kubectl -n "$1" get "$OWNED_KINDS" -l "app.kubernetes.io/instance=$2,app.kubernetes.io/managed-by=imcluster-operator" \
    -o jsonpath='{range .items[*]}{.kind}/{.metadata.name} {.metadata.generation} {.metadata.resourceVersion}{"\n"}{end}' | sort
}

# fake_pods_ready NS   marks every pod of NS Running and Ready through the status subresource (no kubelet here),
# so the ReplicaSet, Deployment and StatefulSet controllers count them ready for real.
fake_pods_ready() {
  local p
  for p in $(kubectl -n "$1" get pods -o name); do
    fake_pod_ready "$1" "$p" True || return 1
  done
}

# fake_pod_ready NS POD True|False   marks one pod Running, Ready or not, as the kubelet does when its readiness
# probe passes or fails.
fake_pod_ready() {
  kubectl -n "$1" patch "$2" --subresource=status --type=merge -p '{"status":{"phase":"Running","conditions":[
    {"type":"PodScheduled","status":"True"},{"type":"Initialized","status":"True"},
    {"type":"ContainersReady","status":"'"$3"'"},{"type":"Ready","status":"'"$3"'"}]}}' >/dev/null
}

# operator_log_lacks REGEX   no line of the operator's log matches REGEX (an awk regex, case-insensitive);
# otherwise prints the first three matches, shortened.
operator_log_lacks() {
  "$op" log | awk -v re="$1" 'tolower($0) ~ re { if (n++ < 3) print substr($0, 1, 700) } END { exit n > 0 }'
}

# For a check whose pods run as real processes (as in 70-node-agent): sets op, agent, jar, state and hosts, starts
# the operator process and the node agent, and fails (the check then returns) when a jar is missing or the
# operator has nothing to run yet, or either did not start.
local_node_up() {
  op="$E2E_ROOT/e2e/operator-process.sh" agent="$E2E_ROOT/hack/node-agent/node-agent.sh"
  jar="$E2E_ROOT/broker-image/target/imcluster-broker.jar"
  state="${IMCLUSTER_STATE:?}/node-agent"
  hosts="$state/hosts"
  [ -f "$jar" ] && [ -f "$E2E_ROOT/node-agent/target/imcluster-node-agent.jar" ] \
    || { echo "     (skipped: no broker or node agent jar)"; return 1; }
  local rc=0; "$op" start || rc=$?
  if [ $rc = 3 ]; then echo "     (skipped: the operator module has nothing to run yet)"; return 1; fi
  t "the operator process starts" test $rc = 0
  t "the node agent starts and its node is Ready" "$agent" start
  [ $rc = 0 ]
}

# The helpers below are for checks on the local node (after local_node_up), with ns and psc naming the cluster.
# processes [PART]   live pod processes of $ns, from the agent's pid files (only pods whose name contains PART).
processes() { local n=0 f; for f in "$state"/pods/"${ns}"_*"${1:-}"*/pid; do
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && n=$((n + 1)); done; echo $n; }
# push_token   the cluster's internal token (a generated Secret), which guards logic's push API.
push_token() { kubectl -n "$ns" get secret "$psc-internal-token" -o jsonpath='{.data.token}' | base64 -d; }
# demo [ARGS...]   DemoClient: messages pushed through logic's Service must reach a goim WebSocket client on each
# serving comet and a gRPC subscriber through comet's Service; ARGS are added (e.g. --messages 10).
demo() {
  local args=(--push "http://$psc-logic.$ns.svc:3111" --grpc "dns:///$psc-comet.$ns.svc:3100" --timeout 120) ip
  for ip in $(serving_pod_ips "$ns" "$psc" comet); do args+=(--ws "ws://$ip:3102/sub"); done
  IMCLUSTER_PUSH_TOKEN="$(push_token)" java -Djdk.net.hosts.file="$hosts" -cp "$jar" \
    dev.imcluster.broker.demo.DemoClient "${args[@]}" "$@"
}
# local_node_down   deletes the cluster and checks that its pods and processes go, then stops the node agent and the
# operator process and deletes the namespace.
local_node_down() {
  kubectl -n "$ns" delete psc "$psc" --wait=false >/dev/null
  t "deleting the PubSubCluster removes its pods" eventually 180 bash -c "[ -z \"\$(kubectl -n $ns get pods -o name)\" ]"
  t "deleting the PubSubCluster stops every process" eventually 60 equals 0 processes
  "$agent" stop
  "$op" stop
  kubectl delete namespace "$ns" --wait=false >/dev/null
}
# apply_cluster   creates $ns if needed and applies the PubSubCluster $psc server-side; its spec (the lines under
# "spec:", indented two spaces) is read from standard input.
apply_cluster() {
  kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  { printf 'apiVersion: pubsub.imcluster.dev/v1alpha1\nkind: PubSubCluster\nmetadata:\n  name: %s\nspec:\n' "$psc"; cat; } \
    | kubectl -n "$ns" apply --server-side -f - >/dev/null
}
# start_traffic LOG STOPFILE [RATE]   DemoSwapTraffic in the background (its pid in $traffic): RATE pushes a second
# (20) through logic's Service to a goim WebSocket client and a gRPC subscriber on each serving comet, until STOPFILE
# exists; then it waits for the last deliveries and exits 0 only if every acknowledged push reached every receiver.
start_traffic() {
  local receivers=() ip
  for ip in $(serving_pod_ips "$ns" "$psc" comet); do receivers+=(--ws "ws://$ip:3102/sub" --grpc "$ip:3100"); done
  IMCLUSTER_PUSH_TOKEN="$(push_token)" java -Djdk.net.hosts.file="$hosts" -Dsun.net.inetaddr.ttl=0 -Xmx128m \
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$jar" dev.imcluster.broker.demo.DemoSwapTraffic \
    --push "http://$psc-logic.$ns.svc:3111" "${receivers[@]}" --stop-file "$2" --rate "${3:-20}" >"$1" 2>&1 &
  traffic=$!
}
# finish_traffic WHAT   stops the traffic of start_traffic ("$work/stop", "$work/traffic.log") and checks that every
# acknowledged push reached every receiver ("published = delivered WHAT"); on failure keeps the log in $state.
finish_traffic() {
  local rc=0
  touch "$work/stop"
  wait "$traffic" || rc=$?
  t "published = delivered $1: every acknowledged push reached every receiver" test $rc = 0
  grep -E '^(final|OK|MISS|FAIL|ALL|LOST)' "$work/traffic.log" | sed 's/^/     | /'
  [ $rc = 0 ] || { tail -30 "$work/traffic.log"; cp "$work/traffic.log" "$state/$ns-traffic.log" 2>/dev/null
    echo "     (traffic.log kept as $state/$ns-traffic.log)"; }
}
# acked   how many pushes the traffic of start_traffic ("$work/traffic.log") had acknowledged at its last progress
# line (every 5 s); acked_over N [COUNT]   whether that (or COUNT) is above N.
acked() { grep -E '^progress' "$work/traffic.log" | tail -1 | sed -E 's/.*acknowledged ([0-9]+).*/\1/'; }
acked_over() { [ "${2:-$(acked)}" -gt "$1" ]; }
