#!/usr/bin/env bash
# End-to-end benchmark of issue 14, item 3, with a broker of its own: pass-through, the default
# pipeline exactly-once and at-least-once, and the Python peer (bench/peer_worker.py), interleaved
# rounds over the same topic and events; then produce → read_committed latency at half the default
# pipeline's rate. What it measures and prints: examples/kafka_throughput.rs (`compare`).
#
#   cargo build --release --locked --bin synth-review --example kafka_throughput
#   python3 -m venv /tmp/e2e-venv && /tmp/e2e-venv/bin/pip install -r bench/requirements.txt
#   BENCH_PYTHON=/tmp/e2e-venv/bin/python bench/e2e.sh [N [ROUNDS [LATENCY_SECS]]]
#
# Defaults: N=200000 events, ROUNDS=5, LATENCY_SECS=20. Builds nothing: it runs the binaries in
# $CARGO_TARGET_DIR (default target/)/release. The broker's state goes to $BENCH_KAFKA_DIR (default:
# a fresh temporary directory) and is stopped on exit, also on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
bin="$target/release/synth-review"
example="$target/release/examples/kafka_throughput"
python="${BENCH_PYTHON:-python3}"

for f in "$bin" "$example"; do
    [[ -x $f ]] || { echo "e2e.sh: $f missing: cargo build --release --locked --bin synth-review --example kafka_throughput" >&2; exit 2; }
done
"$python" -c 'import confluent_kafka, ahocorasick' \
    || { echo "e2e.sh: $python cannot import confluent_kafka and ahocorasick: pip install -r bench/requirements.txt and set BENCH_PYTHON" >&2; exit 2; }

kdir="${BENCH_KAFKA_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/e2e-kafka.XXXXXX")}"
trap 'bash "$repo/scripts/kafka.sh" stop "$kdir"' EXIT
bootstrap=$(bash "$repo/scripts/kafka.sh" start "$kdir" | tail -n1)

echo "== $(date -u '+%F %T') UTC; uptime: $(uptime)"
lscpu | grep -E 'Model name|L2' || true
SYNTH_REVIEW_TEST_BROKERS="$bootstrap" SYNTH_REVIEW_TEST_KAFKA_DIR="$kdir" \
SYNTH_REVIEW_BIN="$bin" BENCH_PYTHON="$python" \
    "$example" compare "${1:-200000}" "${2:-5}" "${3:-20}"
echo "== $(date -u '+%F %T') UTC; uptime: $(uptime)"
