# Patching spec.mq.backend (redis -> managed NATS) starts the zero-loss migration (docs/BACKEND-SWAP.md): its first
# phase, DualConsume, rolls only job (which now consumes the old and the new backend); logic keeps publishing to the
# old backend until job's rollout is complete, so it must not roll yet; comet never reads the queue. The later
# phases need running pods: they are covered by the process-level swap test (BackendSwapTest) and, on the node
# agent's process pods under traffic, by 75-backend-swap.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-operator psc=quickstart
eventually 90 owned $ns $psc deployment/$psc-job >/dev/null || { t "quickstart is reconciled (60-operator)" false; return 0; }
# A rollout bumps the Deployment's revision (a new ReplicaSet, or an old one brought back when a template returns).
revision() { jp deployment/$psc-$1 '{.metadata.annotations.deployment\.kubernetes\.io/revision}' -n $ns; }
declare -A tpl rev
for r in comet logic job; do tpl[$r]="$(template_hash $ns $psc-$r)"; rev[$r]="$(revision $r)"; done
comet_gen="$(jp deployment/$psc-comet '{.metadata.generation}' -n $ns)"

from="$(jp psc/$psc '{.status.backend.active}' -n $ns)"
if [ "$from" != redis ]; then t "quickstart starts on redis (got '${from}')" false; return 0; fi
t "kubectl patch psc: mq.backend redis -> nats" \
  kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"mq":{"backend":"nats","nats":{"managed":true}}}}'
t "status: migration redis -> nats in phase DualConsume" eventually 90 bash -c \
  "kubectl -n $ns get psc $psc -o jsonpath='{.status.backend.migration.from}>{.status.backend.migration.to}:{.status.backend.migration.phase}' | grep -qx 'redis>nats:DualConsume'"
t "the Migrating condition is True" eventually 60 condition_is $ns $psc Migrating True
t "the managed NATS StatefulSet appears" eventually 60 owned $ns $psc statefulset/$psc-nats
job_env() { jp deployment/$psc-job "{.spec.template.spec.containers[0].env[?(@.name==\"$1\")].value}" -n $ns; }
t "job's pod template consumes nats and, until drained, redis" eventually 90 bash -c \
  "[ \"\$(kubectl -n $ns get deployment/$psc-job -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name==\"IMCLUSTER__MQ__BACKEND\")].value}/{.spec.template.spec.containers[0].env[?(@.name==\"IMCLUSTER__MQ__PREVIOUS__BACKEND\")].value}')\" = nats/redis ]"
rolled() { [ "$(revision "$1")" -gt "$2" ]; }
t "job rolls out (revision ${rev[job]} -> next: a new ReplicaSet)" eventually 60 rolled job "${rev[job]}"
t "logic's pod template is unchanged while job's rollout is incomplete (it still publishes to redis)" \
  equals "${tpl[logic]}" template_hash $ns $psc-logic
t "the config still names redis as the backend logic publishes to" bash -c \
  "kubectl -n $ns get configmap $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -q 'backend: redis'"
t "comet's pod template is unchanged (comet does not read the queue)" equals "${tpl[comet]}" template_hash $ns $psc-comet
t "comet's generation is unchanged" equals "$comet_gen" jp deployment/$psc-comet '{.metadata.generation}' -n $ns
t "comet does not roll out (same revision)" equals "${rev[comet]}" revision comet
