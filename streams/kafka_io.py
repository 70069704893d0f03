"""Plain aiokafka clients for the CLI's `produce` and `outputs` commands (not the worker's path)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

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
    producer = AIOKafkaProducer(acks="all", linger_ms=5, max_request_size=16 * 1024 * 1024, **client_options(settings))
    await producer.start()
    sent = 0
    try:
        futures = []
        for value in values:
            futures.append(await producer.send(topic or settings.topics.raw, value=value))
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


async def ensure_topics(settings: Settings) -> list[str]:
    """Create the input and output topics when missing (a broker's auto-create would give them
    its own default partition count). Returns the names created. Internal topics and changelogs
    are faust's to declare."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    wanted = [settings.topics.raw, *settings.topics.outputs().values()]
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(name, settings.partitions, settings.replication_factor) for name in missing]
            )
        return missing
    finally:
        await admin.close()
