#!/usr/bin/env bash
# Test harness: a throwaway PostgreSQL server from Debian's `postgresql` package (initdb +
# pg_ctl), for the console store's tests (tests/console_store.rs). No Docker, no service: the
# cluster lives in a temp dir and listens on a free 127.0.0.1 port only.
#
#   scripts/postgres.sh ensure           find initdb/pg_ctl (PATH, /usr/lib/postgresql/*/bin); as
#                                        root on Debian, install the `postgresql` package when
#                                        they are missing (its own cluster's service kept down);
#                                        prints the bin dir last
#   scripts/postgres.sh start DIR        initdb DIR/data, start on a free port with the unix
#                                        socket in DIR, wait for pg_isready, create the test
#                                        database; prints its URL last:
#                                        postgres://synth_review@127.0.0.1:PORT/synth_review_test
#   scripts/postgres.sh stop DIR         pg_ctl stop -m fast (immediate after PG_STOP_TIMEOUT)
#   scripts/postgres.sh logs DIR [LINES] tail of the server log
#
# The cluster is for tests only: `trust` authentication (on the loopback and the socket in DIR,
# nowhere else), fsync off. Postgres refuses to run as root: as root the cluster belongs to the
# `postgres` user (created by the Debian package) and every server command runs through
# `runuser -u postgres --`; DIR is handed to that user.
#
# Environment:
#   PG_START_TIMEOUT   seconds to wait for the server to accept connections (default 60)
#   PG_STOP_TIMEOUT    seconds to wait for a fast shutdown (default 30)
#
# Only the bin dir (ensure) or the URL (start) goes to stdout, as the last line; progress goes
# to stderr.
set -euo pipefail

PROG="scripts/postgres.sh"
say() { printf '[postgres.sh] %s\n' "$*" >&2; }
die() { printf '[postgres.sh] error: %s\n' "$*" >&2; exit 1; }

PG_USER=synth_review
PG_DB=synth_review_test

# --------------------------------------------------------------- binaries --
# The directory with initdb and pg_ctl: the one on PATH, else Debian's newest major version.
find_bin_dir() {
    local initdb dir
    if initdb=$(command -v initdb 2>/dev/null) && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$initdb")"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    done
    return 1
}

# Debian's postinst creates a cluster `main` and would start its service on :5432; a policy-rc.d
# that answers 101 ("action forbidden") keeps invoke-rc.d from starting it, and a service that
# started anyway is stopped again (as scripts/test.sh does for prometheus).
install_postgres() {
    local policy=/usr/sbin/policy-rc.d created=0 rc=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# written by synth-review scripts/postgres.sh while it installs postgresql\nexit 101\n' >"$policy"
        chmod 0755 "$policy"
        created=1
        # shellcheck disable=SC2064 # expand $policy now
        trap "rm -f -- '$policy'; exit 130" INT TERM HUP
    fi
    (
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq </dev/null &&
            apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef \
                -o Dpkg::Options::=--force-confold postgresql </dev/null
    ) >&2 || rc=$?
    if (( created )); then
        rm -f -- "$policy"
        trap - INT TERM HUP
    fi
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now postgresql.service >/dev/null 2>&1 || true
    fi
    if [[ -x /etc/init.d/postgresql ]] && /etc/init.d/postgresql status >/dev/null 2>&1; then
        /etc/init.d/postgresql stop >&2 || true
    fi
    (( rc == 0 )) || die "apt-get install postgresql failed (exit $rc)"
}

cmd_ensure() {
    local dir
    if dir=$(find_bin_dir); then
        printf '%s\n' "$dir"
        return 0
    fi
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "missing 'initdb'/'pg_ctl': the console store tests run a real PostgreSQL (Debian, as root: apt-get install -y --no-install-recommends postgresql)"
    fi
    say "installing Debian's postgresql package (initdb, pg_ctl); its service is not started"
    install_postgres
    dir=$(find_bin_dir) || die "postgresql installed, but no initdb/pg_ctl in /usr/lib/postgresql/*/bin"
    printf '%s\n' "$dir"
}

# ------------------------------------------------------------------ helpers --
BIN=""
bin() {
    [[ -n "$BIN" ]] || BIN=$(find_bin_dir) || die "no initdb/pg_ctl: run '$PROG ensure' first"
    printf '%s/%s\n' "$BIN" "$1"
}

# Server commands run as the cluster's owner: `postgres` when we are root.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

require_dir() {
    [[ -n "${1:-}" ]] || die "missing state DIR argument"
    [[ -d "$1" ]] || die "state dir '$1' does not exist"
}

# A free TCP port on 127.0.0.1 below the kernel's ephemeral range (like scripts/kafka.sh).
pick_port() {
    local lo=20000 hi=32000 eph_lo port
    eph_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    if (( eph_lo <= hi )); then hi=$((eph_lo - 1)); fi
    for _ in $(seq 1 200); do
        port=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo) ))
        # Something listening answers; a refused connect means free.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "could not find a free TCP port on 127.0.0.1 in $lo-$hi"
}

server_running() { as_owner "$(bin pg_ctl)" -D "$1/data" status >/dev/null 2>&1; }

# --------------------------------------------------------------- commands --
cmd_start() {
    local dir port timeout=${PG_START_TIMEOUT:-60} deadline attempt started seen_pid
    require_dir "${1:-}"
    dir=$(cd "$1" && pwd)
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to own the cluster"
        chown postgres: "$dir"
        as_owner test -w "$dir" || die "user postgres cannot write to $dir (a parent directory closed to it?); set TMPDIR to a directory it can reach"
    fi
    say "initdb $dir/data ($("$(bin initdb)" --version))"
    as_owner "$(bin initdb)" -D "$dir/data" -U "$PG_USER" --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { tail -n 30 "$dir/initdb.log" >&2; die "initdb failed"; }
    # Trust only on the loopback and the unix socket (initdb's default hba has the same lines,
    # plus ::1; the server listens on 127.0.0.1 only).
    for attempt in 1 2 3; do
        port=$(pick_port)
        as_owner "$(bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -W \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null
        deadline=$(( SECONDS + timeout ))
        started=$SECONDS
        seen_pid=0
        while :; do
            if "$(bin pg_isready)" -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d postgres; then
                break 2
            fi
            # pg_ctl -W returns before the postmaster has written its pid file: "not running"
            # means it died only once the pid file was seen, the log has a FATAL line, or 10 s
            # went by.
            [[ -f "$dir/data/postmaster.pid" ]] && seen_pid=1
            if { (( seen_pid || SECONDS - started >= 10 )) ||
                grep -q 'FATAL\|PANIC' "$dir/server.log" 2>/dev/null; } && ! server_running "$dir"; then
                if grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null; then
                    say "port $port was taken; another one (attempt $attempt)"
                    continue 2
                fi
                tail -n 30 "$dir/server.log" >&2 || true
                die "the server stopped during start-up (log: $dir/server.log)"
            fi
            if (( SECONDS >= deadline )); then
                tail -n 30 "$dir/server.log" >&2 || true
                die "the server did not accept connections within ${timeout}s (log: $dir/server.log)"
            fi
            sleep 0.2
        done
    done
    server_running "$dir" || die "could not start the server on a free port (log: $dir/server.log)"
    printf '%s\n' "$port" >"$dir/port"
    "$(bin createdb)" -h 127.0.0.1 -p "$port" -U "$PG_USER" "$PG_DB" ||
        die "createdb $PG_DB failed (log: $dir/server.log)"
    say "PostgreSQL $("$(bin postgres)" --version | awk '{print $3}') at 127.0.0.1:$port (data $dir/data)"
    printf 'postgres://%s@127.0.0.1:%s/%s\n' "$PG_USER" "$port" "$PG_DB"
}

cmd_stop() {
    local dir
    require_dir "${1:-}"
    dir=$(cd "$1" && pwd)
    [[ -d "$dir/data" ]] || return 0
    server_running "$dir" || return 0
    as_owner "$(bin pg_ctl)" -D "$dir/data" -m fast -t "${PG_STOP_TIMEOUT:-30}" -w stop >/dev/null 2>&1 ||
        as_owner "$(bin pg_ctl)" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
        die "could not stop the server in $dir"
}

cmd_logs() {
    require_dir "${1:-}"
    tail -n "${2:-60}" "$1/server.log"
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    logs) shift; cmd_logs "$@" ;;
    *) die "usage: $PROG ensure | start DIR | stop DIR | logs DIR [LINES]" ;;
esac
