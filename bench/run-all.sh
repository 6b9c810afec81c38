#!/usr/bin/env bash
# The whole comparison in one command: imcluster's room fan-out against nats-server (core and JetStream) and
# Redis pub/sub at 1,000 subscribers and 100-byte messages (3 interleaved rounds of an open-loop peak search each,
# latency at half of each one's median peak; bench/README.md), topics, a tuned room row and key pushes apart, the connection soak (10k and 50k where the open-files limit allows) and a JFR profile of the broker;
# before that, the operator at scale on the local control plane (bench/operator-scale.sh: 500 PubSubClusters).
# and the cost of history (room and topic rows with delivery.history on, in process and in Redis).
# Writes docs/BENCHMARKS.md. Needs nats-server and redis-server on PATH. About 45-60 minutes on 2 cores.
#   bench/run-all.sh [extra compare options, which override the ones below, e.g. --duration 5 --soak 10000]
#   bench/run-all.sh --only history [...]   only the history rows, into docs/BENCHMARKS-HISTORY.md
# Env: OPSCALE=0 skips the operator step; OPSCALE_ARGS passes options to it (e.g. "-n 100").
set -euo pipefail
cd "$(dirname "$0")/.."

# Each idle connection is a file on both ends: allow as many as the hard limit does.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ! -f broker-image/target/imcluster-broker.jar || ! -f bench/target/imcluster-bench.jar ]]; then
  ./mvnw -q -B -DskipTests -pl broker-image,operator,bench -am package
fi
opscale=target/bench-work/operator-scale.md
rm -f "$opscale" "$opscale.target"
# --only runs a few rows and writes their own file: no operator step.
if [[ "${OPSCALE:-1}" != 0 && " $* " != *" --only "* ]]; then
  # shellcheck disable=SC2086 # OPSCALE_ARGS is a list of options
  OPSCALE_OUT="$opscale" bench/operator-scale.sh ${OPSCALE_ARGS:-} \
    || echo "operator-scale failed (the report says it was not measured)" >&2
fi
exec java -Xmx1g -XX:+UseParallelGC -jar bench/target/imcluster-bench.jar compare \
  --subscribers 1000 --rooms 1 --size 100 --publishers 4 --warmup 3 --duration 10 --rounds 3 \
  --work-dir target/bench-work --doc docs/BENCHMARKS.md --operator-scale "$opscale" --command-line "bench/run-all.sh${*:+ $*}" "$@"
