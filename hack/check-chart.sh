#!/usr/bin/env bash
# Static checks of the Helm chart: `helm lint --strict` in both RBAC modes with every optional object on,
# promtool on the rendered PrometheusRule, the dashboard's JSON, every values.yaml key documented in the
# chart's README, and the chart's CRDs equal to crds/ (skipped, with a note, while crds/ does not exist).
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
echo "helm lint: clean (cluster-wide and namespaced)"

helm template t "$chart" "${all_on[@]}" -s templates/prometheusrule.yaml >"$tmp/rule.yaml"
"$py" - "$tmp/rule.yaml" "$tmp/rules.yaml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
yaml.safe_dump({"groups": doc["spec"]["groups"]}, open(sys.argv[2], "w"))
PY
promtool check rules "$tmp/rules.yaml" >/dev/null
echo "promtool check rules: clean"
# The operator-down alert fires with no replica up, whether its series says 0 or is gone altogether.
cat >"$tmp/operator-down.test.yaml" <<'TEST'
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - series: 'up{service="t-imcluster-operator-metrics", pod="a"}'
    values: '1x5 0x10'
  alert_rule_test:
  - {eval_time: 4m, alertname: ImclusterOperatorDown, exp_alerts: []}
  - eval_time: 15m
    alertname: ImclusterOperatorDown
    exp_alerts:
    - exp_labels: {severity: critical, service: t-imcluster-operator-metrics}
      exp_annotations: &down
        summary: No imcluster operator replica is scraped as up.
        description: 'No replica of t-imcluster-operator in default has been up for 5 minutes: PubSubClusters are not reconciled.'
- interval: 1m
  input_series:
  - series: 'up{service="t-imcluster-operator-metrics", pod="a"}'
    values: '1x5'
  alert_rule_test:
  - eval_time: 20m
    alertname: ImclusterOperatorDown
    exp_alerts: [{exp_labels: {severity: critical, service: t-imcluster-operator-metrics}, exp_annotations: *down}]
TEST
(cd "$tmp" && promtool test rules operator-down.test.yaml >/dev/null) \
  || { (cd "$tmp" && promtool test rules operator-down.test.yaml) >&2 || true; die "the operator-down alert does not fire as it should"; }
echo "promtool test rules: the operator-down alert fires when no replica is up or none is left"
# Every imcluster metric the dashboard and the alerts query is one the broker or the operator registers (a query of
# a name nothing exports shows an empty panel and an alert that never fires).
"$py" - "$root" "$chart/files/dashboard.json" "$tmp/rules.yaml" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
defined = set()
for src in list((root / "broker-image/src/main/java").rglob("*.java")) + list((root / "operator/src/main/java").rglob("*.java")):
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

if [ -d "$root/crds" ]; then "$here/sync-crds.sh" --check; else echo "crds/: not there yet, chart keeps its placeholder CRD"; fi
