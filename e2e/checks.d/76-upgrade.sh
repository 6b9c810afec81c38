# A broker upgrade on the local control plane, every pod a real process (the node agent, as in 70-node-agent): with
# 10 goim WebSocket clients on each of 2 comets and a push every 200 ms, spec.image changes. The new image reaches the
# roles one at a time, logic, then comet, then job (a watch on the Deployments records when each template changed),
# and the status says what waits. Each comet closes its clients in waves over comet.reconnectSpread (10 s here,
# set through spec.comet.config): the clients' recorded close times show the spread. Every client reconnects through
# the Service and misses no message pushed after it reconnected, and status reports the new image and version per
# role.
local_node_up || return 0

ns=e2e-upgrade psc=upgrade
old_image=imcluster/broker:e2e-1 new_image=imcluster/broker:e2e-2
work="$(mktemp -d)"
apply_cluster <<YAML
  image: $old_image
  comet:
    replicas: 2
    config: {comet: {reconnectSpread: 10s, reconnectSpreadAbove: 0}}
  logic: {replicas: 1}
  job: {replicas: 1}
  redis: {managed: {}}
YAML

versions() { jp psc/$psc '{.status.logic.version} {.status.comet.version} {.status.job.version}' -n $ns; }

t "the cluster on $old_image reaches Ready=True" kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
t "status reports version e2e-1 for logic, comet and job" equals "e2e-1 e2e-1 e2e-1" versions

follow_args=(--push "http://$psc-logic.$ns.svc:3111" --reconnect "ws://$psc-comet.$ns.svc:3102/sub" --seconds 200)
for ip in $(serving_pod_ips $ns $psc comet); do
  for _ in $(seq 10); do follow_args+=(--ws "ws://$ip:3102/sub"); done
done
IMCLUSTER_PUSH_TOKEN="$(push_token)" java -Djdk.net.hosts.file="$hosts" -Dsun.net.inetaddr.ttl=0 \
  -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$jar" dev.imcluster.broker.demo.DemoFollower \
  "${follow_args[@]}" >"$work/follow.log" 2>&1 &
follower=$!
t "20 clients connected, 10 on each comet" eventually 60 bash -c "[ \$(grep -c 'connection 1 authenticated' '$work/follow.log') = 20 ]"

# Every change of a role's template image, in order, with the time it was seen.
kubectl -n $ns get deploy -l app.kubernetes.io/instance=$psc -w \
  -o jsonpath='{.metadata.name} {.spec.template.spec.containers[0].image}{"\n"}' >"$work/images.log" 2>/dev/null &
watcher=$!
kubectl -n $ns get psc $psc -w -o jsonpath='{.status.conditions[?(@.type=="Progressing")].message}{"\n"}' \
  >"$work/progress.log" 2>/dev/null &
status_watcher=$!
sleep 2
t "kubectl patch psc: spec.image $old_image -> $new_image" \
  kubectl -n $ns patch psc $psc --type merge -p "{\"spec\":{\"image\":\"$new_image\"}}"
t "the upgrade completes: every role reports version e2e-2" eventually 240 equals "e2e-2 e2e-2 e2e-2" versions
t "status reports the new image per role" equals "$new_image $new_image $new_image" \
  jp psc/$psc '{.status.logic.image} {.status.comet.image} {.status.job.image}' -n $ns
t "Ready=True on the new image" eventually 120 condition_is $ns $psc Ready True
kill $watcher $status_watcher 2>/dev/null || true
# The order in which the templates took the new image.
new_order() { awk -v img="$new_image" -v p="$psc-" '$2 == img && !seen[$1]++ { sub(p, "", $1); print $1 }' \
  "$work/images.log" | paste -sd' '; }
t "the new image reached logic, then comet, then job" equals "logic comet job" new_order
t "while they were held, the status said what they waited for" \
  grep -q "job waits for comet to run $new_image" "$work/progress.log"

frc=0; wait $follower || frc=$?
t "every client reconnected and missed no message pushed after it reconnected" test $frc = 0
t "every one of the 20 clients was closed by its comet and reconnected" bash -c \
  "[ \$(grep -c 'connection 2 authenticated' '$work/follow.log') = 20 ]"
# "closed by ws://IP:3102/sub: N connections over M ms", one line per comet address.
spread_ok() { awk '/^closed by / { n = $(NF-4); ms = $(NF-1)
    if (n >= 8 && ms >= 5000 && ms <= 30000) good++ } END { exit good < 2 }' "$work/follow.log"; }
t "lame duck: each old comet closed its clients over 5-30 s (reconnectSpread 10s), not all at once" spread_ok
grep '^closed by' "$work/follow.log" | sed 's/^/     | /'
[ $frc = 0 ] || tail -30 "$work/follow.log"

local_node_down
rm -rf "$work"
