"""Framework tax: a pass-through chain raw -> a -> b, run as its own process by bench/run.py.

    passthrough.py faust    BOOTSTRAP APP_ID RAW A B   # two faust agents, each only forwards bytes
    passthrough.py aiokafka BOOTSTRAP APP_ID RAW A B   # the same two hops as plain aiokafka loops

The faust app is built with the arguments `streams.app.create_app` gives faust (acks=-1, the
33 MiB request and fetch sizes, producer linger 5 ms and 256 KB batches, auto offset reset
earliest, one agent per hop, concurrency 1) and its agents read as `streams/agents/chain.py`'s
do (`stream.noack()`, one `await topic.send()` per event, then `await stream.ack(event)`), with
a memory store and no web server. Faust's own settings can be changed from the
environment (faust reads PRODUCER_LINGER, PRODUCER_MAX_BATCH_SIZE, STREAM_BUFFER_MAXSIZE,
BROKER_COMMIT_EVERY, CONSUMER_MAX_FETCH_SIZE, BROKER_MAX_POLL_RECORDS, ... and they win over
the App's arguments). BENCH_TAKE=N makes each agent read `noack_take(N, within=BENCH_WITHIN)` batches of events
(BENCH_WITHIN seconds, default 0.05), still acking each event after its send.
The aiokafka loop reads BENCH_AIOKAFKA_LINGER_MS and BENCH_AIOKAFKA_BATCH_BYTES.
Both run until killed; bench/run.py measures what arrives on B.
"""

from __future__ import annotations

import asyncio
import os
import sys

MAX_RECORD_BYTES = 4 * 8 * 1024 * 1024 + 1024 * 1024  # copydesk's default max_record_bytes


def run_faust(bootstrap: str, app_id: str, raw: str, a: str, b: str) -> None:
    import faust
    from faust.worker import Worker

    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        autodiscover=False,
        topic_partitions=4,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
        producer_max_request_size=MAX_RECORD_BYTES,
        consumer_max_fetch_size=MAX_RECORD_BYTES,
        web_enabled=False,
        version=1,
    )
    take = int(os.environ.get("BENCH_TAKE", "0") or 0)
    within = float(os.environ.get("BENCH_WITHIN", "0.05"))
    topics = {name: app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
              for name in (raw, a, b)}

    def hop(src: str, dst: str) -> None:
        out = topics[dst]

        if take > 1:
            @app.agent(topics[src], name=f"{app_id}.{src}", concurrency=1)
            async def batched(stream):  # noqa: ANN001
                manual = stream.noack()
                async for events in manual.noack_take(take, within=within):
                    for event in events:
                        await out.send(key=event.key, value=event.value)
                        await manual.ack(event)
        else:
            @app.agent(topics[src], name=f"{app_id}.{src}", concurrency=1)
            async def forward(stream):  # noqa: ANN001
                manual = stream.noack()
                async for event in manual.events():
                    await out.send(key=event.key, value=event.value)
                    await manual.ack(event)

    hop(raw, a)
    hop(a, b)
    worker = Worker(app, loglevel="WARNING", redirect_stdouts=False, quiet=True, override_logging=True)
    worker.spinner = None
    worker.execute_from_commandline()


async def run_aiokafka(bootstrap: str, app_id: str, raw: str, a: str, b: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=int(os.environ.get("BENCH_AIOKAFKA_LINGER_MS", "0")),
        max_batch_size=int(os.environ.get("BENCH_AIOKAFKA_BATCH_BYTES", "16384")),
        max_request_size=MAX_RECORD_BYTES,
    )
    await producer.start()

    async def hop(src: str, dst: str) -> None:
        consumer = AIOKafkaConsumer(
            src, bootstrap_servers=bootstrap, group_id=f"{app_id}.{src}", auto_offset_reset="earliest",
            enable_auto_commit=True, max_partition_fetch_bytes=MAX_RECORD_BYTES,
        )
        await consumer.start()
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=1000)
            for messages in batches.values():
                for m in messages:
                    await producer.send(dst, m.value, key=m.key)

    await asyncio.gather(hop(raw, a), hop(a, b))


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "faust":
        sys.argv = [sys.argv[0], "worker"]  # faust's Worker parses argv
        run_faust(*args)
    else:
        asyncio.run(run_aiokafka(*args))
