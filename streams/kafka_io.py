"""Plain aiokafka clients for the CLI's `produce` and `outputs` commands (not the worker's path)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from processors.records import url_hint
from streams.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    sec = settings.security
    options: dict[str, Any] = {"bootstrap_servers": settings.bootstrap_servers, "security_protocol": sec.protocol}
    if sec.protocol.startswith("SASL"):
        options.update(
            sasl_mechanism=sec.sasl_mechanism or "PLAIN",
            sasl_plain_username=sec.sasl_username,
            sasl_plain_password=sec.sasl_password.reveal() if sec.sasl_password else None,
        )
    if sec.protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(
            cafile=sec.ssl_cafile, certfile=sec.ssl_certfile, keyfile=sec.ssl_keyfile
        )
    return options


async def produce(settings: Settings, values: Iterable[bytes], topic: str | None = None) -> int:
    """Publish raw messages, keyed by their `url` when they have one: one URL's versions then
    share a partition and reach dedup in the order they were sent (crawlers should do the same)."""
    producer = AIOKafkaProducer(acks="all", linger_ms=5, max_request_size=16 * 1024 * 1024, **client_options(settings))
    await producer.start()
    sent = 0
    try:
        futures = []
        for value in values:
            url = url_hint(value)
            key = url.encode("utf-8") if url else None
            futures.append(await producer.send(topic or settings.topics.raw, key=key, value=value))
            sent += 1
        await producer.flush()
        for fut in futures:
            await fut
    finally:
        await producer.stop()
    return sent


async def read_outputs(
    settings: Settings, expect: int, timeout_s: float, topics: Iterable[str] | None = None
) -> list[tuple[str, int, int, bytes | None, bytes]]:
    """Read the output topics from the beginning until `expect` records came or `timeout_s` passed."""
    names = list(topics or settings.topics.outputs().values())
    consumer = AIOKafkaConsumer(
        *names,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=32 * 1024 * 1024,
        **client_options(settings),
    )
    await consumer.start()
    records: list[tuple[str, int, int, bytes | None, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expect and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for tp, messages in batches.items():
                records.extend((tp.topic, tp.partition, m.offset, m.key, m.value) for m in messages)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


async def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create every topic copydesk uses that is missing, and wait until each has leaders.

    faust would declare its internal topics itself, but only while it is already subscribing:
    a worker that subscribes to a topic that does not exist yet gets no partitions of it until
    the next metadata refresh, and the chain stalls there. A broker's auto-create would also give
    the input and output topics its own default partition count. Returns the names created.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    t = settings.topics
    plain = [t.raw, t.cleaned, t.extracted, t.content, *t.outputs().values()]
    compacted = [f"{t.url_table}.changelog", f"{t.content_table}.changelog"]
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(name, settings.partitions, settings.replication_factor, topic_configs=config)
            for names, config in ((plain, {}), (compacted, {"cleanup.policy": "compact"}))
            for name in names
            if name not in existing
        ]
        if new:
            await admin.create_topics(new)
        await _wait_for_leaders(admin, [n.name for n in new], timeout_s)
        return [n.name for n in new]
    finally:
        await admin.close()


async def _wait_for_leaders(admin: Any, names: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(names)
    while pending and time.monotonic() < deadline:
        try:
            described = await admin.describe_topics(sorted(pending))
        except Exception:  # noqa: BLE001 - metadata not there yet: ask again
            described = []
        for topic in described:
            partitions = topic.get("partitions") or []
            if topic.get("error_code", 0) == 0 and partitions and all(p.get("leader", -1) >= 0 for p in partitions):
                pending.discard(topic["topic"])
        if pending:
            await asyncio.sleep(0.2)
    if pending:
        raise TimeoutError(f"topics without leaders after {timeout_s}s: {sorted(pending)}")
