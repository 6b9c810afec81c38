#!/usr/bin/env bash
# This build against an earlier one: the room and topic rows on both broker jars, in the same interleaved rounds
# (compare --only baseline, the method of bench/run-all.sh), written to docs/BENCHMARKS-BASELINE.md.
# REV's broker jar is built once in a temporary git worktree and kept under target/bench-work/.
#   bench/regression.sh REV [extra compare options, e.g. --rounds 5]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: bench/regression.sh REV [compare options]}
shift
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

commit=$(git rev-parse --short "$rev^{commit}")
baseline=target/bench-work/baseline-$commit/imcluster-broker.jar
if [[ ! -f $baseline ]]; then
  tree=$(mktemp -d)
  trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
  git worktree add --detach -q "$tree" "$commit"
  (cd "$tree" && ./mvnw -q -B -DskipTests -pl broker-image -am package)
  mkdir -p "$(dirname "$baseline")"
  cp "$tree/broker-image/target/imcluster-broker.jar" "$baseline"
fi
if [[ ! -f broker-image/target/imcluster-broker.jar || ! -f bench/target/imcluster-bench.jar ]]; then
  ./mvnw -q -B -DskipTests -pl broker-image,bench -am package
fi
java -Xmx1g -XX:+UseParallelGC -jar bench/target/imcluster-bench.jar compare --only baseline \
  --baseline-jar "$baseline" \
  --subscribers 1000 --rooms 1 --size 100 --publishers 4 --warmup 3 --duration 10 --rounds 3 \
  --work-dir target/bench-work --command-line "bench/regression.sh $rev${*:+ $*} (baseline $commit)" "$@"
