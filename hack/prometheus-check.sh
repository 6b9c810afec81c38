#!/usr/bin/env bash
# Checks Prometheus endpoints the way a real Prometheus sees them:
#   1. `promtool check metrics` on each endpoint's exposition (lint: names, HELP, TYPE, units);
#   2. a short scrape by Debian's prometheus, with a generated scrape config (one job per URL, like the
#      chart's prometheus.io/* annotations and ServiceMonitor: plain HTTP, the URL's path), asserting through
#      its HTTP API that every target is up;
#   3. with --expect-data FILE, that each query of FILE returns data (a dashboard panel that would read
#      "No data" fails). FILE has one "label<TAB>PromQL" per line.
# Prometheus runs on a free loopback port with a throw-away TSDB and is stopped at the end.
#
# Usage: hack/prometheus-check.sh [--no-lint] [--expect-data FILE] URL...   e.g. http://127.0.0.1:9090/metrics
# Env:   PROMETHEUS_CHECK_TIMEOUT (seconds to wait for the targets to be up, and for each query's data, default 60)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=hack/lib.sh
. "$here/lib.sh"

lint=1 queries=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-lint) lint=0; shift ;;
    --expect-data) queries="${2:?--expect-data needs a file}"; shift 2
      [ -r "$queries" ] || die "--expect-data: cannot read $queries" ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || die "usage: $0 [--no-lint] [--expect-data FILE] URL..."
ensure_pkgs prometheus:prometheus promtool:prometheus curl:curl python3:python3

work="$(mktemp -d)"
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ]; then kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

failed=0 passed=0
if [ $lint = 1 ]; then
  for url in "$@"; do
    if ! curl -fsS --max-time 10 "$url" >"$work/scrape.txt" 2>"$work/curl.txt"; then
      echo "FAIL lint $url: cannot fetch: $(cat "$work/curl.txt")"; failed=$((failed + 1)); continue
    fi
    if promtool check metrics <"$work/scrape.txt" >"$work/lint.txt" 2>&1; then
      echo "PASS lint $url ($(grep -vc '^#' "$work/scrape.txt") samples)"; passed=$((passed + 1))
    else
      echo "FAIL lint $url:"; sed 's/^/     | /' "$work/lint.txt"; failed=$((failed + 1))
    fi
  done
fi

# One job per URL so that each target keeps its own path and scheme.
{
  echo "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}"
  echo "scrape_configs:"
  i=0
  for url in "$@"; do
    scheme="${url%%://*}" rest="${url#*://}"
    hostport="${rest%%/*}" path="/${rest#*/}"
    [ "$rest" = "$hostport" ] && path=/metrics
    echo "- job_name: target-$i"
    echo "  scheme: $scheme"
    echo "  metrics_path: '$path'"
    echo "  static_configs: [{targets: ['$hostport'], labels: {url: '$url'}}]"
    i=$((i + 1))
  done
} >"$work/prometheus.yml"
promtool check config "$work/prometheus.yml" >/dev/null

port="$(free_port)"
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/tsdb" \
  --web.listen-address "127.0.0.1:$port" --log.level warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$port/api/v1"
wait_for 30 curl -fsS "$api/status/buildinfo" || { cat "$work/prometheus.log" >&2; die "prometheus did not start"; }

# Prints "health url lastError" for each active target.
targets() {
  curl -fsS "$api/targets?state=active" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    print(t["health"], t["labels"].get("url", t["scrapeUrl"]), t.get("lastError", ""))'
}
all_up() { [ "$(targets | awk '$1 == "up"' | wc -l)" -eq $# ]; }
settled() { local t; t="$(targets)"; [ "$(grep -c . <<<"$t")" -eq $# ] && ! grep -q '^unknown' <<<"$t"; }
# Up, or else scraped at least once (target discovery itself takes up to 5 s), so the verdict is real.
wait_for "${PROMETHEUS_CHECK_TIMEOUT:-60}" all_up "$@" || wait_for 20 settled "$@" || true
while read -r health url err; do
  if [ "$health" = up ]; then echo "PASS scrape $url: up"; passed=$((passed + 1))
  else echo "FAIL scrape $url: $health $err"; failed=$((failed + 1)); fi
done < <(targets)
seen=$(targets | wc -l)
[ "$seen" -lt $# ] && { echo "FAIL scrape: prometheus shows $seen of $# targets"; failed=$((failed + 1)); }

# The scraped series are queryable (the sample count of each target's last scrape).
curl -fsS "$api/query" --data-urlencode 'query=scrape_samples_scraped' | python3 -c '
import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    print("     ", r["metric"].get("url"), "samples:", r["value"][1])'

# Each expected query returns at least one series (polled: rates need two scrapes).
# has_data QUERY   true when QUERY returns a series.
has_data() {
  curl -fsS "$api/query" --data-urlencode "query=$1" \
    | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["data"]["result"] else 1)'
}
if [ -n "$queries" ]; then
  while IFS=$'\t' read -r label query; do
    [ -n "$query" ] || continue
    if wait_for "${PROMETHEUS_CHECK_TIMEOUT:-60}" has_data "$query"; then
      echo "PASS data $label"; passed=$((passed + 1))
    else
      echo "FAIL data $label: no series for $query"; failed=$((failed + 1))
    fi
  done <"$queries"
fi

echo "prometheus-check: $passed passed, $failed failed"
[ $failed -eq 0 ]
