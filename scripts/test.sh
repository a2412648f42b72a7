#!/usr/bin/env bash
# The project's test command.
#
#   scripts/test.sh [CARGO_TEST_ARGS...] [-- TEST_BINARY_ARGS...]
#
# 1. checks the tools (cargo, cc, java 17+, mvn),
# 2. makes sure Prometheus (prometheus, promtool) and python3 with PyYAML are there (see below),
# 3. resolves the official Apache Kafka jars from Maven Central into
#    ${SYNTH_REVIEW_CACHE:-~/.cache/synth-review} (once; cached afterwards),
# 4. starts a single-node KRaft broker on free 127.0.0.1 ports in a temp dir
#    (stopped again on exit, failure, Ctrl-C or SIGTERM),
# 5. makes sure PostgreSQL is there (`scripts/postgres.sh ensure`: initdb/pg_ctl on PATH or in
#    /usr/lib/postgresql/*/bin; as root on Debian it installs the `postgresql` package when they
#    are missing, its service kept from starting) and starts a throwaway cluster
#    (`scripts/postgres.sh start`: initdb in a temp dir — owned by the `postgres` user when we are
#    root —, a free 127.0.0.1 port, the unix socket in that dir, trust auth, fsync off; ready when
#    pg_isready answers, about 3-5 s), with a database for the console store's tests; stopped
#    again on exit like the broker,
# 6. runs `cargo test --locked --no-fail-fast --lib --bins --examples --test NAME… -- --test-threads=2`
#    over every integration test target but those of the steps below (every test binary runs, also
#    after a failure), then, unless the arguments select targets
#    or pass test-binary arguments, the benchmarks once in test mode
#    (`cargo test --locked --no-fail-fast --benches`), with
#      SYNTH_REVIEW_TEST_BROKERS=127.0.0.1:PORT   bootstrap address
#      SYNTH_REVIEW_TEST_KAFKA_DIR=DIR            for `scripts/kafka.sh restart DIR`
#      SYNTH_REVIEW_PROMETHEUS=/usr/bin/prometheus  the real Prometheus server and
#      SYNTH_REVIEW_PROMTOOL=/usr/bin/promtool      its checker (tests/ops_*.rs)
#      SYNTH_REVIEW_PYTHON=PATH                   python3 with PyYAML (tests/ops_compose.rs)
#      SYNTH_REVIEW_TEST_POSTGRES=postgres://synth_review@127.0.0.1:PORT/synth_review_test
#                                                 the PostgreSQL database (tests/console_store.rs,
#                                                 tests/console_web.rs)
#      SYNTH_REVIEW_TEST_CHROMEDRIVER=/usr/bin/chromedriver, SYNTH_REVIEW_TEST_CHROMIUM=/usr/bin/chromium
#                                                 headless Chromium via WebDriver
#                                                 (tests/console_browser.rs; `scripts/chromium.sh
#                                                 ensure` installs Debian's chromium and
#                                                 chromium-driver as root when missing)
#    The three-broker cluster test (tests/kafka_cluster.rs, which starts its own cluster with
#    `scripts/kafka.sh cluster-start`) runs as a step of its own after the others, under
#    `scripts/stress.sh` load (busy workers on every core); see SYNTH_REVIEW_STRESS below.
# 7. ends with a one-line summary of what failed (test binary and test names; the whole output
#    is in $CARGO_TARGET_DIR/test.sh.log, by default target/test.sh.log) and exits non-zero if anything failed.
#
# Load and rounds of the fault tests:
#   SYNTH_REVIEW_STRESS=cluster (default)  only the cluster step runs under load
#   SYNTH_REVIEW_STRESS=1       the fault tests (kafka_broker_restart, kafka_faults, kafka_cluster)
#                               run under load, in a step of their own after the others
#   SYNTH_REVIEW_STRESS=0       no load
#   SYNTH_REVIEW_RESTART_ROUNDS   rounds of kafka_broker_restart::broker_restart_mid_stream
#                                 (default: SYNTH_REVIEW_FAULT_ROUNDS, else 3)
#   SYNTH_REVIEW_FAULT_ROUNDS     rounds of each kafka_faults test (default 3)
#   SYNTH_REVIEW_CLUSTER_ROUNDS   rounds of the cluster test's rolling restart + kill -9 (default 1)
#   SYNTH_REVIEW_STRESS_WORKERS   busy workers of the load (scripts/stress.sh)
# With target arguments (`--test NAME`), the selection runs in one step, under load when
# SYNTH_REVIEW_STRESS=1, or when it names kafka_cluster and SYNTH_REVIEW_STRESS is not 0.
#
# Prometheus: when `prometheus` or `promtool` is missing and we are root on a
# Debian-like machine, Debian's `prometheus` package is installed first
# (apt-get update; apt-get install -y --no-install-recommends prometheus), with
# its service kept from starting (see ensure_prometheus below).
# PyYAML: python3 on PATH if it has PyYAML; else, as root on a Debian-like machine, Debian's
# python3-yaml (for /usr/bin/python3); else `python3 -m pip install pyyaml` from PyPI.
#
# Examples:
#   scripts/test.sh                          # everything
#   scripts/test.sh --test kafka_e2e         # one integration test target
#   scripts/test.sh some_name -- --nocapture # filter + libtest flags
#   SYNTH_REVIEW_STRESS=1 SYNTH_REVIEW_RESTART_ROUNDS=10 scripts/test.sh --test kafka_broker_restart
#
# Set SYNTH_REVIEW_KEEP_KAFKA_DIR=1 to keep the broker's state dir afterwards.
# A SYNTH_REVIEW_TEST_POSTGRES already set is kept (a server of your own; each test creates a
# database of its own in it and drops it again), and no cluster is started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
KAFKA_SH=(bash "$ROOT/scripts/kafka.sh")
PG_SH=(bash "$ROOT/scripts/postgres.sh")

say() { printf '[test.sh] %s\n' "$*" >&2; }

# ------------------------------------------------------------ tools -------
missing=0
need() {
    local tool=$1 hint=$2
    if ! command -v "$tool" >/dev/null 2>&1; then
        say "missing '$tool': $hint"
        missing=1
    fi
}
need cargo "install Rust (rustup, https://rustup.rs) so that cargo is on PATH; rust-version in Cargo.toml is the minimum"
need cc    "a C compiler/linker is needed by rustc and rdkafka-sys (Debian: apt-get install -y build-essential)"
if [[ -z "${JAVA:-}" && ! -x "${JAVA_HOME:-/nonexistent}/bin/java" ]]; then
    need java "Java 17+ runs the Kafka test broker (Debian: apt-get install -y openjdk-17-jre-headless)"
fi
need mvn   "Maven resolves the Kafka broker jars from Maven Central (Debian: apt-get install -y maven)"
if (( missing )); then
    say "cannot run the tests: install the tools above and re-run scripts/test.sh"
    exit 127
fi
command -v make >/dev/null 2>&1 || say "warning: 'make' not found; building rdkafka-sys (librdkafka) usually needs it"

# Disk: a clean build of every test binary, example and benchmark takes about 3 GiB of
# target/ (measured, see the README); a full disk shows up much later as a linker crash.
# Under CI incremental compilation is off: a clean clone never reuses it and it costs GiBs.
[[ -n "${CI:-}" ]] && export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
NEED_GIB=4
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
probe="$target_dir"
while [[ ! -d "$probe" ]]; do probe="$(dirname "$probe")"; done
free_kib="$(df -Pk "$probe" 2>/dev/null | awk 'NR == 2 { print $4 }')"
if [[ "$free_kib" =~ ^[0-9]+$ ]]; then
    used_kib=0
    [[ -d "$target_dir/debug" ]] && used_kib="$(du -sk "$target_dir/debug" 2>/dev/null | awk '{ print $1 }')"
    if (( free_kib + ${used_kib:-0} < NEED_GIB * 1024 * 1024 )); then
        say "warning: $((free_kib / 1024 / 1024)) GiB free for $target_dir (and $((${used_kib:-0} / 1024 / 1024)) GiB already built there); a clean test build needs about $NEED_GIB GiB: the build may fail with 'No space left on device'"
    fi
fi

# ------------------------------------------------------------ prometheus --
# tests/ops_dashboard.rs runs the real Prometheus server against a worker, tests/ops_alerts.rs
# checks the dashboards' config and alert rules with promtool. Both come from Debian's `prometheus`
# package.
# Its postinst would start a Prometheus service (listening on :9090, scraping localhost); a
# policy-rc.d that answers 101 ("action forbidden") keeps invoke-rc.d from starting it, and if one
# was started anyway it is stopped again. No systemd runs on the build machines; where one does,
# the unit is stopped and disabled too.
ensure_prometheus() {
    if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
        return 0
    fi
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "missing 'prometheus'/'promtool': the observability tests run the real Prometheus (Debian, as root: apt-get install -y --no-install-recommends prometheus)"
        return 1
    fi
    say "installing Debian's prometheus package (prometheus, promtool); its service is not started"
    local policy=/usr/sbin/policy-rc.d created=0 rc=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# written by synth-review scripts/test.sh while it installs prometheus\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        created=1
        # shellcheck disable=SC2064 # expand $policy now
        trap "rm -f -- '$policy'; exit 130" INT TERM HUP
    fi
    (
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq </dev/null &&
            apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
                -o Dpkg::Options::=--force-confold prometheus </dev/null
    ) >&2 || rc=$?
    if (( created )); then
        rm -f -- "$policy"
        trap - INT TERM HUP
    fi
    # A service that started despite the policy (or under systemd) is stopped again.
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now prometheus.service >/dev/null 2>&1 || true
    fi
    if [[ -x /etc/init.d/prometheus ]] && /etc/init.d/prometheus status >/dev/null 2>&1; then
        /etc/init.d/prometheus stop >&2 || true
    fi
    if (( rc != 0 )); then
        say "apt-get install prometheus failed (exit $rc)"
        return 1
    fi
    command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1
}
if ! ensure_prometheus; then
    say "cannot run the tests: install Prometheus (prometheus and promtool on PATH) and re-run scripts/test.sh"
    exit 127
fi
export SYNTH_REVIEW_PROMETHEUS="${SYNTH_REVIEW_PROMETHEUS:-$(command -v prometheus)}"
export SYNTH_REVIEW_PROMTOOL="${SYNTH_REVIEW_PROMTOOL:-$(command -v promtool)}"
say "Prometheus: $("$SYNTH_REVIEW_PROMETHEUS" --version 2>&1 | head -n 1)"

# ------------------------------------------------------------ python ------
# tests/ops_compose.rs checks our YAML reader against PyYAML, an independent (YAML 1.1) reader,
# on every YAML file we ship; the test fails when PyYAML is missing, so it is provided here.
has_pyyaml() { "$1" -c 'import yaml' >/dev/null 2>&1; }
ensure_pyyaml() {
    local py
    for py in "${SYNTH_REVIEW_PYTHON:-}" "$(command -v python3 || true)" /usr/bin/python3; do
        if [[ -n "$py" ]] && has_pyyaml "$py"; then
            PYTHON="$py"
            return 0
        fi
    done
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's python3-yaml (PyYAML, for tests/ops_compose.rs)"
        (
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq </dev/null &&
                apt-get install -y -qq --no-install-recommends python3 python3-yaml </dev/null
        ) >&2 || say "apt-get install python3-yaml failed"
        if has_pyyaml /usr/bin/python3; then
            PYTHON=/usr/bin/python3
            return 0
        fi
    fi
    py="$(command -v python3 || true)"
    if [[ -n "$py" ]]; then
        say "installing PyYAML from PyPI for $py (python3 -m pip install pyyaml)"
        "$py" -m pip install --quiet pyyaml >&2 || "$py" -m pip install --quiet --user pyyaml >&2 || true
        if has_pyyaml "$py"; then
            PYTHON="$py"
            return 0
        fi
    fi
    return 1
}
PYTHON=""
if ! ensure_pyyaml; then
    say "cannot run the tests: python3 with PyYAML is needed (Debian: apt-get install -y python3-yaml; otherwise: python3 -m pip install pyyaml)"
    exit 127
fi
export SYNTH_REVIEW_PYTHON="$PYTHON"
say "PyYAML: $("$PYTHON" -c 'import sys, yaml; print(yaml.__version__, "for python", sys.version.split()[0])') ($PYTHON)"

# ------------------------------------------------------------ kafka -------
"${KAFKA_SH[@]}" fetch

KAFKA_DIR=""
PG_DIR=""
STRESS_PIDFILE=""
# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n "$STRESS_PIDFILE" && -s "$STRESS_PIDFILE" ]]; then
        bash "$ROOT/scripts/stress.sh" stop "$STRESS_PIDFILE" || true
    fi
    if [[ -n "$PG_DIR" ]]; then
        "${PG_SH[@]}" stop "$PG_DIR" || say "warning: could not stop PostgreSQL in $PG_DIR"
        rm -rf -- "$PG_DIR"
    fi
    if [[ -n "$KAFKA_DIR" ]]; then
        "${KAFKA_SH[@]}" stop "$KAFKA_DIR" || say "warning: could not stop the broker in $KAFKA_DIR"
        if [[ "${SYNTH_REVIEW_KEEP_KAFKA_DIR:-0}" == 1 ]]; then
            say "broker state kept in $KAFKA_DIR"
        else
            rm -rf -- "$KAFKA_DIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

KAFKA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/synth-review-kafka.XXXXXX")"
BOOTSTRAP="$("${KAFKA_SH[@]}" start "$KAFKA_DIR" | tail -n 1)"
[[ "$BOOTSTRAP" =~ ^127\.0\.0\.1:[0-9]+$ ]] || { say "unexpected bootstrap address '$BOOTSTRAP' from kafka.sh start"; exit 1; }
export SYNTH_REVIEW_TEST_BROKERS="$BOOTSTRAP"
export SYNTH_REVIEW_TEST_KAFKA_DIR="$KAFKA_DIR"
say "Kafka broker at $SYNTH_REVIEW_TEST_BROKERS (state dir $SYNTH_REVIEW_TEST_KAFKA_DIR)"

# ------------------------------------------------------------ postgresql --
# tests/console_store.rs runs the console's store against a real PostgreSQL server as well as
# SQLite; under CI its PostgreSQL variants fail when SYNTH_REVIEW_TEST_POSTGRES is missing.
if [[ -n "${SYNTH_REVIEW_TEST_POSTGRES:-}" ]]; then
    say "PostgreSQL: SYNTH_REVIEW_TEST_POSTGRES is set, using that server"
else
    if ! "${PG_SH[@]}" ensure >/dev/null; then
        say "cannot run the tests: install PostgreSQL (Debian, as root: apt-get install -y --no-install-recommends postgresql) and re-run scripts/test.sh"
        exit 127
    fi
    # A directory the `postgres` user can reach when we are root (mktemp's is handed to it).
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/synth-review-pg.XXXXXX")"
    pg_started=$SECONDS
    PG_URL="$("${PG_SH[@]}" start "$PG_DIR" | tail -n 1)"
    [[ "$PG_URL" =~ ^postgres://[a-z_]+@127\.0\.0\.1:[0-9]+/[a-z_]+$ ]] || { say "unexpected URL '$PG_URL' from postgres.sh start"; exit 1; }
    export SYNTH_REVIEW_TEST_POSTGRES="$PG_URL"
    say "PostgreSQL at $SYNTH_REVIEW_TEST_POSTGRES (data dir $PG_DIR, ready in $(( SECONDS - pg_started )) s)"
fi

# ------------------------------------------------------------ chromium ----
# tests/console_browser.rs drives Debian's headless Chromium through chromedriver; under CI it
# fails when they are missing, elsewhere it skips with a notice, so a failed install only warns.
if chromium_paths="$(bash "$ROOT/scripts/chromium.sh" ensure | tail -n 1)"; then
    read -r chromedriver_path chromium_path <<<"$chromium_paths"
    export SYNTH_REVIEW_TEST_CHROMEDRIVER="$chromedriver_path"
    export SYNTH_REVIEW_TEST_CHROMIUM="$chromium_path"
    say "Chromium at $SYNTH_REVIEW_TEST_CHROMIUM, chromedriver at $SYNTH_REVIEW_TEST_CHROMEDRIVER"
else
    say "warning: no chromium/chromedriver (scripts/chromium.sh ensure failed): tests/console_browser.rs fails under CI and skips elsewhere"
fi

# ------------------------------------------------------------ cargo -------
# Arguments before a `--` go to cargo test, the rest to the test binaries.
cargo_args=()
bin_args=()
seen_sep=0
for a in "$@"; do
    if (( ! seen_sep )) && [[ "$a" == "--" ]]; then
        seen_sep=1
    elif (( seen_sep )); then
        bin_args+=("$a")
    else
        cargo_args+=("$a")
    fi
done
threads=(--test-threads=2)
for a in "${bin_args[@]+"${bin_args[@]}"}"; do
    [[ "$a" == --test-threads* ]] && threads=()
done

# Arguments that select targets (`--test NAME` …) replace the default selection: cargo would run
# the union, i.e. everything.
selects_targets=0
for a in "${cargo_args[@]+"${cargo_args[@]}"}"; do
    case "$a" in
        --lib | --bins | --bin | --bin=* | --tests | --test | --test=* | --examples | --example | \
            --example=* | --benches | --bench | --bench=* | --all-targets | --doc) selects_targets=1 ;;
    esac
done
# Which tests run under load (scripts/stress.sh) and which in steps of their own.
STRESS="${SYNTH_REVIEW_STRESS:-cluster}"
case "$STRESS" in
    0 | 1 | cluster) ;;
    *) say "SYNTH_REVIEW_STRESS must be 0, 1 or cluster, not '$STRESS'"; exit 2 ;;
esac
FAULT_TESTS=(kafka_broker_restart kafka_faults)
CLUSTER_TEST=kafka_cluster
# Every integration test target (tests/NAME.rs, tests/NAME/main.rs), for the default selection
# without the ones that run in steps of their own.
all_tests=()
for f in tests/*.rs tests/*/main.rs; do
    [[ -f "$f" ]] || continue
    name=${f#tests/}
    name=${name%.rs}
    name=${name%/main}
    all_tests+=("$name")
done
own_step=("$CLUSTER_TEST")
[[ "$STRESS" == 1 ]] && own_step+=("${FAULT_TESTS[@]}")
main_tests=()
for t in "${all_tests[@]}"; do
    [[ " ${own_step[*]} " == *" $t "* ]] || main_tests+=(--test "$t")
done
targets=(--lib --bins --examples "${main_tests[@]}")
(( selects_targets )) && targets=()

export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

# Everything cargo prints also goes to LOG, from which the summary is read.
LOG="${CARGO_TARGET_DIR:-$ROOT/target}/test.sh.log"
mkdir -p "$(dirname "$LOG")"
: >"$LOG"
run_cargo() {
    cargo "$@" 2>&1 | tee -a "$LOG"
    return "${PIPESTATUS[0]}"
}

# The summary, read from LOG: "BINARIES FAILED_BINARIES PASSED FAILED LIST", where LIST names
# each test binary (cargo's `Running PATH` blocks) that did not end with `test result: ok`, with
# up to three of its failing tests (or that it crashed or did not finish).
summarize() {
    awk '
        function flush() {
            if (cur == "") return
            bins++
            if (!ok) {
                desc = cur
                if (nfail) desc = desc " (" names (nfail > 3 ? ", +" (nfail - 3) " more" : "") ")"
                else desc = desc " (crashed or did not finish)"
                list = list (list == "" ? "" : "; ") desc
                failed_bins++
            }
            cur = ""
        }
        # Criterion benchmarks print no `test result:`; their step has a status of its own.
        /^ *Running / {
            flush()
            cur = ($2 == "unittests") ? $3 : $2
            if (cur ~ /^benches\//) cur = ""
            ok = 0; nfail = 0; names = ""
            next
        }
        /^test .* \.\.\. FAILED$/ {
            nfail++
            if (nfail <= 3) names = names (names == "" ? "" : ", ") $2
            next
        }
        /^test result: / { passed += $4; failed += $6; if ($3 == "ok.") ok = 1; next }
        END {
            flush()
            printf "%d %d %d %d %s\n", bins, failed_bins, passed, failed, list
        }
    ' "$LOG"
}

# run_tests LOADED CARGO_TEST_ARGS...: one `cargo test` step (with the test-binary arguments),
# under scripts/stress.sh load when LOADED is 1. Built before the load starts.
run_tests() {
    local loaded=$1 rc
    shift
    if (( loaded )); then
        run_cargo test --locked --no-run "$@" "${cargo_args[@]+"${cargo_args[@]}"}" || return
        STRESS_PIDFILE="$(mktemp "${TMPDIR:-/tmp}/synth-review-stress.XXXXXX")"
        bash "$ROOT/scripts/stress.sh" start "$STRESS_PIDFILE"
    fi
    run_cargo test --locked --no-fail-fast "$@" "${cargo_args[@]+"${cargo_args[@]}"}" \
        -- "${threads[@]+"${threads[@]}"}" "${bin_args[@]+"${bin_args[@]}"}"
    rc=$?
    if (( loaded )); then
        bash "$ROOT/scripts/stress.sh" stop "$STRESS_PIDFILE" || true
        STRESS_PIDFILE=""
    fi
    return "$rc"
}

set +e
# Tests, examples included; then the tests that run in steps of their own (the cluster test, and
# with SYNTH_REVIEW_STRESS=1 the fault tests, under load); then the criterion benchmarks in test
# mode (each benchmark run once, checking that it works; criterion's command line takes no
# libtest options such as --test-threads, so they run as a step of their own, also after a test
# failure, but not when the arguments select targets or pass test-binary arguments).
# --no-fail-fast: every test binary runs, also after another one failed.
status=0
if (( selects_targets )); then
    loaded=0
    [[ "$STRESS" == 1 ]] && loaded=1
    [[ "$STRESS" == cluster && " ${cargo_args[*]} " == *" $CLUSTER_TEST "* ]] && loaded=1
    run_tests "$loaded" || status=$?
else
    run_tests 0 "${targets[@]}" || status=$?
    if [[ "$STRESS" == 1 ]]; then
        fault_args=()
        for t in "${FAULT_TESTS[@]}"; do fault_args+=(--test "$t"); done
        say "fault tests under load: ${FAULT_TESTS[*]}"
        run_tests 1 "${fault_args[@]}" || status=$?
    fi
    loaded=1
    [[ "$STRESS" == 0 ]] && loaded=0
    say "the three-broker cluster test ($CLUSTER_TEST)$( (( loaded )) && echo ' under load')"
    run_tests "$loaded" --test "$CLUSTER_TEST" || status=$?
fi
bench_status=0
# Only in a run that selects no targets and passes no test-binary arguments.
if (( ${#bin_args[@]} == 0 && ! selects_targets )); then
    run_cargo test --locked --no-fail-fast --benches "${cargo_args[@]+"${cargo_args[@]}"}"
    bench_status=$?
fi
set -e

read -r bins failed_bins passed failed list < <(summarize)
if (( status != 0 || bench_status != 0 )); then
    say "cargo test failed (exit $status, benchmarks exit $bench_status); last lines of the Kafka broker log ($KAFKA_DIR/logs/server.log):"
    "${KAFKA_SH[@]}" logs "$KAFKA_DIR" 60 >&2 || true
    what="${list:-}"
    if (( status != 0 )) && [[ -z "$what" ]]; then
        what="no test binary failed: a build error or a cargo error (exit $status), see above"
    fi
    if (( bench_status != 0 )); then
        what="${what:+$what; }benchmarks in test mode (cargo test --benches, exit $bench_status)"
    fi
    say "summary: FAILED: $what. $passed tests passed, $failed failed, in $bins test binaries ($failed_bins failed); full output in $LOG"
    (( status != 0 )) && exit "$status"
    exit "$bench_status"
fi
say "summary: all $bins test binaries passed ($passed tests passed, 0 failed); full output in $LOG"
