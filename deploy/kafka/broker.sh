#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# from the Maven Central jars: no Docker, no binary tarball.
#
#   deploy/kafka/broker.sh fetch  [--version V]
#   deploy/kafka/broker.sh start  [--version V] [--data-dir DIR] [--port P]
#                                 [--controller-port P] [--timeout S] [--owner-pid PID]
#                                 [--sasl-port P --sasl-user U --sasl-password PW]
#                                 [--tls-dir DIR] [--ssl-port P] [--sasl-ssl-port P]
#                                 [--scram-user NAME=PASSWORD]... [--authorizer]
#   deploy/kafka/broker.sh stop   [--data-dir DIR]
#   deploy/kafka/broker.sh status [--data-dir DIR]
#
# See deploy/kafka/README.md for the details (env vars, files, logs).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.0.2}"
SCALA_BINARY_VERSION="${KAFKA_SCALA_VERSION:-2.13}"
DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/var/kafka}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
OWNER_PID="${KAFKA_OWNER_PID:-}"
# A second client listener, SASL_PLAINTEXT with the PLAIN mechanism and one user, beside the
# PLAINTEXT one (which stays the inter-broker listener). No authorizer: any user who
# authenticates may do anything; it is there to test clients' SASL settings.
SASL_PORT="${KAFKA_SASL_PORT:-}"
SASL_USER="${KAFKA_SASL_USER:-}"
SASL_PASSWORD="${KAFKA_SASL_BROKER_PASSWORD:-}"
# TLS listeners: SSL with client certificates required (mutual TLS), SASL_SSL with SCRAM-SHA-512.
# TLS_DIR holds what deploy/kafka/certs.sh makes: ca.pem (trusted for client certificates),
# broker.p12 and broker.p12.password (the broker's key and certificate).
TLS_DIR="${KAFKA_TLS_DIR:-}"
SSL_PORT="${KAFKA_SSL_PORT:-}"
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
# SCRAM-SHA-512 users, written into the metadata log when the storage is formatted (no tool
# start of its own): "name=password" words, separated by spaces.
read -r -a SCRAM_USERS <<<"${KAFKA_SCRAM_USERS:-}"
# The KRaft StandardAuthorizer: every principal but the super users needs ACLs. The PLAINTEXT
# listener's principal (User:ANONYMOUS, also the controller's) and the SASL_PLAINTEXT user are
# super users, so clients of those listeners are unaffected.
AUTHORIZER="${KAFKA_AUTHORIZER:-}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
HOST=127.0.0.1

die() { # die CODE MESSAGE...
    local code="$1"; shift
    echo "broker.sh: $*" >&2
    exit "$code"
}
log() { echo "broker.sh: $*" >&2; }

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- arguments
CMD=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        fetch|start|stop|status) CMD="$1" ;;
        --version) KAFKA_VERSION="${2:?--version needs a value}"; shift ;;
        --version=*) KAFKA_VERSION="${1#*=}" ;;
        --data-dir) DATA_DIR="${2:?--data-dir needs a value}"; shift ;;
        --data-dir=*) DATA_DIR="${1#*=}" ;;
        --port) PORT="${2:?--port needs a value}"; shift ;;
        --port=*) PORT="${1#*=}" ;;
        --controller-port) CONTROLLER_PORT="${2:?--controller-port needs a value}"; shift ;;
        --controller-port=*) CONTROLLER_PORT="${1#*=}" ;;
        --timeout) START_TIMEOUT="${2:?--timeout needs a value}"; shift ;;
        --timeout=*) START_TIMEOUT="${1#*=}" ;;
        --owner-pid) OWNER_PID="${2:?--owner-pid needs a value}"; shift ;;
        --owner-pid=*) OWNER_PID="${1#*=}" ;;
        --sasl-port) SASL_PORT="${2:?--sasl-port needs a value}"; shift ;;
        --sasl-port=*) SASL_PORT="${1#*=}" ;;
        --sasl-user) SASL_USER="${2:?--sasl-user needs a value}"; shift ;;
        --sasl-user=*) SASL_USER="${1#*=}" ;;
        --sasl-password) SASL_PASSWORD="${2:?--sasl-password needs a value}"; shift ;;
        --sasl-password=*) SASL_PASSWORD="${1#*=}" ;;
        --tls-dir) TLS_DIR="${2:?--tls-dir needs a value}"; shift ;;
        --tls-dir=*) TLS_DIR="${1#*=}" ;;
        --ssl-port) SSL_PORT="${2:?--ssl-port needs a value}"; shift ;;
        --ssl-port=*) SSL_PORT="${1#*=}" ;;
        --sasl-ssl-port) SASL_SSL_PORT="${2:?--sasl-ssl-port needs a value}"; shift ;;
        --sasl-ssl-port=*) SASL_SSL_PORT="${1#*=}" ;;
        --scram-user) SCRAM_USERS+=("${2:?--scram-user needs NAME=PASSWORD}"); shift ;;
        --scram-user=*) SCRAM_USERS+=("${1#*=}") ;;
        --authorizer) AUTHORIZER=1 ;;
        -h|--help|help) usage; exit 0 ;;
        *) usage >&2; die 2 "unknown argument: $1" ;;
    esac
    shift
done
[[ -n "$CMD" ]] || { usage >&2; die 2 "missing command (fetch|start|stop|status)"; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die 2 "bad port: $PORT"
CONTROLLER_PORT="${CONTROLLER_PORT:-$((PORT + 1))}"
[[ "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die 2 "bad controller port: $CONTROLLER_PORT"
[[ "$PORT" != "$CONTROLLER_PORT" ]] || die 2 "port and controller port must differ"
[[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die 2 "bad timeout: $START_TIMEOUT"
[[ "$KAFKA_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die 2 "bad Kafka version: $KAFKA_VERSION"
KAFKA_MAJOR="${KAFKA_VERSION%%.*}"
if [[ -n "$SASL_PORT" ]]; then
    [[ "$SASL_PORT" =~ ^[0-9]+$ ]] || die 2 "bad SASL port: $SASL_PORT"
    [[ "$SASL_PORT" != "$PORT" && "$SASL_PORT" != "$CONTROLLER_PORT" ]] || die 2 "the SASL port must differ from the others"
    # They go into a JAAS line between double quotes: keep them to characters that need no escaping.
    [[ "$SASL_USER" =~ ^[A-Za-z0-9._-]+$ ]] || die 2 "--sasl-port needs --sasl-user (letters, digits, . _ -)"
    [[ "$SASL_PASSWORD" =~ ^[A-Za-z0-9._-]+$ ]] || die 2 "--sasl-port needs --sasl-password (letters, digits, . _ -)"
fi
for p in "$SSL_PORT" "$SASL_SSL_PORT"; do
    [[ -z "$p" ]] && continue
    [[ "$p" =~ ^[0-9]+$ ]] || die 2 "bad TLS port: $p"
    [[ "$p" != "$PORT" && "$p" != "$CONTROLLER_PORT" && "$p" != "$SASL_PORT" ]] || die 2 "the TLS ports must differ from the others"
done
[[ -z "$SSL_PORT" || "$SSL_PORT" != "$SASL_SSL_PORT" ]] || die 2 "--ssl-port and --sasl-ssl-port must differ"
if [[ -n "$SSL_PORT$SASL_SSL_PORT" ]]; then
    [[ -n "$TLS_DIR" ]] || die 2 "--ssl-port and --sasl-ssl-port need --tls-dir (made by deploy/kafka/certs.sh)"
    TLS_DIR="$(realpath -m -- "$TLS_DIR")"
    for f in ca.pem broker.p12 broker.p12.password; do
        [[ -f "$TLS_DIR/$f" ]] || die 2 "$TLS_DIR/$f is missing (deploy/kafka/certs.sh ca|broker $TLS_DIR makes it)"
    done
fi
for user in "${SCRAM_USERS[@]}"; do
    # They go into StorageTool's --add-scram 'SCRAM-SHA-512=[name=...,password=...]'.
    [[ "$user" =~ ^[A-Za-z0-9._-]+=[A-Za-z0-9._-]+$ ]] || die 2 "a SCRAM user is NAME=PASSWORD (letters, digits, . _ -)"
done

CACHE_ROOT="${COPYDESK_CACHE:-$REPO_ROOT/.cache}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.fetched"
KAFKA_JAR="kafka_${SCALA_BINARY_VERSION}-${KAFKA_VERSION}.jar"

DATA_DIR="$(realpath -m -- "$DATA_DIR")"
PID_FILE="$DATA_DIR/broker.pid"
CONFIG="$DATA_DIR/server.properties"
LOG_DIRS="$DATA_DIR/data"          # Kafka's log.dirs (the topic partitions, metadata log)
APP_LOG_DIR="$DATA_DIR/logs"       # server.log (log4j), format.log
CONSOLE_OUT="$DATA_DIR/kafka.out"  # JVM stdout/stderr: WARN and above only

if (( KAFKA_MAJOR >= 4 )); then LOGGING=log4j2; else LOGGING=reload4j; fi

# ---------------------------------------------------------------- helpers
require_tools() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if (( ${#missing[@]} )); then
        die 3 "missing required tool(s): ${missing[*]}. Install a JDK >= 17 and Maven >= 3.8" \
              "(Debian: apt-get install openjdk-17-jre-headless maven)."
    fi
}

require_java() { # a JDK new enough for this Kafka (4.x: 17, 3.x: 11)
    require_tools java
    local need=11 have
    (( KAFKA_MAJOR >= 4 )) && need=17
    have="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1)"
    if [[ -n "$have" && "$have" -lt "$need" ]]; then
        die 3 "Kafka $KAFKA_VERSION needs Java >= $need, found Java $have"
    fi
}

is_fetched() {
    [[ -f "$MARKER" && -f "$LIBS_DIR/$KAFKA_JAR" ]]
}

fetch() {
    if is_fetched; then
        return 0
    fi
    require_tools java mvn
    mkdir -p "$KAFKA_HOME"
    # Serialise concurrent fetches (parallel test sessions, several shells).
    exec 8>"$KAFKA_HOME/.lock"
    if command -v flock >/dev/null 2>&1; then flock 8; fi
    if is_fetched; then exec 8>&-; return 0; fi

    local tmp="$KAFKA_HOME/libs.tmp.$$" fetch_log="$KAFKA_HOME/fetch.log"
    rm -rf "$tmp"
    log "resolving org.apache.kafka:kafka_${SCALA_BINARY_VERSION}:$KAFKA_VERSION ($LOGGING) from Maven Central into $LIBS_DIR ..."
    local started=$SECONDS
    # shellcheck disable=SC2086 # KAFKA_MVN_ARGS is a list of extra maven args
    if ! mvn -B -q -f "$SCRIPT_DIR/pom.xml" \
            -Dkafka.version="$KAFKA_VERSION" \
            -Dscala.binary.version="$SCALA_BINARY_VERSION" \
            -Dkafka.logging="$LOGGING" \
            ${KAFKA_MVN_ARGS:-} \
            dependency:copy-dependencies \
            -DincludeScope=runtime -DoutputDirectory="$tmp" >"$fetch_log" 2>&1; then
        tail -n 30 "$fetch_log" >&2
        rm -rf "$tmp"
        die 4 "maven could not resolve Kafka $KAFKA_VERSION (full log: $fetch_log)"
    fi
    [[ -f "$tmp/$KAFKA_JAR" ]] || { rm -rf "$tmp"; die 4 "$KAFKA_JAR missing after resolution"; }
    if command -v unzip >/dev/null 2>&1; then
        local cls
        for cls in kafka/Kafka.class kafka/tools/StorageTool.class; do
            unzip -l "$tmp/$KAFKA_JAR" "$cls" >/dev/null 2>&1 \
                || { rm -rf "$tmp"; die 4 "$KAFKA_JAR has no $cls"; }
        done
    fi
    local bindings
    bindings=$(find "$tmp" -maxdepth 1 \( -name 'log4j-slf4j-impl-*.jar' -o -name 'log4j-slf4j2-impl-*.jar' \
        -o -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' -o -name 'logback-classic-*.jar' \
        -o -name 'slf4j-simple-*.jar' \) | wc -l)
    [[ "$bindings" -eq 1 ]] || { rm -rf "$tmp"; die 4 "expected exactly one SLF4J binding, found $bindings"; }
    rm -rf "$LIBS_DIR"
    mv "$tmp" "$LIBS_DIR"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
    exec 8>&-
    log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
}

alive() { # alive PID -> 0 while the process exists and is not a zombie
    kill -0 "$1" 2>/dev/null || return 1
    if [[ -r "/proc/$1/stat" ]]; then
        local stat
        stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
        stat="${stat##*) }"
        [[ "${stat:0:1}" != Z ]] || return 1
    fi
    return 0
}

# pid of the running broker of DATA_DIR, or nothing. Checks the process really is
# our kafka.Kafka with our config, so a recycled pid is never signalled.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    [[ -n "$pid" ]] && alive "$pid" || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        local cmdline
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
        [[ "$cmdline" == *kafka.Kafka*"$CONFIG"* ]] || return 1
    fi
    echo "$pid"
}

port_open() { # port_open PORT -> 0 when something accepts connections on HOST:PORT
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

config_value() { # config_value KEY -> value from the written server.properties
    sed -n "s/^$1=//p" "$CONFIG" 2>/dev/null | tail -n 1
}

write_config() {
    mkdir -p "$LOG_DIRS" "$APP_LOG_DIR"
    local listeners="PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
    local advertised="PLAINTEXT://$HOST:$PORT"
    local protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if [[ -n "$SASL_PORT" ]]; then
        listeners+=",SASL_PLAINTEXT://$HOST:$SASL_PORT"
        advertised+=",SASL_PLAINTEXT://$HOST:$SASL_PORT"
        protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
    fi
    if [[ -n "$SSL_PORT" ]]; then
        listeners+=",SSL://$HOST:$SSL_PORT"
        advertised+=",SSL://$HOST:$SSL_PORT"
        protocols+=",SSL:SSL"
    fi
    if [[ -n "$SASL_SSL_PORT" ]]; then
        listeners+=",SASL_SSL://$HOST:$SASL_SSL_PORT"
        advertised+=",SASL_SSL://$HOST:$SASL_SSL_PORT"
        protocols+=",SASL_SSL:SASL_SSL"
    fi
    # Holds the SASL password when there is one: readable by its owner only.
    (umask 077; : >"$CONFIG")
    cat >"$CONFIG" <<EOF
# Written by deploy/kafka/broker.sh (Kafka $KAFKA_VERSION) -- regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$LOG_DIRS

# one node: replication 1 everywhere
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
# A restarted node must wait for its previous registration's session to expire
# (DUPLICATE_BROKER_REGISTRATION, default 9 s) -- shorter session, faster restart.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000

# small footprint (2 cores, 512 MiB heap)
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.enable=true
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=4194304
EOF
    if (( KAFKA_MAJOR >= 4 )); then
        cat >>"$CONFIG" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
    fi
    if [[ -n "$SASL_PORT" ]]; then
        cat >>"$CONFIG" <<EOF

# SASL_PLAINTEXT listener: PLAIN mechanism, one user
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$SASL_USER" password="$SASL_PASSWORD" user_$SASL_USER="$SASL_PASSWORD";
EOF
    fi
    if [[ -n "$SSL_PORT$SASL_SSL_PORT" ]]; then
        cat >>"$CONFIG" <<EOF

# TLS listeners: the broker's key and certificate, and the CA its clients' certificates must
# come from. SSL requires a client certificate (mutual TLS); a client's principal is its
# certificate's CN (User:NAME), or the whole DN when the CN rule does not match.
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS_DIR/broker.p12
ssl.keystore.password=$(head -n 1 "$TLS_DIR/broker.p12.password")
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
    fi
    if [[ -n "$AUTHORIZER" ]]; then
        local supers="User:ANONYMOUS"
        [[ -z "$SASL_USER" ]] || supers+=";User:$SASL_USER"
        cat >>"$CONFIG" <<EOF

# Authorization: ACLs in the metadata log; these principals may do anything.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=$supers
EOF
    fi
    if [[ -n "${KAFKA_EXTRA_CONFIG:-}" ]]; then
        printf '\n# KAFKA_EXTRA_CONFIG\n%s\n' "$KAFKA_EXTRA_CONFIG" >>"$CONFIG"
    fi
}

logging_opts() {
    if [[ "$LOGGING" == log4j2 ]]; then
        echo "-Dlog4j2.configurationFile=$SCRIPT_DIR/log4j2.properties"
    else
        echo "-Dlog4j.configuration=file:$SCRIPT_DIR/log4j.properties"
    fi
}

tool_cmd() { # tool_cmd MAINCLASS ARGS... -> a Kafka CLI tool, logging to logs/tools.log
    # shellcheck disable=SC2086 # jvm opts are a word list
    java -Xmx128m $JVM_OPTS "-Dkafka.logs.dir=$APP_LOG_DIR" -Dkafka.log.file=tools.log \
        "$(logging_opts)" -cp "$LIBS_DIR/*" "$@"
}

format_storage() {
    [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
    local cluster_id
    if [[ -s "$DATA_DIR/cluster.id" ]]; then
        cluster_id="$(cat "$DATA_DIR/cluster.id")"
    else
        # What `StorageTool random-uuid` prints (a Kafka Uuid: 16 random bytes, base64url
        # without padding, not starting with '-'), without paying for a JVM start.
        cluster_id=""
        while [[ -z "$cluster_id" || "$cluster_id" == -* ]]; do
            cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" || cluster_id=""
            [[ ${#cluster_id} -eq 22 ]] || break
        done
        if [[ ${#cluster_id} -ne 22 ]]; then
            cluster_id="$(tool_cmd kafka.tools.StorageTool random-uuid 2>>"$APP_LOG_DIR/format.log" | tail -n 1)"
        fi
        [[ -n "$cluster_id" ]] || { tail -n 20 "$APP_LOG_DIR/format.log" >&2; die 1 "StorageTool random-uuid failed"; }
        echo "$cluster_id" >"$DATA_DIR/cluster.id"
    fi
    local scram=() user
    for user in "${SCRAM_USERS[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=${user%%=*},password=${user#*=}]")
    done
    if ! tool_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" "${scram[@]}" \
            >>"$APP_LOG_DIR/format.log" 2>&1; then
        tail -n 20 "$APP_LOG_DIR/format.log" >&2
        die 1 "storage format failed (log: $APP_LOG_DIR/format.log)"
    fi
}

# Is the broker that logs to server.log (from byte offset $1 on) up and serving?
broker_ready() {
    local offset="$1"
    port_open "$PORT" || return 1
    # "[KafkaRaftServer nodeId=1] Kafka Server started" is logged once the broker and
    # controller finished startup (3.x and 4.x); only look at this run's part of the log.
    tail -c +"$((offset + 1))" "$APP_LOG_DIR/server.log" 2>/dev/null | grep -q 'Kafka Server started' || return 1
    if [[ -n "${PYTHON:-}" ]]; then
        python_check || return 1
    fi
    return 0
}

# Optional client-level check with the caller's Python: bootstrap with aiokafka and
# see broker 1 in the metadata. Skipped (treated as ready) when aiokafka is missing.
python_check() {
    "$PYTHON" - "$HOST:$PORT" <<'PY' >/dev/null 2>&1
import asyncio, sys
try:
    from aiokafka import AIOKafkaClient
except ImportError:
    sys.exit(0)

async def main() -> int:
    client = AIOKafkaClient(bootstrap_servers=sys.argv[1], request_timeout_ms=5000)
    try:
        await asyncio.wait_for(client.bootstrap(), 10)
        return 0 if client.cluster.brokers() else 1
    finally:
        await client.close()

try:
    sys.exit(asyncio.run(main()))
except Exception:
    sys.exit(1)
PY
}

show_log_tail() { # last lines of server.log, without the indented config dumps
    if [[ -f "$APP_LOG_DIR/server.log" ]]; then
        grep -v $'^\t' "$APP_LOG_DIR/server.log" | tail -n 40 >&2 || true
    fi
}

start_watchdog() { # stop the broker once OWNER_PID is gone (e.g. a killed pytest)
    local broker_pid="$1"
    [[ -n "$OWNER_PID" ]] || return 0
    kill -0 "$OWNER_PID" 2>/dev/null || die 2 "--owner-pid $OWNER_PID is not running"
    local setsid_cmd=()
    command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    nohup "${setsid_cmd[@]}" bash -c '
        owner="$1"; broker="$2"; grace="$3"; pid_file="$4"
        while kill -0 "$owner" 2>/dev/null && kill -0 "$broker" 2>/dev/null; do sleep 1; done
        if kill -0 "$broker" 2>/dev/null; then
            kill -TERM "$broker" 2>/dev/null
            for _ in $(seq "$grace"); do kill -0 "$broker" 2>/dev/null || break; sleep 1; done
            kill -KILL "$broker" 2>/dev/null
        fi
        [[ "$(cat "$pid_file" 2>/dev/null)" == "$broker" ]] && rm -f "$pid_file"
        exit 0
    ' _ "$OWNER_PID" "$broker_pid" "$STOP_TIMEOUT" "$PID_FILE" </dev/null >/dev/null 2>&1 &
}

start() {
    local pid
    if pid="$(running_pid)"; then
        local running_port
        running_port="$(config_value listeners | sed -n 's/^PLAINTEXT:\/\/[^,]*:\([0-9]*\).*/\1/p')"
        if [[ -n "$running_port" && "$running_port" != "$PORT" ]]; then
            log "already running (pid $pid) on port $running_port, not $PORT"
        fi
        echo "$HOST:${running_port:-$PORT}"
        return 0
    fi
    rm -f "$PID_FILE"
    require_java
    fetch
    mkdir -p "$DATA_DIR" || die 1 "cannot create data dir $DATA_DIR"

    for p in "$PORT" "$CONTROLLER_PORT" $SASL_PORT $SSL_PORT $SASL_SSL_PORT; do
        port_open "$p" && die 1 "port $HOST:$p is already in use (another broker? try --port)"
    done

    write_config
    format_storage

    local offset=0
    [[ -f "$APP_LOG_DIR/server.log" ]] && offset="$(wc -c <"$APP_LOG_DIR/server.log")"
    echo "---- $(date -u +%Y-%m-%dT%H:%M:%SZ) start Kafka $KAFKA_VERSION on $HOST:$PORT" >>"$CONSOLE_OUT"

    local started=$SECONDS
    # The child writes its own pid and then execs java, so the pid file always holds the
    # JVM's pid. setsid: the broker outlives this script and ignores the terminal's ^C.
    local setsid_cmd=()
    command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
    # shellcheck disable=SC2016,SC2046,SC2086
    nohup "${setsid_cmd[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
        java $HEAP_OPTS $JVM_OPTS "-Dkafka.logs.dir=$APP_LOG_DIR" -Dkafka.log.file=server.log "$(logging_opts)" \
        -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG" </dev/null >>"$CONSOLE_OUT" 2>&1 &
    local launcher=$!

    for _ in $(seq 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
    pid="$(tr -dc '0-9' <"$PID_FILE" 2>/dev/null || true)"
    [[ -n "$pid" ]] || pid="$launcher"
    echo "$pid" >"$PID_FILE"
    start_watchdog "$pid"

    while true; do
        if ! alive "$pid"; then
            log "broker exited during startup; last lines of $APP_LOG_DIR/server.log and $CONSOLE_OUT:"
            show_log_tail
            tail -n 20 "$CONSOLE_OUT" >&2 || true
            rm -f "$PID_FILE"
            die 1 "Kafka did not start"
        fi
        if broker_ready "$offset"; then
            break
        fi
        if (( SECONDS - started >= START_TIMEOUT )); then
            log "broker not ready after ${START_TIMEOUT}s; last lines of $APP_LOG_DIR/server.log:"
            show_log_tail
            tail -n 20 "$CONSOLE_OUT" >&2 || true
            stop_pid "$pid" || true
            die 1 "Kafka did not become ready in ${START_TIMEOUT}s"
        fi
        sleep 0.3
    done
    log "Kafka $KAFKA_VERSION up in $((SECONDS - started)) s (pid $pid, data $DATA_DIR, log $APP_LOG_DIR/server.log)"
    [[ -z "$SASL_PORT" ]] || log "SASL_PLAINTEXT (PLAIN, user $SASL_USER) on $HOST:$SASL_PORT"
    [[ -z "$SSL_PORT" ]] || log "SSL (client certificates from $TLS_DIR/ca.pem) on $HOST:$SSL_PORT"
    [[ -z "$SASL_SSL_PORT" ]] || log "SASL_SSL (SCRAM-SHA-512, ${#SCRAM_USERS[@]} users) on $HOST:$SASL_SSL_PORT"
    [[ -z "$AUTHORIZER" ]] || log "StandardAuthorizer on: principals other than the PLAINTEXT and SASL_PLAINTEXT ones need ACLs"
    echo "$HOST:$PORT"
}

stop_pid() {
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while alive "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
    if alive "$pid"; then
        log "broker (pid $pid) still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$PID_FILE"
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        stop_pid "$pid"
        log "stopped broker (pid $pid)"
    else
        rm -f "$PID_FILE"
        log "no broker running for $DATA_DIR"
    fi
}

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "running (pid $pid) $(config_value advertised.listeners | sed 's/^PLAINTEXT:\/\///')"
        return 0
    fi
    echo "not running"
    return 1
}

case "$CMD" in
    fetch) fetch; echo "$LIBS_DIR" ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
esac
