# Internal mutual TLS over its whole life on the local control plane, every pod a real process (the node agent, as in
# 70-node-agent, which refreshes mounted Secrets as a kubelet does): a PubSubCluster on the managed NATS (JetStream on
# a PVC) created with spec.tls.internal on and a 6-minute certificate lifetime (renewed 5 minutes before expiry, so
# about every minute). It becomes Ready with nats-server serving TLS only. Under steady traffic to a goim WebSocket
# client and a gRPC subscriber on each comet, the certificates are renewed at least twice: every role reloads its new
# certificate with no restart, no client is dropped and every acknowledged push arrives (the managed NATS and Redis
# roll onto their renewed certificates meanwhile). Before that, each internal port of the real processes (comet's and
# logic's internal gRPC, the managed Redis) refuses a caller with no client certificate or one of another CA. Then internal TLS is switched off in place: server-side apply on
# the real API server removes the certificate volumes, mounts and TLS arguments, and messages flow in plaintext.
local_node_up || return 0

ns=e2e-internal-tls psc=mtls  # not another check's name: the hosts file maps short Service names across namespaces
work="$(mktemp -d)"
apply_cluster <<YAML
  comet: {replicas: 2}
  logic: {replicas: 1}
  job: {replicas: 1}
  mq:
    backend: nats
    nats: {managed: true, storage: 1Gi}
  redis: {managed: {}}
  tls:
    internal: {enabled: true, certificateLifetime: 6m, renewBefore: 5m}
YAML

ready_pods() { serving_pod_ips $ns $psc "$1"; }

t "a cluster created with internal TLS on managed NATS reaches Ready=True" \
  kubectl -n $ns wait psc/$psc --for=condition=Ready --timeout=300s
t "the managed NATS serves TLS only and requires client certificates (--tlsverify)" eventually 30 bash -c \
  "pgrep -af 'nats-server .*$state/pods/${ns}_$psc-nats-0' | grep -q -- '--tlsverify'"
t "the roles dial the managed NATS over TLS" bash -c \
  "kubectl -n $ns get cm $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -q 'tls://$psc-nats:4222'"
t "JetStream's data is a PVC (storage 1Gi)" equals 1Gi \
  jp "sts/$psc-nats" '{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}' -n $ns
t "pushes travel through NATS over mTLS and reach goim WebSocket clients and a gRPC subscriber" demo

# --- Every internal port of the real processes refuses a caller without a valid client certificate -----------------
# comet's 3109 and logic's 3119 ask for a client certificate at the handshake (health checks and logic's public
# Publish share the port), and their internal services refuse a call without one of the cluster's CA. Each call
# carries the internal token, so only the certificate decides. The managed Redis requires a certificate at the
# handshake (openssl s_client). The role's own certificate is the control.
for f in ca.crt tls.crt tls.key; do
  kubectl -n $ns get secret $psc-comet-internal-tls -o jsonpath="{.data.${f//./\\.}}" | base64 -d >"$work/$f"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=intruder -days 1 \
  -keyout "$work/other.key" -out "$work/other.crt" 2>/dev/null
authority="$(kubectl -n $ns get cm $psc-config -o jsonpath='{.data.broker\.yaml}' | awk '$1 == "serverName:" { gsub(/"/, "", $2); print $2; exit }')"
# grpc_probe ROLE ADDR:PORT [CERT KEY]   one internal call with the token; prints its status, fails unless OK.
grpc_probe() { IMCLUSTER_INTERNAL_TOKEN="$(push_token)" java -cp "$jar" "$E2E_ROOT/e2e/fixtures/InternalCallProbe.java" \
  "$1" "$2" "$authority" "$work/ca.crt" "${@:3}" 2>&1; }
call_refused() { local want="$1" out; shift; out="$(grpc_probe "$@")" && { echo "accepted: $out"; return 1; }
  grep -qE "$want" <<<"$out" || { echo "refused otherwise: $out"; return 1; }; }
# tls_probe ADDR:PORT [CERT KEY]   the handshake as s_client reports it, holding the connection open for 2 s.
tls_probe() { local with=(); [ -n "${2:-}" ] && with=(-cert "$2" -key "$3")
  sleep 2 | timeout 15 openssl s_client -connect "$1" -CAfile "$work/ca.crt" "${with[@]}" -brief 2>&1 | tr -d '\0'; }
tls_refused() { local out; out="$(tls_probe "$@")"; grep -q 'alert' <<<"$out" || { echo "not refused: $out"; return 1; }; }
tls_accepted() { local out; out="$(tls_probe "$@")"
  grep -q 'Verification: OK' <<<"$out" && ! grep -q 'alert' <<<"$out" || { echo "refused: $out"; return 1; }; }
for entry in "comet $(ready_pods comet | head -1):3109" "logic $(ready_pods logic | head -1):3119"; do
  read -r role addr <<<"$entry"
  t "$role's internal gRPC ($addr) refuses a call with the token but no client certificate" \
    call_refused 'UNAUTHENTICATED: .*client certificate' "$role" "$addr"
  t "$role's internal gRPC ($addr) refuses a client certificate of another CA" \
    call_refused 'UNAUTHENTICATED: .*client certificate|UNAVAILABLE' "$role" "$addr" "$work/other.crt" "$work/other.key"
  t "$role's internal gRPC ($addr) answers a role's certificate with the token (the control)" \
    eventually 60 grpc_probe "$role" "$addr" "$work/tls.crt" "$work/tls.key"
done
redis_addr="$(jp pod/$psc-redis-0 '{.status.podIP}' -n $ns):6379"
t "the managed Redis ($redis_addr) refuses a caller without a client certificate at the handshake" tls_refused "$redis_addr"
t "the managed Redis refuses a client certificate of another CA" tls_refused "$redis_addr" "$work/other.crt" "$work/other.key"
t "the managed Redis accepts a role's certificate (the control)" tls_accepted "$redis_addr" "$work/tls.crt" "$work/tls.key"

# --- Rotation under traffic ---------------------------------------------------------------------------------------
role_pods() { kubectl -n $ns get pods -l "app.kubernetes.io/instance=$psc,app.kubernetes.io/component in (comet,logic,job)" \
  -o jsonpath='{range .items[*]}{.metadata.name}/{.metadata.uid}/{.status.containerStatuses[0].restartCount}{"\n"}{end}' | sort; }
pods_before="$(role_pods)"
nats_uid_before="$(jp pod/$psc-nats-0 '{.metadata.uid}' -n $ns)"
start_traffic "$work/traffic.log" "$work/stop"
t "traffic flows: every receiver on both comets gets a warm-up push" \
  eventually 150 grep -q '^publishing at' "$work/traffic.log"

# Each distinct certificate the comet role's Secret held, sampled every 2 s.
cert_of() { kubectl -n $ns get secret "$psc-$1-internal-tls" -o jsonpath='{.data.tls\.crt}' | sha256sum | cut -c1-16; }
seen_certs() { [ -f "$work/certs" ] && sort -u "$work/certs" | wc -l || echo 0; }
renewed_twice() { cert_of comet >>"$work/certs"; [ "$(seen_certs)" -ge 3 ]; }
t "the comet certificate is renewed twice under traffic (lifetime 6m, renewBefore 5m)" \
  eventually 330 renewed_twice
t "each renewal is announced: CertificateRotated Events with reason expiring" bash -c \
  "[ \$(kubectl -n $ns get events --field-selector involvedObject.name=$psc,reason=CertificateRotated -o jsonpath='{range .items[*]}{.message}{\"\\n\"}{end}' | grep -c 'comet role.*(expiring)') -ge 2 ]"
t "the operator counts them: imcluster_operator_certificate_rotations_total{certificate=comet,reason=expiring} >= 2" \
  bash -c "curl -fsS '$(operator_url /metrics)' | awk '/^imcluster_operator_certificate_rotations_total\\{/ && /certificate=\"comet\"/ && /reason=\"expiring\"/ { n += \$NF } END { exit !(n >= 2) }'"
# The certificate a role's pods serve: the notAfter of its Secret, as each pod's metrics report it.
secret_not_after() { kubectl -n $ns get secret "$psc-$1-internal-tls" -o jsonpath='{.data.tls\.crt}' | base64 -d \
  | openssl x509 -noout -enddate | cut -d= -f2 | xargs -I{} date -u -d {} +%s; }
serves_current() { local want ip port got
  want="$(secret_not_after "$1")"
  port=$(kubectl -n $ns get deploy $psc-$1 -o jsonpath='{.spec.template.spec.containers[0].ports[?(@.name=="admin")].containerPort}')
  for ip in $(ready_pods "$1"); do
    got="$(curl -fsS "http://$ip:$port/metrics" | awk '/^imcluster_tls_certificate_not_after_seconds\{/ && /certificate="internal"/ { printf "%d", $NF }')"
    [ "$got" = "$want" ] || { echo "$1 pod $ip serves notAfter $got, its Secret holds $want"; return 1; }
  done; }
for role in comet logic job; do
  t "every $role pod serves its renewed certificate, reloaded from the updated volume" eventually 90 serves_current $role
done
reloads() { local ip port n
  port=$(kubectl -n $ns get deploy $psc-$1 -o jsonpath='{.spec.template.spec.containers[0].ports[?(@.name=="admin")].containerPort}')
  for ip in $(ready_pods "$1"); do
    n="$(curl -fsS "http://$ip:$port/metrics" | awk '/^imcluster_tls_reloads_total\{/ && /certificate="internal"/ && /result="success"/ { printf "%d", $NF }')"
    [ "${n:-0}" -ge 2 ] || { echo "$1 pod $ip reloaded ${n:-0} times"; return 1; }
  done; }
for role in comet logic job; do
  t "every $role pod reloaded its certificate at least twice (imcluster_tls_reloads_total)" reloads $role
done
t "no role pod restarted or was replaced: same pods, same restart counts" equals "$pods_before" role_pods
t "the managed NATS rolled onto its renewed certificate (a new pod)" bash -c \
  "[ \"\$(kubectl -n $ns get pod $psc-nats-0 -o jsonpath='{.metadata.uid}')\" != '$nats_uid_before' ]"
t "the cluster is Ready after the renewals" eventually 180 condition_is $ns $psc Ready True

touch "$work/stop"
trc=0; wait $traffic || trc=$?
t "zero lost across the renewals: every acknowledged push reached every receiver on both comets" test $trc = 0
t "no client was dropped: no WebSocket closed and no gRPC stream ended" bash -c \
  "! grep -E '^\\[' '$work/traffic.log' | grep -v '] authenticated' | grep -q ."
grep -E '^(final|OK|MISS|FAIL|ALL|LOST)' "$work/traffic.log" | sed 's/^/     | /'
[ $trc = 0 ] || { tail -30 "$work/traffic.log"; cp "$work/traffic.log" "$state/internal-tls-traffic.log" 2>/dev/null
  echo "     (traffic.log kept as $state/internal-tls-traffic.log)"; }

# --- Internal TLS switched off --------------------------------------------------------------------------------------
# The spec loses tls altogether (a merge patch with null); the operator's server-side apply leaves out the volumes,
# mounts and arguments, and the API server removes the fields it owned.
t "kubectl patch psc: spec.tls removed" kubectl -n $ns patch psc $psc --type merge -p '{"spec":{"tls":null}}'
for role in comet logic job; do
  t "TLS off: $role's pod template no longer mounts a certificate" eventually 60 bash -c \
    "! kubectl -n $ns get deploy $psc-$role -o jsonpath='{.spec.template.spec.volumes[*].name} {.spec.template.spec.containers[0].volumeMounts[*].name}' | grep -qw internal-tls"
  t "TLS off: $role rolled out" kubectl -n $ns rollout status deployment/$psc-$role --timeout=300s
done
t "TLS off: the config has no internal TLS and dials NATS in plaintext" eventually 60 bash -c \
  "c=\"\$(kubectl -n $ns get cm $psc-config -o jsonpath='{.data.broker\.yaml}')\"; ! grep -q 'internalTls' <<<\"\$c\" && grep -q 'nats://$psc-nats:4222' <<<\"\$c\""
t "TLS off: the managed NATS's template has no TLS arguments or certificate volume" eventually 60 bash -c \
  "! kubectl -n $ns get sts $psc-nats -o jsonpath='{.spec.template.spec.containers[0].args} {.spec.template.spec.volumes[*].name}' | grep -qE 'tlsverify|internal-tls'"
t "TLS off: the managed NATS rolled" kubectl -n $ns rollout status statefulset/$psc-nats --timeout=300s
t "TLS off: the managed NATS runs without TLS" eventually 60 bash -c \
  "pgrep -af 'nats-server .*$state/pods/${ns}_$psc-nats-0' | grep -qv -- '--tls'"
t "TLS off: the managed Redis rolled back to plaintext" kubectl -n $ns rollout status statefulset/$psc-redis --timeout=300s
t "TLS off: Ready=True" eventually 180 condition_is $ns $psc Ready True
t "TLS off: pushes reach goim WebSocket clients and a gRPC subscriber in plaintext" demo

local_node_down
rm -rf "$work"
