#!/usr/bin/env bash
# README command 2: every test. Installs the Debian packages the tests run for real (redis-server, nats-server,
# mosquitto, prometheus for promtool; as root, through sudo, or naming the apt-get line), then runs the unit and
# integration tests (`./mvnw -B verify`: real Redis, NATS, Mosquitto and KRaft Kafka) and the end-to-end checks
# on a fresh local control plane (`e2e/run.sh --fresh --down`, which stops every process it started, even after a failure).
# The last line is e2e's "N passed, N failed"; the exit code is non-zero when anything failed.
#
# Usage: hack/test.sh [--unit | --e2e]   (default: both)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"
cd "$root"

what="${1:-all}"
case "$what" in all|--unit|--e2e) ;; *) echo "usage: $0 [--unit | --e2e]" >&2; exit 2 ;; esac
ensure_pkgs redis-server:redis-server nats-server:nats-server /usr/sbin/mosquitto:mosquitto \
  mosquitto_sub:mosquitto-clients promtool:prometheus \
  ss:iproute2
# The tests start their own servers on free loopback ports; the packages' own services are not needed.
if [ "$(id -u)" -eq 0 ]; then
  for svc in redis-server nats-server mosquitto prometheus; do (service "$svc" stop || true) >/dev/null 2>&1; done
fi

t0=$SECONDS
if [ "$what" != --e2e ]; then
  # kubectl and helm into $TOOLS_BIN_DIR (cached after the first time): ChartRbacTest renders the chart with helm.
  "$root/hack/k8s-binaries.sh" tools
  export TOOLS_BIN_DIR
  log "unit and integration tests: ./mvnw -B verify"
  ./mvnw -B verify
  log "unit and integration tests passed in $(human_time $((SECONDS - t0)))"
fi
if [ "$what" != --unit ]; then
  t1=$SECONDS
  log "end-to-end checks: e2e/run.sh --fresh --down"
  e2e/run.sh --fresh --down
  log "end-to-end checks took $(human_time $((SECONDS - t1))); all tests $(human_time $((SECONDS - t0)))"
fi
