#!/usr/bin/env bash
# Real Apache Kafka for the integration tests: one KRaft node (broker + controller) on loopback.
#
#   infra/kafka.sh fetch                  download the jars once into $SLUICE_CACHE/kafka/<version>/libs
#   infra/kafka.sh up <rundir>            fetch, format a fresh <rundir>/kafka/data, start the node,
#                                         wait for an admin call to answer, write <rundir>/kafka.env
#                                         (idempotent: a broker left by a previous run is stopped first)
#   infra/kafka.sh down <rundir>          stop the node (SIGTERM, then SIGKILL)
#   infra/kafka.sh stop-broker <rundir> [kill]
#                                         stop the node but keep its data (`kill`: SIGKILL at once,
#                                         a crash rather than a controlled shutdown)
#   infra/kafka.sh start-broker <rundir>  start it again on the same data and wait until it answers
#
# stop-broker/start-broker are for tests of broker loss ("broker restarted while producing").
# The broker is shared by every test file running at the same time, so such a test had better
# start a private node in its own directory, on other ports, and restart that one:
#   SLUICE_KAFKA_PORT=59192 SLUICE_KAFKA_CONTROLLER_PORT=59193 infra/kafka.sh up <dir>
# (stop-broker/start-broker/down then take <dir>; the ports are read back from its server.properties).
#
# A private node may also open a SASL_PLAINTEXT listener (tests of Kafka authentication), with one
# user for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; the PLAINTEXT listener stays for the readiness
# check. Unset (the default, and the shared broker): no such listener.
#   SLUICE_KAFKA_SASL_PORT=59194 SLUICE_KAFKA_SASL_USER=sluice SLUICE_KAFKA_SASL_PASSWORD=... infra/kafka.sh up <dir>
#
# The jars come from the Maven registry (infra/kafka/pom.xml), never from a release tarball.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

KAFKA_VERSION=${SLUICE_KAFKA_VERSION:-3.9.2}
KAFKA_PORT=${SLUICE_KAFKA_PORT:-59092}
CONTROLLER_PORT=${SLUICE_KAFKA_CONTROLLER_PORT:-59093}
SASL_PORT=${SLUICE_KAFKA_SASL_PORT:-}
HOST=127.0.0.1
READY_TIMEOUT=${SLUICE_KAFKA_READY_TIMEOUT:-90}
LIBS="$SLUICE_CACHE/kafka/$KAFKA_VERSION/libs"
CONF="$ROOT/infra/kafka"

# A small heap and a collector that suits 2 cores; C1 only: the broker lives for minutes and
# starts several times per run, so a fast start matters more than peak throughput.
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}
KAFKA_JVM_OPTS=${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k}
TOOL_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -Dlog4j.configuration=file:$CONF/tools-log4j.properties"

log() { printf '[kafka.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need_java_and_maven() {
  command -v java >/dev/null && command -v mvn >/dev/null && return 0
  [[ $(id -u) == 0 ]] || die "java (17+) and mvn are needed to fetch and run Kafka: apt-get install default-jdk-headless maven"
  log "installing Java and Maven from Debian's packages"
  exec 8>"$SLUICE_CACHE/.apt.lock"
  flock 8
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q update -o DPkg::Lock::Timeout=300 >&2
  apt-get -q install -y --no-install-recommends -o DPkg::Lock::Timeout=300 default-jdk-headless maven >&2
  flock -u 8
}

cmd_fetch() {
  [[ -f "$LIBS/.complete" ]] && return 0
  need_java_and_maven
  mkdir -p "$SLUICE_CACHE/kafka"
  # Several runs may start at once on a cold machine: one downloads, the others wait for it.
  exec 9>"$SLUICE_CACHE/kafka/.fetch.lock"
  flock 9
  if [[ ! -f "$LIBS/.complete" ]]; then
    local start=$SECONDS tmp="$LIBS.tmp.$$"
    log "fetching Kafka $KAFKA_VERSION jars into $LIBS"
    rm -rf "$tmp"
    mvn -B -q -ntp -Dstyle.color=never -f "$CONF/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" </dev/null >&2 \
      || die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
    [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "mvn ran but $tmp has no kafka_2.13-$KAFKA_VERSION.jar"
    touch "$tmp/.complete"
    rm -rf "$LIBS"; mv "$tmp" "$LIBS"
    log "Kafka $KAFKA_VERSION jars fetched in $((SECONDS - start))s ($(du -sh "$LIBS" | cut -f1))"
  fi
  flock -u 9
}

tool() { java $TOOL_JVM_OPTS -cp "$LIBS/*" "$@" </dev/null; }

# The broker port of a node home, read back from its own configuration.
broker_port() { sed -n 's/^advertised.listeners=PLAINTEXT:\/\/[^:]*:\([0-9]*\)\(,SASL_PLAINTEXT:.*\)\{0,1\}$/\1/p' "$1/server.properties"; }
controller_port() { sed -n 's/^controller.quorum.voters=1@[^:]*:\([0-9]*\)$/\1/p' "$1/server.properties"; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
# The pid listening on a TCP port of this machine, if ss can tell.
listener_pid() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true; }

broker_pid() {
  local pidfile="$1/kafka.pid" pid
  [[ -f "$pidfile" ]] || return 1
  pid=$(cat "$pidfile")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# An admin call, not just an open port: the broker lists itself in the cluster metadata and
# answers ApiVersions, which only happens once it has caught up with the controller quorum.
admin_ready() {
  local port="$1" out
  out=$(timeout 30 java $TOOL_JVM_OPTS -cp "$LIBS/*" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "$HOST:$port" </dev/null 2>/dev/null) || return 1
  grep -q "(id: 1 " <<<"$out"
}

start_node() {
  local home="$1" port; port=$(broker_port "$home")
  [[ -n "$port" ]] || die "$home/server.properties has no advertised.listeners"
  if broker_pid "$home" >/dev/null; then die "a broker is already running from $home (pid $(cat "$home/kafka.pid"))"; fi
  for p in "$port" "$(controller_port "$home")"; do
    # A node of this home whose pid file was deleted (rm -rf of the run dir) still holds the port.
    local orphan; orphan=$(listener_pid "$p")
    if [[ -n "$orphan" ]] && tr '\0' ' ' <"/proc/$orphan/cmdline" 2>/dev/null | grep -qF -- " $home/server.properties"; then
      log "stopping an orphaned Kafka of $home (pid $orphan)"
      echo "$orphan" >"$home/kafka.pid"
      stop_node "$home" kill
    fi
    if port_open "$p"; then
      die "port $HOST:$p is already in use by another process: $(ss -ltnpH "sport = :$p" 2>/dev/null | tr -s ' ')"
    fi
  done
  local start=$SECONDS
  echo "---- start $(date -u +%FT%TZ)" >>"$home/kafka.log"
  # shellcheck disable=SC2086
  nohup java $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$CONF/log4j.properties" -Dkafka.logs.dir="$home" \
    -cp "$LIBS/*" kafka.Kafka "$home/server.properties" </dev/null >>"$home/kafka.log" 2>&1 &
  echo $! >"$home/kafka.pid"
  local pid=$! deadline=$((SECONDS + READY_TIMEOUT))
  until port_open "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$home/kafka.log" >&2
      die "Kafka exited during startup (log: $home/kafka.log)"
    fi
    if (( SECONDS >= deadline )); then break; fi
    sleep 0.2
  done
  until (( SECONDS >= deadline )) || admin_ready "$port"; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! kill -0 "$pid" 2>/dev/null || ! admin_ready "$port"; then
    tail -n 40 "$home/kafka.log" >&2
    stop_node "$home" kill
    die "Kafka did not answer an admin call on $HOST:$port within ${READY_TIMEOUT}s (log: $home/kafka.log)"
  fi
  log "Kafka is ready on $HOST:$port ($((SECONDS - start))s)"
}

# stop_node <home> [kill]: SIGTERM is a controlled shutdown (can take a few seconds); after 30 s
# or with `kill`, SIGKILL. Never leaves the process behind.
stop_node() {
  local home="$1" mode="${2:-}" pid
  pid=$(broker_pid "$home") || { rm -f "$home/kafka.pid"; return 0; }
  if [[ "$mode" == kill ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$home/kafka.pid"
  echo "---- stopped${mode:+ ($mode)} $(date -u +%FT%TZ)" >>"$home/kafka.log"
}

write_config() {
  local home="$1"
  cat >"$home/server.properties" <<PROPS
# Written by infra/kafka.sh: a single KRaft node for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$home/data
metadata.log.dir=$home/data

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Fewer partitions for the internal topics: created on the first consumer group or
# transaction of a run, 50 of them cost seconds on 2 cores.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10

# Tests create their topics (random names) and join groups without waiting.
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
num.partitions=3

# Small machine.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=1
log.segment.bytes=16777216
PROPS
  [[ -n "$SASL_PORT" ]] && write_sasl_config "$home"
  return 0
}

# The SASL_PLAINTEXT listener of a private node (SLUICE_KAFKA_SASL_PORT), beside PLAINTEXT.
write_sasl_config() {
  local home="$1" user="${SLUICE_KAFKA_SASL_USER:?SLUICE_KAFKA_SASL_USER is required with SLUICE_KAFKA_SASL_PORT}"
  local password="${SLUICE_KAFKA_SASL_PASSWORD:?SLUICE_KAFKA_SASL_PASSWORD is required with SLUICE_KAFKA_SASL_PORT}"
  sed -i \
    -e "s|^listeners=.*|listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT|" \
    -e "s|^advertised.listeners=.*|advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$SASL_PORT|" \
    -e "s|^listener.security.protocol.map=.*|listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT|" \
    "$home/server.properties"
  cat >>"$home/server.properties" <<PROPS

# SASL_PLAINTEXT (SLUICE_KAFKA_SASL_PORT); the SCRAM credentials are added by the format step.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$password";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
}

# `--add-scram` arguments of the format step for the SASL user (none without SLUICE_KAFKA_SASL_PORT).
scram_format_args() {
  [[ -n "$SASL_PORT" ]] || return 0
  local m
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    printf '%s\n' --add-scram "$m=[name=$SLUICE_KAFKA_SASL_USER,password=$SLUICE_KAFKA_SASL_PASSWORD]"
  done
}

write_env() {
  local rundir="$1" home="$2"
  cat >"$rundir/kafka.env" <<ENV
export KAFKA_BROKERS=$HOST:$(broker_port "$home")
export SLUICE_TEST_KAFKA_HOME=$home
export SLUICE_TEST_KAFKA_PIDFILE=$home/kafka.pid
export SLUICE_TEST_KAFKA_RUN_DIR=$rundir
export SLUICE_TEST_KAFKA_SCRIPT=$ROOT/infra/kafka.sh
ENV
}

abs_rundir() { mkdir -p "$1" && (cd "$1" && pwd); }

cmd_up() {
  local rundir; rundir=$(abs_rundir "${1:?usage: $0 up <rundir>}")
  local home="$rundir/kafka"
  cmd_fetch
  rm -f "$rundir/kafka.env"
  [[ -d "$home" ]] && stop_node "$home"
  rm -rf "$home"; mkdir -p "$home/data"
  write_config "$home"
  local cluster_id
  cluster_id=$(tool kafka.tools.StorageTool random-uuid | tail -n 1)
  [[ -n "$cluster_id" ]] || die "kafka-storage random-uuid printed nothing"
  echo "$cluster_id" >"$home/cluster.id"
  local scram=(); mapfile -t scram < <(scram_format_args)
  tool kafka.tools.StorageTool format -t "$cluster_id" -c "$home/server.properties" "${scram[@]}" >"$home/format.log" 2>&1 \
    || { cat "$home/format.log" >&2; die "kafka-storage format failed"; }
  log "formatted $home/data (cluster $cluster_id); starting Kafka $KAFKA_VERSION"
  start_node "$home"
  write_env "$rundir" "$home"
  echo "kafka $KAFKA_VERSION (KRaft, 1 node) on $HOST:$(broker_port "$home"), controller $HOST:$(controller_port "$home")"
}

cmd_down() {
  local rundir="${1:?usage: $0 down <rundir>}"
  [[ -d "$rundir/kafka" ]] || return 0
  stop_node "$rundir/kafka"
  rm -f "$rundir/kafka.env"
}

cmd_stop_broker() {
  local rundir="${1:?usage: $0 stop-broker <rundir> [kill]}"
  [[ -f "$rundir/kafka/server.properties" ]] || die "no Kafka node in $rundir (run: $0 up $rundir)"
  stop_node "$rundir/kafka" "${2:-}"
  log "Kafka stopped${2:+ ($2)}; data kept in $rundir/kafka/data"
}

cmd_start_broker() {
  local rundir="${1:?usage: $0 start-broker <rundir>}"
  [[ -f "$rundir/kafka/server.properties" ]] || die "no Kafka node in $rundir (run: $0 up $rundir)"
  [[ -f "$LIBS/.complete" ]] || die "no Kafka jars in $LIBS (run: $0 up $rundir)"
  start_node "$rundir/kafka"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  stop-broker) shift; cmd_stop_broker "$@" ;;
  start-broker) shift; cmd_start_broker "$@" ;;
  *) die "usage: $0 fetch | up <rundir> | down <rundir> | stop-broker <rundir> [kill] | start-broker <rundir>" ;;
esac
