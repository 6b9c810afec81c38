#!/usr/bin/env bash
# Static checks of the Helm chart: `helm lint --strict` in both RBAC modes with every optional object on,
# values.schema.json rejecting bad values (wrong type, unknown enum value, unknown key) in `helm lint` and
# `helm template` with a message naming the key, the rendered ServiceMonitor labels, logging switch and
# `helm test` Pod, promtool on the rendered PrometheusRule and its unit tests (hack/alert-tests), the dashboard's JSON, every values.yaml key documented
# in the chart's README and its values table generated from values.yaml + values.schema.json
# (hack/chart-readme.py --check), and the chart's CRDs equal to crds/ (skipped, with a note, while crds/ does not
# exist). The RBAC rules themselves are checked against the operator's code by ChartRbacTest (operator module).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"
root="$(cd "$here/.." && pwd)"
chart="$root/charts/imcluster-operator"
"$here/k8s-binaries.sh" tools >/dev/null
ensure_pkgs promtool:prometheus /usr/bin/python3:python3 /usr/lib/python3/dist-packages/yaml/__init__.py:python3-yaml
py=/usr/bin/python3  # Debian's, with python3-yaml
export PATH="$TOOLS_BIN_DIR:$PATH"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

all_on=(--set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true)
helm lint --strict "$chart" >/dev/null
helm lint --strict "$chart" "${all_on[@]}" >/dev/null
helm lint --strict "$chart" "${all_on[@]}" --set 'watchNamespaces={team-a,team-b}' >/dev/null
helm lint --strict "$chart" --set leaderElection=false --set logging.json=false --set tests.enabled=false >/dev/null
echo "helm lint: clean (cluster-wide and namespaced)"

# values.schema.json: a bad values file fails lint and template, and the message names the key.
bad_values() {  # NAME EXPECTED-MESSAGE-FRAGMENT; the values file on stdin
  local f="$tmp/bad-$1.yaml" out cmd
  cat >"$f"
  for cmd in lint template; do
    if out="$(helm $cmd t "$chart" -f "$f" 2>&1)"; then
      die "helm $cmd accepted bad values ($1): $(cat "$f")"
    fi
    grep -qF -- "$2" <<<"$out" || die "helm $cmd rejected bad values ($1) without a clear message (wanted: $2): $out"
  done
}
bad_values wrong-type 'replicaCount: Invalid type. Expected: integer, given: string' <<<'replicaCount: two'
bad_values unknown-enum 'image.pullPolicy: image.pullPolicy must be one of the following' <<<$'image:\n  pullPolicy: Sometimes'
bad_values log-level 'logging.level: logging.level must be one of the following' <<<$'logging:\n  level: verbose'
bad_values bool-type 'logging.json: Invalid type. Expected: boolean, given: string' <<<$'logging:\n  json: "yes"'
bad_values unknown-key 'Additional property serviceMonitor is not allowed' <<<$'serviceMonitor:\n  labels: {release: x}'
bad_values bad-label 'metrics.serviceMonitor.labels.release: Does not match pattern' <<<$'metrics:\n  serviceMonitor:\n    labels: {release: "a b"}'
bad_values bad-port 'httpPort: Must be less than or equal to 65535' <<<'httpPort: 70000'
echo "values.schema.json: wrong types, unknown enum values and unknown keys fail lint and template, naming the key"

# The ServiceMonitor carries values' labels; logging.json picks IMCLUSTER_LOG_FORMAT; the helm test Pod uses the
# operator's own image and is gone with tests.enabled=false or without the metrics Service.
"$py" - "$chart" <<'PY'
import subprocess, sys, yaml
chart = sys.argv[1]
def render(*args):
    out = subprocess.run(["helm", "template", "t", chart, *args], check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]
def one(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]
def env(docs):
    c = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in c["env"]}
docs = render("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.labels.release=kps")
labels = one(docs, "ServiceMonitor")["metadata"]["labels"]
assert labels.get("release") == "kps", f"ServiceMonitor labels: {labels}"
docs2 = render("--set", "metrics.serviceMonitor.labels.release=kps", "--set", "metrics.serviceMonitor.labels.team=im")
assert env(docs2)["IMCLUSTER_SERVICE_MONITOR_LABELS"] == "release=kps,team=im", env(docs2)
assert env(docs)["IMCLUSTER_LOG_FORMAT"] == "json", env(docs)
assert env(render("--set", "logging.json=false"))["IMCLUSTER_LOG_FORMAT"] == "text"
assert env(render("--set", "logging.level=DEBUG"))["IMCLUSTER_LOG_LEVEL"] == "DEBUG"
pod = one(docs, "Pod")
assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test", pod["metadata"]
image = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
assert pod["spec"]["containers"][0]["image"] == image, "the test Pod must use the operator image"
assert "t-imcluster-operator-metrics.default.svc" in str(pod["spec"]["containers"][0]["env"])
assert not [d for d in render("--set", "tests.enabled=false") if d["kind"] == "Pod"]
assert not [d for d in render("--set", "metrics.service=false") if d["kind"] == "Pod"]
print("rendered: ServiceMonitor labels, logging switch, helm test Pod (operator image, via the metrics Service)")
PY

helm template t "$chart" "${all_on[@]}" -s templates/prometheusrule.yaml >"$tmp/rule.yaml"
"$py" - "$tmp/rule.yaml" "$tmp/rules.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w"))
PY
promtool check rules "$tmp/rules.yaml" >/dev/null
echo "promtool check rules: clean"
# Every alert has promtool unit tests (hack/alert-tests): quiet before its condition lasted its `for`, firing after.
cp "$here"/alert-tests/*.test.yaml "$tmp/"
for t in "$here"/alert-tests/*.test.yaml; do
  (cd "$tmp" && promtool test rules "$(basename "$t")" >/dev/null) \
    || { (cd "$tmp" && promtool test rules "$(basename "$t")") >&2 || true; die "alerts do not fire as $t expects"; }
done
"$py" - "$tmp/rules.yaml" "$here"/alert-tests/*.test.yaml <<'PY'
import sys, yaml
alerts = {r["alert"] for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r}
fired, quiet = set(), set()
for f in sys.argv[2:]:
    for t in yaml.safe_load(open(f))["tests"]:
        for a in t.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
missing = sorted(alerts - fired) + sorted(alerts - quiet)
assert not missing, f"alerts without a firing and a quiet promtool test in hack/alert-tests: {missing}"
PY
echo "promtool test rules: every alert fires when its condition lasts, and not before (hack/alert-tests)"
# Every imcluster metric the dashboard and the alerts query is one the broker or the operator registers (a query of
# a name nothing exports shows an empty panel and an alert that never fires).
"$py" - "$root" "$chart/files/dashboard.json" "$tmp/rules.yaml" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
defined = set()
for src in [f for m in ("broker-image", "broker-config", "operator", "common") for f in (root / m / "src/main/java").rglob("*.java")]:
    for name in re.findall(r'"(imcluster[._][a-z0-9._]*)"', src.read_text()):
        defined.add(name.replace(".", "_"))
used = set()
for f in sys.argv[2:]:
    used |= set(re.findall(r"\bimcluster_[a-z0-9_]+", open(f).read()))
suffixes = ("_total", "_bucket", "_count", "_sum", "_max", "_seconds")
def known(name):
    while True:
        if name in defined:
            return True
        stripped = next((name[:-len(s)] for s in suffixes if name.endswith(s)), None)
        if stripped is None:
            return False
        name = stripped
missing = sorted(n for n in used if not known(n))
if missing:
    sys.exit("the dashboard or the alerts query metrics nothing registers: " + ", ".join(missing))
print("dashboard and alerts: every imcluster metric they query is registered (%d names)" % len(used))
PY

"$py" -m json.tool "$chart/files/dashboard.json" >/dev/null
echo "dashboard: valid JSON"

"$py" - "$chart/values.yaml" "$chart/README.md" <<'PY'
import sys, yaml
values, readme = yaml.safe_load(open(sys.argv[1])), open(sys.argv[2]).read()
def leaves(d, prefix=""):
    for k, v in d.items():
        key = prefix + k
        if isinstance(v, dict) and v and key not in ("resources", "podSecurityContext", "securityContext",
                                                     "dashboard.labels"):
            yield from leaves(v, key + ".")
        else:
            yield key
missing = [k for k in leaves(values) if f"`{k}`" not in readme]
if missing:
    sys.exit("values not documented in the chart README: " + ", ".join(missing))
print("values table: every key documented")
PY
"$py" "$here/chart-readme.py" --check

if [ -d "$root/crds" ]; then "$here/sync-crds.sh" --check; else echo "crds/: not there yet, chart keeps its placeholder CRD"; fi
