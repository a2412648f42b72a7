#!/usr/bin/env bash
# CPU load for the fault tests: busy workers on every core, so that a test sees a machine as
# loaded as CI machines get (load average 5-7 on 2 cores).
#
#   scripts/stress.sh run [-- ] CMD [ARGS...]   run CMD under load; the load stops when CMD ends;
#                                               exits with CMD's status
#   scripts/stress.sh start PIDFILE             start the load in the background, its process
#                                               group id in PIDFILE
#   scripts/stress.sh stop PIDFILE              stop the load started by `start`
#   scripts/stress.sh tool                      print which load generator would be used
#
# Environment:
#   SYNTH_REVIEW_STRESS_WORKERS  busy workers (default: 3 per core, at least 5; with the test's
#                                own processes that keeps the load average at 5-7+ on 2 cores)
#
# Load generator, first that is available:
#   1. stress-ng (Debian `stress-ng`; installed here with apt-get when we are root on a
#      Debian-like machine and it is missing): `stress-ng --cpu N --cpu-method all`
#   2. python3: N busy processes (integer and floating-point loops)
#   3. bash: N `while :; do :; done` subshells
# All of them run in one process group of their own (setsid), which `stop` and `run` end with
# SIGTERM and, if needed, SIGKILL: nothing is left behind.
set -euo pipefail

say() { printf '[stress.sh] %s\n' "$*" >&2; }
die() { printf '[stress.sh] error: %s\n' "$*" >&2; exit 1; }

cores=$(nproc 2>/dev/null || echo 2)
default_workers=$((cores * 3))
(( default_workers < 5 )) && default_workers=5
WORKERS="${SYNTH_REVIEW_STRESS_WORKERS:-$default_workers}"
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "SYNTH_REVIEW_STRESS_WORKERS must be a positive number, not '$WORKERS'"

ensure_stress_ng() {
    command -v stress-ng >/dev/null 2>&1 && return 0
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1 || return 1
    say "installing Debian's stress-ng (apt-get install -y stress-ng)"
    (
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends stress-ng </dev/null ||
            { apt-get update -qq </dev/null && apt-get install -y -qq --no-install-recommends stress-ng </dev/null; }
    ) >&2 || { say "apt-get install stress-ng failed; using a fallback"; return 1; }
    command -v stress-ng >/dev/null 2>&1
}

tool() {
    if ensure_stress_ng; then
        echo stress-ng
    elif command -v python3 >/dev/null 2>&1; then
        echo python3
    else
        echo bash
    fi
}

# The load itself, in the foreground of its own process group (exec'd by `start`).
load() {
    local t=$1
    case "$t" in
        stress-ng)
            exec stress-ng --cpu "$WORKERS" --cpu-method all --timeout 0 --quiet
            ;;
        python3)
            exec python3 - "$WORKERS" <<'PY'
import math, multiprocessing, signal, sys

def busy(_):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    x, i = 1.0, 0
    while True:
        i = (i * 1103515245 + 12345) & 0xFFFFFFFF
        x = math.sqrt(x * x + i % 97) % 1e6

n = int(sys.argv[1])
procs = [multiprocessing.Process(target=busy, args=(k,), daemon=True) for k in range(n)]
for p in procs:
    p.start()
for p in procs:
    p.join()
PY
            ;;
        bash)
            for _ in $(seq 1 "$WORKERS"); do
                (while :; do :; done) &
            done
            wait
            ;;
    esac
}

cmd_start() {
    local pidfile=${1:-}
    [[ -n "$pidfile" ]] || die "usage: scripts/stress.sh start PIDFILE"
    local t
    t=$(tool)
    # setsid: a process group of its own, ended as a whole by `stop`.
    setsid bash "${BASH_SOURCE[0]}" __load "$t" </dev/null >/dev/null 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$pidfile"
    say "load started: $WORKERS busy workers ($t) on $cores cores, process group $pid"
}

alive() { kill -0 "$1" 2>/dev/null; }

cmd_stop() {
    local pidfile=${1:-}
    [[ -n "$pidfile" && -s "$pidfile" ]] || die "usage: scripts/stress.sh stop PIDFILE (written by start)"
    local pid
    pid=$(cat "$pidfile")
    [[ "$pid" =~ ^[0-9]+$ ]] || die "$pidfile does not hold a process id"
    # The process group of the load (its leader is $pid, by setsid).
    kill -TERM -- "-$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 -- "-$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f -- "$pidfile"
    say "load stopped (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
}

cmd_run() {
    [[ "${1:-}" == "--" ]] && shift
    (( $# > 0 )) || die "usage: scripts/stress.sh run [--] CMD [ARGS...]"
    local pidfile
    pidfile=$(mktemp "${TMPDIR:-/tmp}/synth-review-stress.XXXXXX")
    cmd_start "$pidfile"
    # shellcheck disable=SC2064 # expand $pidfile now
    trap "bash '${BASH_SOURCE[0]}' stop '$pidfile' || true" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local rc=0
    "$@" || rc=$?
    say "command exited $rc; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    exit "$rc"
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    tool) tool ;;
    __load) shift; load "$@" ;;
    *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
