# Patching spec.mq.backend (redis -> managed NATS) re-renders the broker config and rolls the roles that read the
# queue (logic and job: a new pod template, hence a new ReplicaSet) but not comet. Only what holds however the
# switch is sequenced is asserted (a migration may go through intermediate states).
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-operator psc=quickstart
eventually 90 owned $ns $psc deployment/$psc-job >/dev/null || { t "quickstart is reconciled (60-operator)" false; return 0; }
# A rollout bumps the Deployment's revision (a new ReplicaSet, or an old one brought back when a template returns).
revision() { jp deployment/$psc-$1 '{.metadata.annotations.deployment\.kubernetes\.io/revision}' -n $ns; }
declare -A tpl rev
for r in comet logic job; do tpl[$r]="$(template_hash $ns $psc-$r)"; rev[$r]="$(revision $r)"; done
comet_gen="$(jp deployment/$psc-comet '{.metadata.generation}' -n $ns)"

# redis -> managed NATS; back to redis when re-run on the same cluster.
from="$(jp psc/$psc '{.status.backend.active}' -n $ns)"; to=nats
[ "$from" = nats ] && to=redis
t "kubectl patch psc: mq.backend ${from:-default} -> $to" \
  kubectl -n $ns patch psc $psc --type=merge -p "{\"spec\":{\"mq\":{\"backend\":\"$to\",\"nats\":{\"managed\":true}}}}"
t "the broker config is re-rendered for $to" eventually 90 bash -c \
  "kubectl -n $ns get configmap $psc-config -o jsonpath='{.data.broker\.yaml}' | grep -q 'backend: $to'"
[ $to = nats ] && t "the managed NATS StatefulSet appears" eventually 60 owned $ns $psc statefulset/$psc-nats
new_template() { ! equals "$2" template_hash $ns $psc-$1 >/dev/null; }
rolled() { [ "$(revision "$1")" -gt "$2" ]; }
for r in logic job; do
  t "$r gets a new pod template" eventually 120 new_template $r "${tpl[$r]}"
  t "$r rolls out (revision ${rev[$r]} -> next: a new ReplicaSet)" eventually 60 rolled $r "${rev[$r]}"
done
t "comet's pod template is unchanged (comet does not read the queue)" equals "${tpl[comet]}" template_hash $ns $psc-comet
t "comet's generation is unchanged" equals "$comet_gen" jp deployment/$psc-comet '{.metadata.generation}' -n $ns
t "comet does not roll out (same revision)" equals "${rev[comet]}" revision comet
t "the printer column shows the new backend" eventually 90 bash -c "kubectl -n $ns get psc $psc --no-headers | grep -q ' $to '"
