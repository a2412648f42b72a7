#!/usr/bin/env bash
# Soak (not part of the default test command): the worker (release build, exactly-once) against
# a real three-broker cluster for MINUTES, with a steady producer (200 events/s), while brokers
# are restarted, killed (kill -9) and cut off (SIGSTOP/SIGCONT, a network partition as the rest of
# the cluster sees it) at random, seeded by SEED; then exactly-once is verified and a summary
# printed (messages, faults by kind, longest time without a committed transaction, the worker's
# client replacements). The driver is examples/cluster_soak.rs (its doc comment has the details).
#
#   scripts/soak.sh MINUTES [SEED]      SEED defaults to 42
#
# Environment:
#   SYNTH_REVIEW_STRESS=1   run under scripts/stress.sh load (busy workers on every core)
#   SYNTH_REVIEW_KEEP_KAFKA_DIR=1   keep the cluster's state dir afterwards
# Output: the driver's log goes to stderr and to target/soak-MINUTES-SEED.log; exit 0 when the
# soak passed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '[soak.sh] %s\n' "$*" >&2; }

minutes=${1:-}
seed=${2:-42}
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { say "SEED must be a whole number, not '$seed'"; exit 2; }

bash scripts/kafka.sh fetch
say "building the release worker and the soak driver"
cargo build --locked --release --bin synth-review
cargo build --locked --example cluster_soak
target="${CARGO_TARGET_DIR:-$ROOT/target}"
export SYNTH_REVIEW_BIN="$target/release/synth-review"
log="$target/soak-$minutes-$seed.log"
run=("$target/debug/examples/cluster_soak" "$minutes" "$seed")
if [[ "${SYNTH_REVIEW_STRESS:-0}" == 1 ]]; then
    run=(bash scripts/stress.sh run -- "${run[@]}")
fi
say "soak for $minutes min, seed $seed; log in $log"
set +e
RUST_BACKTRACE=1 "${run[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if (( rc == 0 )); then
    say "soak passed ($log)"
else
    say "soak FAILED (exit $rc; log in $log)"
fi
exit "$rc"
