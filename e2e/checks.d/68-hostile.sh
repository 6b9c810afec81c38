# shellcheck disable=SC2154  # op, OWNED_KINDS: set by e2e/lib.sh
# The hostile corpus (e2e/hostile/, see its README) against the real API server, next to a healthy cluster:
# every "rejected" case is refused by the API server itself (kubectl --validate=false, so the verdict is the CRD
# schema's, not kubectl's); every "invalid" case is accepted, flagged SpecValid=False with the expected message and a
# Warning event, and owns nothing; the healthy cluster's objects do not change; a running cluster edited into an
# invalid spec keeps its objects; and the operator is still running and reconciling afterwards.
ensure_operator || { t "the operator is running" false; return 0; }
ns=e2e-hostile dir="$E2E_ROOT/e2e/hostile"
kubectl create namespace $ns --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n $ns apply -f "$dir/setup.yaml" >/dev/null
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null

header() { sed -n "s/^# $1: //p" "$2"; }
name_of() { sed -n 's/^  name: //p' "$1" | head -1; }
apply_case() { kubectl -n $ns apply --server-side --validate=false -f "$1" 2>&1; }
rejected_by_server() {   # FILE MATCH: the apply fails and the server's error names the field
  local out; if out="$(apply_case "$1")"; then echo "accepted: $out"; return 1; fi
  grep -qF "$2" <<<"$out" || { echo "$out" | cut -c1-400; return 1; }
}
spec_invalid_with() {   # NAME MATCH
  [ "$(condition $ns "$1" SpecValid)" = False ] || return 1
  kubectl -n $ns get psc "$1" -o jsonpath='{.status.conditions[?(@.type=="SpecValid")].message}' | grep -qF "$2"
}
foreign_owned() {   # objects of $ns owned by a PubSubCluster other than quickstart
  kubectl -n $ns get "$OWNED_KINDS" -o json | python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    for r in o["metadata"].get("ownerReferences", []):
        if r["kind"] == "PubSubCluster" and r["name"] != "quickstart":
            print(o["kind"] + "/" + o["metadata"]["name"], "owned by", r["name"])'
}
settled() { local a b; a="$(owned_objects $ns quickstart)"; sleep 3; b="$(owned_objects $ns quickstart)"; [ "$a" = "$b" ] && [ -n "$a" ]; }

t "the healthy cluster is reconciled" eventually 90 condition_is $ns quickstart SpecValid True
t "the healthy cluster's objects have settled" eventually 90 settled
before="$(owned_objects $ns quickstart)"

cases=0
for f in "$dir"/*.yaml; do
  [ "$(header expect "$f")" = rejected ] || continue
  cases=$((cases + 1))
  t "rejected by the API server: $(header case "$f") ($(basename "$f"))" rejected_by_server "$f" "$(header match "$f")"
done

invalid=()
for f in "$dir"/*.yaml; do
  [ "$(header expect "$f")" = invalid ] || continue
  cases=$((cases + 1))
  out="$(apply_case "$f")" || { t "accepted by the API server: $(basename "$f")" bash -c "echo '$out'; false"; continue; }
  invalid+=("$f")
done
t "the corpus has at least 50 cases ($cases)" test "$cases" -ge 50
for f in "${invalid[@]}"; do
  t "SpecValid=False: $(header case "$f") ($(basename "$f"))" eventually 90 spec_invalid_with "$(name_of "$f")" "$(header match "$f")"
done
warned() {
  local names f; names="$(kubectl -n $ns get events --field-selector type=Warning,reason=InvalidSpec \
    -o jsonpath='{range .items[*]}{.involvedObject.name}{"\n"}{end}')"
  for f in "${invalid[@]}"; do grep -qxF "$(name_of "$f")" <<<"$names" || { echo "no InvalidSpec event for $(name_of "$f")"; return 1; }; done
}
t "every invalid cluster has a Warning InvalidSpec event" eventually 60 warned
t "no invalid cluster owns any object" equals "" foreign_owned
t "every invalid cluster reports phase Invalid" bash -c "! kubectl -n $ns get psc -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase}{\"\\n\"}{end}' | grep -v '^quickstart=' | grep -v '=Invalid\$'"
t "the healthy cluster's objects did not change" equals "$before" owned_objects $ns quickstart
t "someone else's Deployment (h-taken-job) is not taken over" equals "payments  1" \
  jp deployment/h-taken-job '{.metadata.labels.app} {.metadata.ownerReferences} {.metadata.generation}' -n $ns
t "someone else's ConfigMap (h-taken-config) is not taken over" equals "payments " \
  jp configmap/h-taken-config '{.data.owner} {.metadata.ownerReferences}{.data.config\.yaml}' -n $ns

# A running cluster edited into invalid specs keeps its last good objects; the good spec brings it back.
for c in i05 i10 i17 i21 i26 i31; do
  f="$(ls "$dir"/$c-*.yaml)"
  sed 's/^  name: .*/  name: quickstart/' "$f" | kubectl -n $ns apply --server-side --validate=false -f - >/dev/null
  t "quickstart edited into '$(header case "$f")': SpecValid=False" eventually 60 spec_invalid_with quickstart "$(header match "$f")"
  t "quickstart edited into '$(header case "$f")': its objects did not change" equals "$before" owned_objects $ns quickstart
done
kubectl -n $ns apply --server-side -f "$E2E_ROOT/examples/quickstart.yaml" >/dev/null
t "quickstart back to its good spec: SpecValid=True" eventually 60 condition_is $ns quickstart SpecValid True
t "quickstart back to its good spec: its objects are as before" eventually 30 equals "$before" owned_objects $ns quickstart

t "the operator is still running" "$op" status
kubectl -n $ns patch psc quickstart --type=merge -p '{"spec":{"comet":{"replicas":2}}}' >/dev/null
t "the operator still reconciles: a new edit reaches the Deployment" eventually 60 \
  equals 2 jp deployment/quickstart-comet '{.spec.replicas}' -n $ns
kubectl delete namespace $ns --timeout=120s >/dev/null   # waited for: the node agent (70) runs whatever pods are left
