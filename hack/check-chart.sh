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
