# `kubectl patch` of comet's replicas changes only comet's Deployment: its replicas, not its pod template, and
# leaves logic's and job's generation and pod template alone.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-operator psc=quickstart
eventually 90 owned $ns $psc deployment/$psc-job >/dev/null || { t "quickstart is reconciled (60-operator)" false; return 0; }
declare -A gen tpl
for r in comet logic job; do
  gen[$r]="$(jp deployment/$psc-$r '{.metadata.generation}' -n $ns)"; tpl[$r]="$(template_hash $ns $psc-$r)"
done
cm_before="$(jp configmap/$psc-config '{.metadata.resourceVersion}' -n $ns)"

t "kubectl patch psc: comet replicas 1 -> 3" kubectl -n $ns patch psc $psc --type=merge -p '{"spec":{"comet":{"replicas":3}}}'
t "comet's Deployment gets 3 replicas" eventually 60 equals 3 jp deployment/$psc-comet '{.spec.replicas}' -n $ns
t "comet's pod template is unchanged (scaling rolls nothing)" equals "${tpl[comet]}" template_hash $ns $psc-comet
for r in logic job; do
  t "$r's generation is unchanged" equals "${gen[$r]}" jp deployment/$psc-$r '{.metadata.generation}' -n $ns
  t "$r's pod template is unchanged" equals "${tpl[$r]}" template_hash $ns $psc-$r
done
t "the broker config is not rewritten" equals "$cm_before" jp configmap/$psc-config '{.metadata.resourceVersion}' -n $ns
t "the printer column shows comet 0/3" eventually 60 bash -c "kubectl -n $ns get psc $psc --no-headers | grep -Eq ' 0/3 '"
t "status.comet.replicas follows" eventually 60 equals 3 jp psc/$psc '{.status.comet.replicas}' -n $ns
