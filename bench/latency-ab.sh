#!/usr/bin/env bash
# Produce → read_committed latency of two worker binaries, rounds interleaved, on one broker of
# its own (old and new side by side in one session; docs/benchmarks.md, issue 14 "Run C").
#
#   bench/latency-ab.sh OLD_BIN NEW_BIN [RATE [SECS [ROUNDS [MODE]]]]
#
# Defaults: RATE=7800 events/s, SECS=15, ROUNDS=3, MODE=exactly_once. Runs
# $CARGO_TARGET_DIR (default target/)/release/examples/kafka_throughput `latency` once per binary
# and round (build it with `cargo build --release --locked --example kafka_throughput`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
example="${CARGO_TARGET_DIR:-$repo/target}/release/examples/kafka_throughput"
[[ $# -ge 2 ]] || { sed -n 5p "$0" >&2; exit 2; }
for f in "$1" "$2" "$example"; do
    [[ -x $f ]] || { echo "latency-ab.sh: $f missing or not executable" >&2; exit 2; }
done
kdir="$(mktemp -d "${TMPDIR:-/tmp}/latency-ab-kafka.XXXXXX")"
trap 'bash "$repo/scripts/kafka.sh" stop "$kdir"' EXIT
bootstrap=$(bash "$repo/scripts/kafka.sh" start "$kdir" | tail -n1)
echo "== $(date -u '+%F %T') UTC; uptime: $(uptime)"
for round in $(seq 1 "${5:-3}"); do
    for bin in "$1" "$2"; do
        echo "-- round $round: $bin"
        SYNTH_REVIEW_TEST_BROKERS="$bootstrap" SYNTH_REVIEW_TEST_KAFKA_DIR="$kdir" SYNTH_REVIEW_BIN="$bin" \
            "$example" latency "${3:-7800}" "${4:-15}" "${6:-exactly_once}" | tail -n1
    done
done
echo "== $(date -u '+%F %T') UTC; uptime: $(uptime)"
