# Helpers for e2e/checks.d/*.sh (sourced by run.sh for each check file).
# shellcheck shell=bash

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
