#!/usr/bin/env bash
# Test harness: a real single-node Apache Kafka broker (KRaft, combined
# broker+controller) run from the official org.apache.kafka jars on Maven
# Central. No Docker, no tarball download, no ZooKeeper.
#
#   scripts/kafka.sh fetch                      resolve jars into the cache (idempotent)
#   scripts/kafka.sh start [DIR]                start a broker; prints 127.0.0.1:PORT last
#   scripts/kafka.sh stop DIR                   SIGTERM, bounded wait, then SIGKILL
#   scripts/kafka.sh restart DIR                stop + start on the same ports and data
#   scripts/kafka.sh status DIR                 exit 0 if the broker answers Kafka requests
#   scripts/kafka.sh topic DIR create NAME PARTITIONS
#   scripts/kafka.sh topic DIR list|describe [NAME]|delete NAME
#   scripts/kafka.sh tool DIR CLASS [ARGS...]   run any Kafka CLI class on the broker's classpath
#   scripts/kafka.sh logs DIR [LINES]           tail of the broker log
#   scripts/kafka.sh libs                       print the libs dir (after fetch)
#
# A three-node cluster (combined broker+controller nodes, static quorum of all three, every topic
# with replication factor 3 and min.insync.replicas 2, also __consumer_offsets and
# __transaction_state; heaps KAFKA_CLUSTER_HEAP_OPTS, default 256 MB each):
#
#   scripts/kafka.sh cluster-start DIR          start (or create) DIR/node1..3; prints the
#                                               comma-separated bootstrap list last
#   scripts/kafka.sh cluster-stop DIR           SIGTERM to all nodes, bounded wait, then SIGKILL
#   scripts/kafka.sh cluster-status DIR         exit 0 if every node answers
#   scripts/kafka.sh node-stop|node-start|node-restart DIR N    one node, N in 1..3
#   scripts/kafka.sh node-kill DIR N            kill -9, no controlled shutdown
#   scripts/kafka.sh node-pause|node-resume DIR N   SIGSTOP/SIGCONT: the node is cut off from
#                                               clients and peers as by a network partition
#   scripts/kafka.sh node-pid|node-dir DIR N    the node's pid (if running) / state dir
#
# Environment:
#   KAFKA_VERSION          Kafka version to resolve (default: the one in scripts/kafka/pom.xml)
#   SYNTH_REVIEW_CACHE     cache root (default ~/.cache/synth-review)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to serve (default 120)
#   KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 30)
#   KAFKA_HEAP_OPTS        broker heap (default "-Xms256m -Xmx512m")
#   KAFKA_OPTS             extra JVM options for the broker (appended)
#   JAVA_HOME / JAVA       java to use (default: $JAVA_HOME/bin/java, else java on PATH)
#
# Only the bootstrap address goes to stdout (as the last line of `start`);
# progress and errors go to stderr.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
PROG="scripts/kafka.sh"

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { printf '[kafka.sh] error: %s\n' "$*" >&2; exit 1; }

default_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}
KAFKA_VERSION="${KAFKA_VERSION:-$(default_version)}"
[[ -n "$KAFKA_VERSION" ]] || die "cannot read <kafka.version> from $POM"
CACHE_ROOT="${SYNTH_REVIEW_CACHE:-${HOME:-/tmp}/.cache/synth-review}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.fetch-complete"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

find_java() {
    if [[ -n "${JAVA:-}" ]]; then
        printf '%s\n' "$JAVA"
    elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    else
        die "java not found: install a Java 17+ runtime (Debian: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"
    fi
}

# Kafka 4.x needs Java 17+ (broker and tools).
check_java_version() {
    local java major
    java=$(find_java)
    major=$("$java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = //p' | head -n1)
    [[ -n "$major" ]] || die "'$java -version' failed; is Java installed correctly?"
    major=${major#1.}
    (( ${major%%.*} >= 17 )) \
        || die "Kafka $KAFKA_VERSION needs Java 17 or newer, but $java is Java $major (Debian: apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME)"
}

# Fingerprint of what `fetch` was asked for: the pom and the version.
fetch_fingerprint() {
    { cat "$POM"; printf 'kafka.version=%s\n' "$KAFKA_VERSION"; } | sha256sum | cut -d' ' -f1
}

fetch_is_complete() {
    [[ -f "$MARKER" && -d "$LIBS" ]] || return 1
    [[ "$(sed -n 's/^fingerprint=//p' "$MARKER")" == "$(fetch_fingerprint)" ]] || return 1
    local jar
    while IFS= read -r jar; do
        [[ -s "$LIBS/$jar" ]] || return 1
    done < <(sed -n 's/^jar=//p' "$MARKER")
}

cmd_fetch() {
    if fetch_is_complete; then
        log "Kafka $KAFKA_VERSION jars already in $LIBS"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 \
        || die "mvn not found: install Maven (Debian: apt-get install -y maven); it resolves the Kafka jars from Maven Central"
    check_java_version
    mkdir -p "$KAFKA_HOME"
    # Serialise concurrent fetches of the same version.
    exec 9>"$KAFKA_HOME/.fetch.lock"
    flock 9
    if fetch_is_complete; then
        log "Kafka $KAFKA_VERSION jars already in $LIBS"
        return 0
    fi
    local tmp="$KAFKA_HOME/libs.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    log "resolving Kafka $KAFKA_VERSION jars from Maven Central (mvn) into $LIBS ..."
    local mvn_log="$KAFKA_HOME/fetch.log"
    if ! mvn -B -q -Dstyle.color=never -f "$POM" \
            -Dkafka.version="$KAFKA_VERSION" \
            dependency:copy-dependencies \
            -DincludeScope=runtime \
            -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
        tail -n 40 "$mvn_log" >&2 || true
        rm -rf "$tmp"
        die "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log: $mvn_log)"
    fi
    local n
    n=$(find "$tmp" -maxdepth 1 -name '*.jar' | wc -l)
    [[ -s "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn (log: $mvn_log)"; }
    rm -rf "$LIBS"
    mv "$tmp" "$LIBS"
    {
        printf 'version=%s\n' "$KAFKA_VERSION"
        printf 'fingerprint=%s\n' "$(fetch_fingerprint)"
        (cd "$LIBS" && ls -1 -- *.jar) | sed 's/^/jar=/'
    } >"$MARKER.tmp"
    mv "$MARKER.tmp" "$MARKER"
    log "fetched $n jars for Kafka $KAFKA_VERSION into $LIBS"
}

require_libs() {
    fetch_is_complete || die "Kafka $KAFKA_VERSION jars not fetched yet: run '$PROG fetch' first"
}

# ---------------------------------------------------------------- ports ----

# Free TCP port on 127.0.0.1, chosen below the kernel's ephemeral range so
# that client sockets cannot grab it while the broker is down for `restart`.
port_is_free() {
    local port=$1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Like the JVM's server sockets: TIME_WAIT leftovers of a stopped broker
# must not count as "in use" (only a live listener does).
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
    else
        # Something listening answers; a refused connect means free enough.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 1; fi
    fi
}

pick_port() {
    local lo=20000 hi=32000 eph_lo port
    eph_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    if (( eph_lo <= hi )); then hi=$((eph_lo - 1)); fi
    if (( hi <= lo )); then lo=10000; fi
    for _ in $(seq 1 200); do
        port=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo) ))
        [[ " ${EXCLUDE_PORTS:-} " == *" $port "* ]] && continue
        if port_is_free "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    die "could not find a free TCP port on 127.0.0.1 in $lo-$hi"
}

# -------------------------------------------------------------- helpers ----

require_dir() {
    [[ -n "${1:-}" ]] || die "missing state DIR argument (the directory printed/used by '$PROG start')"
    [[ -d "$1" ]] || die "state dir '$1' does not exist"
}

abs_dir() { (cd "$1" && pwd); }

read_bootstrap() {
    [[ -s "$1/bootstrap" ]] || die "$1/bootstrap missing: was a broker ever started in '$1'?"
    cat "$1/bootstrap"
}

# True if pid is a live process (a zombie that its parent has not reaped yet
# counts as dead).
alive() {
    local pid=$1 state
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) || return 1
        [[ "$state" != Z ]] || return 1
    fi
}

# pid of the broker of DIR if it is running (and really is that broker).
running_pid() {
    local dir=$1 pid
    [[ -s "$dir/pid" ]] || return 1
    pid=$(cat "$dir/pid")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    # Guard against pid reuse: the process must be our kafka.Kafka for DIR.
    if [[ -r "/proc/$pid/cmdline" ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $dir/server.properties" || return 1
    fi
    printf '%s\n' "$pid"
}

# Send a Kafka ApiVersions v0 request over bash /dev/tcp and check that a
# well-formed answer (matching correlation id, error_code 0) comes back.
kafka_ping() {
    local host=$1 port=$2 reply
    reply=$(
        exec 3<>"/dev/tcp/$host/$port" || exit 1
        # size=15 | api_key=18 | api_version=0 | correlation_id=0x5EED | client_id="probe"
        printf '\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x5e\xed\x00\x05probe' >&3
        timeout 5 head -c 10 <&3 | od -An -tx1 | tr -d ' \n'
    ) 2>/dev/null || return 1
    # bytes 4..7 correlation id, 8..9 error code
    [[ "${reply:8:8}" == "00005eed" && "${reply:16:4}" == "0000" ]]
}

tool_java_opts() {
    printf '%s\n' -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
}

run_tool() {
    local dir=$1; shift
    local class=$1; shift
    local java opts=()
    java=$(find_java)
    mapfile -t opts < <(tool_java_opts)
    local l4j=()
    [[ -f "$dir/tools-log4j2.properties" ]] && l4j=(-Dlog4j2.configurationFile="$dir/tools-log4j2.properties")
    "$java" "${opts[@]}" "${l4j[@]}" -cp "$LIBS/*" "$class" "$@"
}

# write_configs DIR BROKER_PORT CONTROLLER_PORT [NODE_ID VOTERS RF MIN_ISR]: a single node by
# default; a cluster node with its id, the quorum's voters (`1@127.0.0.1:P1,2@...`), the
# replication factor of every topic (internal ones too) and min.insync.replicas otherwise.
write_configs() {
    local dir=$1 bport=$2 cport=$3 node=${4:-1} voters=${5:-1@127.0.0.1:$3} rf=${6:-1} isr=${7:-1}
    local what="single-node KRaft test broker"
    (( rf > 1 )) && what="KRaft test cluster node $node (combined broker+controller)"
    cat >"$dir/server.properties" <<EOF
# Generated by scripts/kafka.sh: $what (Kafka $KAFKA_VERSION).
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$bport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
metadata.log.dir=$dir/data

# Every topic, the internal ones too, with replication factor $rf and min.insync.replicas $isr.
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
unclean.leader.election.enable=false
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0

# Small machine, short-lived data.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=67108864
EOF
    cat >"$dir/log4j2.properties" <<EOF
status = warn
name = synth-review-kafka
shutdownHook = disable
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
    cat >"$dir/tools-log4j2.properties" <<'EOF'
status = warn
name = synth-review-kafka-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

new_cluster_id() {
    # Kafka Uuid: 16 random bytes, base64url without padding (22 chars);
    # Kafka's own generator avoids ids starting with '-', so do we.
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ "$id" != -* && ${#id} -eq 22 ]] && break
    done
    printf '%s\n' "$id"
}

# ---------------------------------------------------------------- start ----

# prepare_dir DIR: ports (picked once, then reused), configs, bootstrap file and formatted
# storage of a single broker or (when DIR/node exists, written by cluster-start) a cluster node.
# Sets BPORT and CPORT.
prepare_dir() {
    local dir=$1
    mkdir -p "$dir/logs" "$dir/data"
    local pid
    if pid=$(running_pid "$dir"); then
        die "a broker is already running for $dir (pid $pid, bootstrap $(cat "$dir/bootstrap" 2>/dev/null)); use '$PROG stop $dir' or '$PROG restart $dir'"
    fi
    if [[ -s "$dir/ports" ]]; then
        read -r BPORT CPORT <"$dir/ports"
        for p in "$BPORT" "$CPORT"; do
            port_is_free "$p" || die "port $p (recorded in $dir/ports) is in use by another process; cannot restart on the same port"
        done
    else
        BPORT=$(pick_port)
        CPORT=$(EXCLUDE_PORTS="$BPORT" pick_port)
        printf '%s %s\n' "$BPORT" "$CPORT" >"$dir/ports"
    fi
    local node=() cid
    if [[ -s "$dir/node" ]]; then
        # node id, voters, replication factor, min.insync.replicas
        read -r -a node <"$dir/node"
    fi
    write_configs "$dir" "$BPORT" "$CPORT" "${node[@]+"${node[@]}"}"
    printf '127.0.0.1:%s\n' "$BPORT" >"$dir/bootstrap"
    if [[ ! -f "$dir/data/meta.properties" ]]; then
        if [[ -s "$dir/cluster-id" ]]; then
            cid=$(cat "$dir/cluster-id")
        else
            cid=$(new_cluster_id)
            printf '%s\n' "$cid" >"$dir/cluster-id"
        fi
        log "formatting storage in $dir/data (cluster id $cid)"
        if ! run_tool "$dir" kafka.tools.StorageTool format \
                --cluster-id "$cid" --config "$dir/server.properties" --ignore-formatted \
                >"$dir/logs/format.log" 2>&1; then
            cat "$dir/logs/format.log" >&2
            die "kafka.tools.StorageTool format failed"
        fi
    fi
}

# launch DIR: starts the broker JVM of a prepared DIR in the background. Sets LAUNCH_PID and
# LAUNCH_OFF (where this start's lines begin in server.log).
launch() {
    local dir=$1
    local java
    java=$(find_java)
    local heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
    [[ -s "$dir/node" ]] && heap="${KAFKA_CLUSTER_HEAP_OPTS:--Xms256m -Xmx256m}"
    local jvm_opts=()
    read -r -a jvm_opts <<<"$heap"
    # shellcheck disable=SC2054 # the commas belong to -Xlog's syntax
    jvm_opts+=(
        -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError
        -Djava.awt.headless=true
        -Dkafka.logs.dir="$dir/logs"
        -Dlog4j2.configurationFile="$dir/log4j2.properties"
        -Xlog:gc*:file="$dir/logs/gc.log":time,tags:filecount=2,filesize=10M
    )
    # shellcheck disable=SC2206
    [[ -n "${KAFKA_OPTS:-}" ]] && jvm_opts+=($KAFKA_OPTS)

    # Remember where this start's output begins, to look for the ready line.
    local out="$dir/logs/kafka.out"
    printf '\n==== start %s ====\n' "$(date -u +%FT%TZ)" >>"$out"
    local srv_log="$dir/logs/server.log"
    LAUNCH_OFF=0
    [[ -f "$srv_log" ]] && LAUNCH_OFF=$(stat -c %s "$srv_log")

    local bport cport
    read -r bport cport <"$dir/ports"
    log "starting Kafka $KAFKA_VERSION broker on 127.0.0.1:$bport (controller 127.0.0.1:$cport), state in $dir"
    # setsid: own session, so a Ctrl-C in the caller's terminal does not hit
    # the broker before the harness stops it in order.
    nohup setsid "$java" "${jvm_opts[@]}" -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
        >>"$out" 2>&1 </dev/null &
    LAUNCH_PID=$!
    printf '%s\n' "$LAUNCH_PID" >"$dir/pid"
}

# await_ready DIR PID SERVER_LOG_OFFSET: until the broker logged 'Kafka Server started' and
# answers ApiVersions, within KAFKA_START_TIMEOUT; stops it and fails otherwise.
await_ready() {
    local dir=$1 pid=$2 srv_off=$3 t0=$SECONDS
    local srv_log="$dir/logs/server.log" out="$dir/logs/kafka.out" bport cport
    read -r bport cport <"$dir/ports"
    local deadline=$((SECONDS + START_TIMEOUT)) started=0
    while :; do
        if ! alive "$pid"; then
            wait "$pid" 2>/dev/null || true
            log "broker process $pid exited during start-up; last lines of $srv_log and $out:"
            tail -n 40 "$srv_log" >&2 2>/dev/null || true
            tail -n 20 "$out" >&2 || true
            rm -f "$dir/pid"
            die "Kafka broker failed to start"
        fi
        if (( ! started )) && [[ -f "$srv_log" ]] \
                && tail -c +"$((srv_off + 1))" "$srv_log" | grep -q 'Kafka Server started'; then
            started=1
        fi
        if (( started )) && kafka_ping 127.0.0.1 "$bport"; then
            break
        fi
        if (( SECONDS >= deadline )); then
            log "broker did not become ready within ${START_TIMEOUT}s; last lines of $srv_log:"
            tail -n 60 "$srv_log" >&2 2>/dev/null || tail -n 60 "$out" >&2 || true
            stop_pid "$dir" "$pid" || true
            rm -f "$dir/pid"
            die "Kafka broker not ready after ${START_TIMEOUT}s (state dir $dir)"
        fi
        sleep 0.2
    done
    log "broker ready in $((SECONDS - t0))s (pid $pid)"
}

cmd_start() {
    local dir="${1:-}"
    require_libs
    check_java_version
    if [[ -z "$dir" ]]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/synth-review-kafka.XXXXXX")
    else
        mkdir -p "$dir"
    fi
    dir=$(abs_dir "$dir")
    prepare_dir "$dir"
    launch "$dir"
    await_ready "$dir" "$LAUNCH_PID" "$LAUNCH_OFF"
    printf '127.0.0.1:%s\n' "$BPORT"
}

# ----------------------------------------------------------------- stop ----

stop_pid() {
    local dir=$1 pid=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid"; do
        if (( SECONDS >= deadline )); then
            log "broker pid $pid still alive ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            local d2=$((SECONDS + 10))
            while alive "$pid" && (( SECONDS < d2 )); do sleep 0.1; done
            break
        fi
        sleep 0.1
    done
    # Reap if it is our child (start+stop in one shell); harmless otherwise.
    wait "$pid" 2>/dev/null || true
    if alive "$pid"; then
        die "could not stop broker pid $pid"
    fi
}

cmd_stop() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    local pid
    if ! pid=$(running_pid "$dir"); then
        log "no broker running for $dir"
        rm -f "$dir/pid"
        return 0
    fi
    log "stopping broker pid $pid ($dir)"
    stop_pid "$dir" "$pid"
    rm -f "$dir/pid"
    log "stopped"
}

cmd_restart() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    [[ -s "$dir/ports" ]] || die "$dir/ports missing: '$dir' is not a broker state dir made by '$PROG start'"
    cmd_stop "$dir"
    cmd_start "$dir"
}

cmd_status() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    local pid bs
    pid=$(running_pid "$dir") || { log "not running ($dir)"; return 1; }
    bs=$(read_bootstrap "$dir")
    if kafka_ping "${bs%:*}" "${bs##*:}"; then
        log "running: pid $pid, bootstrap $bs"
        printf '%s\n' "$bs"
    else
        log "pid $pid alive but $bs does not answer Kafka ApiVersions"
        return 1
    fi
}

cmd_topic() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    require_libs
    local action="${2:-}"
    local bs
    bs=$(read_bootstrap "$dir")
    local tc=org.apache.kafka.tools.TopicCommand
    case "$action" in
        create)
            local name="${3:-}" parts="${4:-}"
            [[ -n "$name" && "$parts" =~ ^[0-9]+$ ]] || die "usage: $PROG topic DIR create NAME PARTITIONS [extra TopicCommand args]"
            shift 4
            run_tool "$dir" "$tc" --bootstrap-server "$bs" --create --if-not-exists \
                --topic "$name" --partitions "$parts" --replication-factor 1 "$@"
            ;;
        list)
            run_tool "$dir" "$tc" --bootstrap-server "$bs" --list
            ;;
        describe)
            shift 2
            if [[ -n "${1:-}" ]]; then
                local n=$1; shift
                run_tool "$dir" "$tc" --bootstrap-server "$bs" --describe --topic "$n" "$@"
            else
                run_tool "$dir" "$tc" --bootstrap-server "$bs" --describe
            fi
            ;;
        delete)
            local name="${3:-}"
            [[ -n "$name" ]] || die "usage: $PROG topic DIR delete NAME"
            run_tool "$dir" "$tc" --bootstrap-server "$bs" --delete --if-exists --topic "$name"
            ;;
        *)
            die "usage: $PROG topic DIR create NAME PARTITIONS | list | describe [NAME] | delete NAME"
            ;;
    esac
}

cmd_tool() {
    local dir="${1:-}" class="${2:-}"
    require_dir "$dir"
    [[ -n "$class" ]] || die "usage: $PROG tool DIR CLASS [ARGS...]  (e.g. org.apache.kafka.tools.ConsoleProducer)"
    dir=$(abs_dir "$dir")
    require_libs
    shift 2
    run_tool "$dir" "$class" "$@"
}

cmd_logs() {
    local dir="${1:-}"
    require_dir "$dir"
    tail -n "${2:-80}" "$dir/logs/server.log" 2>/dev/null || tail -n "${2:-80}" "$dir/logs/kafka.out"
}

# -------------------------------------------------------------- cluster ----
# A cluster DIR holds node1/ node2/ node3/, each a broker state dir of its own (ports, configs,
# data, logs, pid) that `stop`, `start`, `restart`, `status` and `logs` also accept, plus
# DIR/bootstrap (the three broker addresses, comma-separated).

CLUSTER_NODES=3

node_dir() {
    local dir=$1 n=${2:-}
    [[ "$n" =~ ^[1-9][0-9]*$ ]] && (( n <= CLUSTER_NODES )) || die "node number must be 1..$CLUSTER_NODES, not '$n'"
    [[ -d "$dir/node$n" ]] || die "$dir/node$n missing: '$dir' is not a cluster dir made by '$PROG cluster-start'"
    printf '%s\n' "$dir/node$n"
}

cmd_cluster_start() {
    local dir="${1:-}"
    [[ -n "$dir" ]] || die "usage: $PROG cluster-start DIR"
    require_libs
    check_java_version
    mkdir -p "$dir"
    dir=$(abs_dir "$dir")
    local n
    if [[ ! -s "$dir/node1/node" ]]; then
        # Six distinct free ports: a broker and a controller listener per node.
        local ports=() voters="" cid
        for _ in $(seq 1 $((2 * CLUSTER_NODES))); do
            ports+=("$(EXCLUDE_PORTS="${ports[*]+"${ports[*]}"}" pick_port)")
        done
        for n in $(seq 1 "$CLUSTER_NODES"); do
            voters="${voters:+$voters,}$n@127.0.0.1:${ports[$((2 * n - 1))]}"
        done
        cid=$(new_cluster_id)
        for n in $(seq 1 "$CLUSTER_NODES"); do
            mkdir -p "$dir/node$n"
            printf '%s %s\n' "${ports[$((2 * n - 2))]}" "${ports[$((2 * n - 1))]}" >"$dir/node$n/ports"
            # node id, quorum voters, replication factor 3, min.insync.replicas 2
            printf '%s %s 3 2\n' "$n" "$voters" >"$dir/node$n/node"
            printf '%s\n' "$cid" >"$dir/node$n/cluster-id"
        done
        log "cluster $cid in $dir: voters $voters"
    fi
    # The nodes wait for a quorum of each other: all are launched before any is awaited.
    local pids=() offs=() nd bs=""
    for n in $(seq 1 "$CLUSTER_NODES"); do
        nd="$dir/node$n"
        if running_pid "$nd" >/dev/null; then
            pids+=("")
            offs+=("")
        else
            prepare_dir "$nd"
            launch "$nd"
            pids+=("$LAUNCH_PID")
            offs+=("$LAUNCH_OFF")
        fi
        bs="${bs:+$bs,}$(cat "$nd/bootstrap")"
    done
    for n in $(seq 1 "$CLUSTER_NODES"); do
        [[ -n "${pids[$((n - 1))]}" ]] && await_ready "$dir/node$n" "${pids[$((n - 1))]}" "${offs[$((n - 1))]}"
    done
    printf '%s\n' "$bs" >"$dir/bootstrap"
    log "cluster ready: $bs"
    printf '%s\n' "$bs"
}

cmd_cluster_stop() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    # All at once: stopped one by one, the last nodes would wait for a controller quorum that is
    # already gone (controlled shutdown) until STOP_TIMEOUT.
    local n nd pid pids=()
    for n in $(seq 1 "$CLUSTER_NODES"); do
        nd="$dir/node$n"
        [[ -d "$nd" ]] || continue
        if pid=$(running_pid "$nd"); then
            kill -CONT "$pid" 2>/dev/null || true
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$n:$pid")
        fi
    done
    local deadline=$((SECONDS + STOP_TIMEOUT)) np
    for np in "${pids[@]+"${pids[@]}"}"; do
        pid=${np#*:}
        while alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
        if alive "$pid"; then
            log "node ${np%%:*} (pid $pid) still alive ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            local d2=$((SECONDS + 10))
            while alive "$pid" && (( SECONDS < d2 )); do sleep 0.1; done
        fi
        alive "$pid" && die "could not stop node ${np%%:*} (pid $pid)"
        rm -f "$dir/node${np%%:*}/pid"
    done
    log "cluster in $dir stopped"
}

cmd_cluster_status() {
    local dir="${1:-}"
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    local n rc=0
    for n in $(seq 1 "$CLUSTER_NODES"); do
        cmd_status "$(node_dir "$dir" "$n")" >/dev/null || rc=1
    done
    (( rc == 0 )) && cat "$dir/bootstrap"
    return "$rc"
}

# node-kill DIR N: SIGKILL (kill -9), no controlled shutdown; waits until the process is gone.
cmd_node_kill() {
    local nd pid
    require_dir "${1:-}"
    nd=$(node_dir "$(abs_dir "$1")" "${2:-}")
    pid=$(running_pid "$nd") || { log "node $2 is not running"; return 0; }
    log "kill -9 node $2 (pid $pid)"
    kill -KILL "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while alive "$pid" && (( SECONDS < deadline )); do sleep 0.05; done
    wait "$pid" 2>/dev/null || true
    alive "$pid" && die "node $2 (pid $pid) survived SIGKILL"
    rm -f "$nd/pid"
}

# node-pause / node-resume DIR N: SIGSTOP / SIGCONT. A stopped JVM answers nobody, neither
# clients nor the other nodes: to the cluster it is a node cut off by a network partition.
cmd_node_signal() {
    local sig=$1 nd pid
    shift
    require_dir "${1:-}"
    nd=$(node_dir "$(abs_dir "$1")" "${2:-}")
    pid=$(running_pid "$nd") || die "node $2 is not running"
    log "SIG$sig node $2 (pid $pid)"
    kill "-$sig" "$pid"
}

cmd_node() {
    local what=$1 dir=${2:-} n=${3:-}
    require_dir "$dir"
    dir=$(abs_dir "$dir")
    local nd
    nd=$(node_dir "$dir" "$n")
    case "$what" in
        start) cmd_start "$nd" ;;
        stop) cmd_stop "$nd" ;;
        restart) cmd_restart "$nd" ;;
        pid) running_pid "$nd" ;;
        dir) printf '%s\n' "$nd" ;;
    esac
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
}

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        fetch)   cmd_fetch "$@" ;;
        start)   cmd_start "$@" ;;
        stop)    cmd_stop "$@" ;;
        restart) cmd_restart "$@" ;;
        status)  cmd_status "$@" ;;
        topic)   cmd_topic "$@" ;;
        tool)    cmd_tool "$@" ;;
        logs)    cmd_logs "$@" ;;
        libs)    require_libs; printf '%s\n' "$LIBS" ;;
        cluster-start)  cmd_cluster_start "$@" ;;
        cluster-stop)   cmd_cluster_stop "$@" ;;
        cluster-status) cmd_cluster_status "$@" ;;
        node-start)     cmd_node start "$@" ;;
        node-stop)      cmd_node stop "$@" ;;
        node-restart)   cmd_node restart "$@" ;;
        node-pid)       cmd_node pid "$@" ;;
        node-dir)       cmd_node dir "$@" ;;
        node-kill)      cmd_node_kill "$@" ;;
        node-pause)     cmd_node_signal STOP "$@" ;;
        node-resume)    cmd_node_signal CONT "$@" ;;
        -h|--help|help) usage ;;
        "") usage; exit 2 ;;
        *) usage; die "unknown subcommand '$cmd'" ;;
    esac
}

main "$@"
