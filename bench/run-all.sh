#!/usr/bin/env bash
# The whole comparison in one command: imcluster's room fan-out against nats-server (core and JetStream) and
# Redis pub/sub at 1,000 subscribers and 100-byte messages, latency at half of each one's peak, topic and key
# pushes, the connection soak (10k and 50k where the open-files limit allows) and a JFR profile of the broker.
# Writes docs/BENCHMARKS.md. Needs nats-server and redis-server on PATH. About 6-8 minutes on 2 cores.
#   bench/run-all.sh [extra compare options, e.g. --duration 5 --soak 10000]
set -euo pipefail
cd "$(dirname "$0")/.."

# Each idle connection is a file on both ends: allow as many as the hard limit does.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ ! -f broker-image/target/imcluster-broker.jar || ! -f bench/target/imcluster-bench.jar ]]; then
  ./mvnw -q -B -DskipTests -pl broker-image,bench package
fi
exec java -Xmx1g -XX:+UseParallelGC -jar bench/target/imcluster-bench.jar compare \
  --subscribers 1000 --rooms 1 --size 100 --publishers 2 --warmup 3 --duration 10 \
  --work-dir target/bench-work --doc docs/BENCHMARKS.md --command-line "bench/run-all.sh" "$@"
