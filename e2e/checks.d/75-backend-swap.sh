# Issue 8 on the local cluster: `kubectl patch` of spec.mq.backend under traffic, with every pod a real process (the
# node agent, as in 70-node-agent). A PubSubCluster on Redis Streams (the managed redis-server) is swapped to managed
# NATS JetStream (a nats-server -js the operator creates) while DemoSwapTraffic pushes 20 msg/s (E2E_SWAP_RATE)
# through logic's HTTP API to a goim WebSocket client and a gRPC subscriber on each of 3 comets (logic is replaced
# during the swap: comets that lose it turn unready, and must keep getting their clients' messages). A watch records
# every phase of status.backend.migration with its time; the swap must pass DualConsume, SwitchPublish, Drain
# (decided by the operator's HttpDrainProbe reading GET /migration on the job pod's own address), Finalize and
# Complete. Then a swap to an unreachable Kafka stays in DualConsume with a clear Migrating message, and setting the
# field back cancels it.
# Then a swap back to redis is reverted once logic publishes to redis: it reverses and drains redis. At the end, every
# acknowledged push reached every receiver on every comet: published == delivered, zero lost.
local_node_up || return 0

ns=e2e-swap psc=swap
work="$(mktemp -d)"
apply_cluster <<EOF
  comet: {replicas: 3}
  logic: {replicas: 1}
  job: {replicas: 1}
  mq: {backend: redis}
  redis: {managed: {}}
EOF
t "the cluster on redis reaches Ready=True" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s

pod_ips() { kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component=$1" \
  -o jsonpath='{range .items[?(@.status.containerStatuses[0].ready==true)]}{.status.podIP}{"\n"}{end}'; }
three_comets_ready() { [ "$(pod_ips comet | grep -c .)" = 3 ]; }
t "3 comet pods are ready" eventually 120 three_comets_ready
# Publishes through the logic Service's name (the hosts file follows logic's rollout: no name cache), receives on
# every comet pod (the swap does not touch them, but replaces logic under them).
start_traffic "$work/traffic.log" "$work/stop" "${E2E_SWAP_RATE:-20}"
t "traffic flows: every receiver on every comet gets a warm-up push" \
  eventually 150 grep -q '^publishing at' "$work/traffic.log"

# Every change of status.backend and the Migrating condition (a watch misses no update), with the operator's time of
# each phase (phaseStartedAt).
kubectl -n $ns get psc $psc -w -o jsonpath='{.status.backend.migration.from}>{.status.backend.migration.to} {.status.backend.migration.phase} {.status.backend.migration.phaseStartedAt} active={.status.backend.active} previous={.status.backend.previous} migrating={.status.conditions[?(@.type=="Migrating")].status} | {.status.conditions[?(@.type=="Migrating")].message}{"\n"}' \
  >"$work/phases.log" 2>/dev/null &
watcher=$!
# phases_seen FROM>TO   the distinct phases the watch saw for that migration, in order.
phases_seen() { awk -v m="$1" '$1 == m { print $2 }' "$work/phases.log" | uniq | paste -sd' '; }
phase_is() { equals "$1 $2" jp psc/$psc '{.status.backend.migration.from}>{.status.backend.migration.to} {.status.backend.migration.phase}' -n $ns; }

t "traffic on redis alone: a first progress report" eventually 30 grep -q '^progress' "$work/traffic.log"
before="$(acked)"
t "kubectl patch psc: mq.backend redis -> managed nats, under traffic" \
  kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"mq":{"backend":"nats","nats":{"managed":true}}}}'
t "the swap redis -> nats reaches Complete" eventually 600 phase_is 'redis>nats' Complete
at_complete="$(acked)"
t "status.backend: active nats, previous redis" equals "nats/redis" jp psc/$psc '{.status.backend.active}/{.status.backend.previous}' -n $ns
t "status.backend.migration has startedAt, phaseStartedAt and completedAt" bash -c \
  "kubectl -n $ns get psc $psc -o jsonpath='{.status.backend.migration.startedAt} {.status.backend.migration.phaseStartedAt} {.status.backend.migration.completedAt}' | grep -qE '^[0-9T:-]+Z [0-9T:-]+Z [0-9T:-]+Z$'"
t "the watch saw every phase in order: DualConsume SwitchPublish Drain Finalize Complete" \
  equals "DualConsume SwitchPublish Drain Finalize Complete" phases_seen 'redis>nats'
# Every status update of a running phase says Migrating=True, its message naming that phase.
migrating_in_every_phase() { awk '$1 == "redis>nats" && $2 != "Complete" && !($6 == "migrating=True" && index($0, "phase " $2)) { print; bad = 1 } END { exit bad }' "$work/phases.log"; }
t "while the swap runs, every status update says Migrating=True and names the phase" migrating_in_every_phase
t "Drain ended on the job pods' own GET /migration (HttpDrainProbe): redis drained, lag 0" \
  grep -qE 'redis>nats Finalize .*redis is drained \(job pods \[[^]]+\] report lag 0\)' "$work/phases.log"
t "the Migrating condition is False once Complete" eventually 30 condition_is $ns $psc Migrating False
for reason in BackendChanged MigrationDualConsume MigrationSwitchPublish MigrationDrain MigrationFinalize MigrationComplete; do
  t "an Event $reason was recorded" bash -c \
    "kubectl -n $ns get events --field-selector involvedObject.name=$psc,reason=$reason -o name | grep -q ."
done
t "pushes were acknowledged during the swap (${before:-?} before it, ${at_complete:-?} at Complete)" \
  acked_over $((${before:-0} + 100)) "${at_complete:-0}"
t "the managed NATS pod runs as a nats-server -js process" \
  bash -c "pgrep -f 'nats-server -js .*$state/pods/${ns}_$psc-nats-0' >/dev/null"
t "the cluster is Ready on nats" eventually 120 condition_is $ns $psc Ready True
# The first status seen in each phase: "from>to phase phaseStartedAt active previous | Migrating message".
first_of_each_phase() { awk -v m="$1" '$1 == m && !seen[$2]++' "$work/phases.log" | sed 's/^/     | /' | cut -c1-250; }
echo "     phases seen (redis -> nats):"; first_of_each_phase 'redis>nats'

# A swap that cannot proceed: Kafka at an address nothing listens on. The new job pod never becomes ready, so the
# migration holds in DualConsume (logic keeps publishing to nats) and says how to cancel; setting the field back
# cancels it: logic never published to kafka, so there is nothing to drain there.
dead_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
t "kubectl patch psc: mq.backend nats -> kafka at 127.0.0.1:$dead_port (nothing listens)" \
  kubectl -n $ns patch psc $psc --type=merge -p "{\"spec\":{\"mq\":{\"backend\":\"kafka\",\"kafka\":{\"bootstrapServers\":\"127.0.0.1:$dead_port\"}}}}"
t "the swap nats -> kafka holds in DualConsume" eventually 60 phase_is 'nats>kafka' DualConsume
t "the Migrating condition says what it waits for and how to cancel" eventually 120 bash -c \
  "kubectl -n $ns get psc $psc -o jsonpath='{.status.conditions[?(@.type==\"Migrating\")].message}' | grep -q 'set spec.mq.backend back to nats to cancel'"
# A job pod whose process runs (the new one: nats and kafka) and is not ready.
job_running_unready() { kubectl -n $ns get pods -l app.kubernetes.io/instance=$psc,app.kubernetes.io/component=job \
  -o jsonpath='{range .items[*]}{.status.containerStatuses[0].started}/{.status.containerStatuses[0].ready}{"\n"}{end}' | grep -qx true/false; }
t "a new job pod (nats and kafka) runs but is not ready: kafka is unreachable" eventually 120 job_running_unready
held_at="$(acked)"
t "traffic still flows through nats while the swap holds" eventually 60 acked_over $((${held_at:-0} + 100))
t "still DualConsume, backend.active still nats" equals "nats>kafka DualConsume nats" \
  jp psc/$psc '{.status.backend.migration.from}>{.status.backend.migration.to} {.status.backend.migration.phase} {.status.backend.active}' -n $ns
t "the new job pod is still not ready" job_running_unready
t "kubectl patch psc: mq.backend back to nats (cancel)" \
  kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"mq":{"backend":"nats"}}}'
settled() { equals "nats nats>kafka Cancelled" jp psc/$psc '{.status.backend.active} {.status.backend.migration.from}>{.status.backend.migration.to} {.status.backend.migration.phase}' -n $ns; }
t "the swap ends as Cancelled at once, active nats (nothing to drain in kafka: logic never published there)" \
  eventually 60 settled
t "a MigrationReverted Event was recorded" bash -c \
  "kubectl -n $ns get events --field-selector involvedObject.name=$psc,reason=MigrationReverted -o name | grep -q ."
job_env() { jp deployment/$psc-job '{.spec.template.spec.containers[0].env[?(@.name=="IMCLUSTER__MQ__BACKEND")].value}/{.spec.template.spec.containers[0].env[?(@.name=="IMCLUSTER__MQ__PREVIOUS__BACKEND")].value}' -n $ns; }
t "job's pod template has no backend override left (it consumes the config's backend alone)" eventually 60 equals "/" job_env
t "the config names nats as the backend" bash -c \
  "kubectl -n $ns get configmap $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -q 'backend: nats'"
t "job rolled back: every job pod ready (the unready one is gone), Migrating False" eventually 240 bash -c \
  "[ \"\$(kubectl -n $ns get pods -l app.kubernetes.io/instance=$psc,app.kubernetes.io/component=job -o jsonpath='{range .items[*]}{.status.containerStatuses[0].ready}{\"\\n\"}{end}' | sort -u)\" = true ] && [ \"\$(kubectl -n $ns get psc $psc -o jsonpath='{.status.conditions[?(@.type==\"Migrating\")].status}')\" = False ]"
t "the cluster is Ready on nats" eventually 120 condition_is $ns $psc Ready True
echo "     phases seen (nats -> kafka, cancelled):"; first_of_each_phase 'nats>kafka'

# A revert once logic publishes to the new backend: nats -> redis, set back to nats as soon as the watch shows
# Drain or Finalize (logic has rolled out to redis: every logic pod publishes there). The swap reverses into
# redis -> nats: logic rolls back to nats and job consumes both until redis, where logic published meanwhile, is
# drained.
mark="$(wc -l <"$work/phases.log")"
since_mark() { tail -n +$((mark + 1)) "$work/phases.log"; }
t "kubectl patch psc: mq.backend nats -> redis, under traffic" \
  kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"mq":{"backend":"redis"}}}'
# Read from the watch's file every 0.2 s (no API call): Drain and Finalize may last only seconds.
watched() { local deadline=$((SECONDS + $1)); until since_mark | grep -qE "$2"; do
  [ $SECONDS -ge $deadline ] && return 1; sleep 0.2; done; }
t "the swap nats -> redis reaches Drain or Finalize: logic rolled out to publish to redis" \
  watched 300 '^nats>redis (Drain|Finalize) '
t "kubectl patch psc: mq.backend back to nats while logic publishes to redis (revert)" \
  kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"mq":{"backend":"nats"}}}'
t "the reversed swap redis -> nats reaches Complete" eventually 600 phase_is 'redis>nats' Complete
t "status.backend: active nats, previous redis" equals "nats/redis" jp psc/$psc '{.status.backend.active}/{.status.backend.previous}' -n $ns
reversal_phases() { since_mark | awk '$1 == "redis>nats" { print $2 }' | uniq | paste -sd' '; }
t "the reversal passed SwitchPublish Drain Finalize Complete" equals "SwitchPublish Drain Finalize Complete" reversal_phases
t "its Drain ended on the job pods' GET /migration: redis (where logic published meanwhile) drained" bash -c \
  "tail -n +$((mark + 1)) '$work/phases.log' | grep -qE '^redis>nats Finalize .*redis is drained \\(job pods \\[[^]]+\\] report lag 0\\)'"
t "a second MigrationReverted Event (the cancel's, then this revert's)" bash -c \
  "[ \$(kubectl -n $ns get events --field-selector involvedObject.name=$psc,reason=MigrationReverted -o name | wc -l) -ge 2 ]"
echo "     phases seen (nats -> redis, reverted into redis -> nats):"
since_mark | awk '$1 != ">" && !seen[$1 $2]++' | sed 's/^/     | /' | cut -c1-250

# Zero loss: stop publishing, let the last pushes arrive, compare.
touch "$work/stop"
trc=0; wait $traffic || trc=$?
kill $watcher 2>/dev/null || true
t "zero lost: every acknowledged push reached the WebSocket client and the gRPC subscriber on each of the 3 comets" \
  test $trc = 0
grep -E '^(final|OK|MISS|FAIL|ALL|LOST)' "$work/traffic.log" | sed 's/^/     | /'
[ $trc = 0 ] || { tail -30 "$work/traffic.log"; cp "$work/traffic.log" "$work/phases.log" "$state/" 2>/dev/null
  echo "     (traffic.log and phases.log kept in $state/)"; }

local_node_down
rm -rf "$work"
