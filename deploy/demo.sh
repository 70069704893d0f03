#!/usr/bin/env bash
# `make demo`: a local broker, one worker, the sample messages, and what came out.
#   deploy/demo.sh        start (or reuse) the broker and the worker, replay samples/raw.jsonl
#   deploy/demo.sh stop   stop the worker and the broker
#   deploy/demo.sh readers   print the commands that read the outputs (for this environment)
# Ports: DEMO_KAFKA_PORT (9092; the broker's controller takes the next one), COPYDESK_METRICS_PORT
# (9108) and COPYDESK_WEB_PORT (6066) for the worker.
# Without Java or Maven it runs the same samples through `copydesk process` instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
RUN="$ROOT/var/demo"
PORT="${DEMO_KAFKA_PORT:-9092}"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$PORT"
export COPYDESK_DATA_DIR="$RUN/state" COPYDESK_LOG_FORMAT="${COPYDESK_LOG_FORMAT:-json}"
export COPYDESK_APP_ID="copydesk-demo" COPYDESK_TOPIC_PREFIX="${COPYDESK_TOPIC_PREFIX:-demo-$(date +%s).articles}"
export COPYDESK_METRICS_HOST=127.0.0.1 COPYDESK_METRICS_PORT="${COPYDESK_METRICS_PORT:-9108}"
export COPYDESK_WEB_HOST=127.0.0.1 COPYDESK_WEB_PORT="${COPYDESK_WEB_PORT:-6066}"
SAMPLES="$ROOT/samples/raw.jsonl"
mkdir -p "$RUN"

stop() {
    if [ -f "$RUN/worker.pid" ] && kill -0 "$(cat "$RUN/worker.pid")" 2>/dev/null; then
        kill -TERM "$(cat "$RUN/worker.pid")"
        for _ in $(seq 60); do kill -0 "$(cat "$RUN/worker.pid")" 2>/dev/null || break; sleep 0.5; done
        echo "worker stopped"
    fi
    rm -f "$RUN/worker.pid"
    bash deploy/kafka/broker.sh stop --data-dir "$RUN/kafka" || true
}

# The commands that read this run's outputs, with the variables they need to find its topics.
readers() {
    printf '  export KAFKA_BOOTSTRAP_SERVERS=%q COPYDESK_APP_ID=%q COPYDESK_TOPIC_PREFIX=%q\n' \
        "$KAFKA_BOOTSTRAP_SERVERS" "$COPYDESK_APP_ID" "$COPYDESK_TOPIC_PREFIX"
    echo "  .venv/bin/copydesk outputs                    # one summary line per record"
    echo "  .venv/bin/copydesk outputs --json             # the records themselves, one JSON object a line"
    echo "  .venv/bin/copydesk outputs -f --from end      # new records as they come, until Ctrl-C"
    echo "  .venv/bin/copydesk produce samples/raw.jsonl  # send the samples again"
}

if [ "${1:-}" = stop ]; then stop; exit 0; fi
if [ "${1:-}" = readers ]; then readers; exit 0; fi

count=$(grep -c . "$SAMPLES")
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    echo "Java or Maven is missing, so no local Kafka broker can run here."
    echo "Running the same $count sample messages through 'copydesk process' (the same stages, in-process):"
    "$PY" -m streams.cli process "$SAMPLES" --out-dir "$RUN/out"
    for f in "$RUN"/out/*.jsonl; do
        echo "== $(basename "$f" .jsonl)"
        "$PY" -c 'import sys, orjson; from streams.cli import summarise
for line in open(sys.argv[1], "rb"): print("  " + summarise(orjson.loads(line)))' "$f"
    done
    exit 0
fi

echo "== starting a local Kafka broker (first run downloads the jars from Maven Central)"
if ! bash deploy/kafka/broker.sh start --port "$PORT" --data-dir "$RUN/kafka" >/dev/null; then
    echo "No broker: when port $PORT or $((PORT + 1)) is taken, choose others: make demo DEMO_KAFKA_PORT=<port>" >&2
    exit 1
fi
echo "   broker on $KAFKA_BOOTSTRAP_SERVERS"
if [ -f "$RUN/worker.pid" ] && kill -0 "$(cat "$RUN/worker.pid")" 2>/dev/null; then
    kill -TERM "$(cat "$RUN/worker.pid")"; sleep 3
fi
rm -rf "$RUN/state"
echo "== starting a worker (log: $RUN/worker.log), topics ${COPYDESK_TOPIC_PREFIX}.*"
nohup "$PY" -m streams.cli worker >"$RUN/worker.log" 2>&1 &
echo $! >"$RUN/worker.pid"
for _ in $(seq 120); do
    curl -fsS "http://127.0.0.1:$COPYDESK_WEB_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$RUN/worker.pid")" 2>/dev/null || { tail -20 "$RUN/worker.log"; exit 1; }
    sleep 0.5
done
echo "== replaying $count sample messages from samples/raw.jsonl"
"$PY" -m streams.cli produce "$SAMPLES"
echo "== what came out on each output topic"
"$PY" -m streams.cli outputs -n "$count" --timeout 120
echo
echo "Metrics:  http://127.0.0.1:$COPYDESK_METRICS_PORT/metrics   e.g.:"
curl -fsS "http://127.0.0.1:$COPYDESK_METRICS_PORT/metrics" | grep -E '^copydesk_(dedup_verdicts|dead_letters)_total' | sed 's/^/  /'
echo "Health:   http://127.0.0.1:$COPYDESK_WEB_PORT/healthz  and  /readyz"
echo
echo "The broker and the worker keep running ('make demo-stop' stops them). This run's topics are"
echo "${COPYDESK_TOPIC_PREFIX}.*; to read its outputs again, or send more messages, in this directory:"
echo
readers
