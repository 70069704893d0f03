"""Plain aiokafka clients for the CLI's `produce`, `outputs` and `replay-dead-letters` commands
(not the worker's path)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError

from processors.records import decode_payload, url_hint
from streams.settings import Settings


class KafkaUnreachable(RuntimeError):
    """No connection to the brokers with these settings: a wrong address, protocol or credentials."""


async def start(client: Any, settings: Settings) -> None:
    """`client.start()`, with an error that names the settings to check when it cannot connect
    (aiokafka's own says only "Unable to bootstrap"; the broker's reason, such as
    "SaslAuthenticationFailed: Authentication failed: Invalid username or password", is in
    aiokafka's error log line just before)."""
    try:
        await client.start()
    except KafkaConnectionError as exc:
        sec = settings.security
        who = f" as {sec.sasl_username!r} ({sec.sasl_mechanism or 'PLAIN'})" if sec.protocol.startswith("SASL") else ""
        raise KafkaUnreachable(
            f"cannot connect to the Kafka brokers {settings.bootstrap_servers} over {sec.protocol}{who}: {exc}. "
            "Check KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL and the SASL/TLS settings"
        ) from exc


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
    return await send_keyed(settings, topic or settings.topics.raw, ((_url_key(url_hint(v)), v) for v in values))


async def send_keyed(settings: Settings, topic: str, messages: Iterable[tuple[bytes | None, bytes]]) -> int:
    """Publish (key, value) pairs to `topic` and wait until the broker acknowledged every one."""
    producer = AIOKafkaProducer(acks="all", linger_ms=5, max_request_size=settings.stage.max_record_bytes, **client_options(settings))
    await start(producer, settings)
    sent = 0
    try:
        futures = []
        for key, value in messages:
            futures.append(await producer.send(topic, key=key, value=value))
            sent += 1
        await producer.flush()
        for fut in futures:
            await fut
    finally:
        await producer.stop()
    return sent


def _url_key(url: str | None) -> bytes | None:
    return url.encode("utf-8") if url else None


def reader(settings: Settings, *topics: str, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer from the earliest offset that commits only when told, for records up to 32 MiB.

    It reads committed records only: in exactly_once mode the workers write in transactions,
    and an aborted one's records (a worker killed mid-transaction) are not outcomes."""
    return AIOKafkaConsumer(
        *topics,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=32 * 1024 * 1024,
        **client_options(settings),
    )


async def read_outputs(
    settings: Settings, expect: int, timeout_s: float, topics: Iterable[str] | None = None
) -> list[tuple[str, int, int, bytes | None, bytes]]:
    """Read the output topics from the beginning until `expect` records came or `timeout_s` passed."""
    names = list(topics or settings.topics.outputs().values())
    consumer = reader(settings, *names)
    await start(consumer, settings)
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
    plain = [t.raw, *t.internal(), *t.outputs().values()]
    compacted = t.changelogs()
    # Pages up to COPYDESK_MAX_PAYLOAD_BYTES must fit, and so must the internal messages and
    # records that carry them: the broker's default limit (1 MiB) is far below.
    size = {"max.message.bytes": str(settings.stage.max_record_bytes)}
    admin = AIOKafkaAdminClient(**client_options(settings))
    await start(admin, settings)
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(name, settings.partitions, settings.replication_factor, topic_configs=config)
            for names, config in ((plain, size), (compacted, {**size, "cleanup.policy": "compact"}))
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


@dataclass
class Replay:
    """What one `replay-dead-letters` run read, chose and (unless a dry run) re-published."""

    group: str | None
    read: int = 0
    #: (dead letter's partition, offset, kind, stage, key, original bytes) of each chosen one.
    chosen: list[tuple[int, int, str, str, bytes | None, bytes]] = field(default_factory=list)
    without_payload: int = 0
    other_kinds: int = 0
    sent: int = 0


def replay_group(settings: Settings, kinds: Collection[str], stage: str | None) -> str:
    """The consumer group of one filter: each (kinds, stage) remembers its own progress, so that
    replaying `empty_body` today does not skip the `invalid_time` letters a later run wants."""
    return ".".join([f"{settings.app_id}.replay-dead-letters", "+".join(sorted(set(kinds))), *([stage] if stage else [])])


async def replay_dead_letters(
    settings: Settings,
    kinds: Collection[str],
    stage: str | None = None,
    *,
    dry_run: bool = False,
    group: str | None = None,
    from_beginning: bool = False,
    timeout_s: float = 60.0,
    on_chosen: Callable[[tuple[int, int, str, str, bytes | None, bytes]], None] | None = None,
) -> Replay:
    """Re-publish the original bytes of the dead letters of `kinds` (and `stage`) to the input topic.

    Reads the dead-letter topic up to its end as it is when the run starts (letters that the
    replayed inputs produce again are for a later run), from the offsets its consumer group
    committed (`replay_group`), or from the beginning with `from_beginning`. The group's offsets
    move on only after the broker acknowledged every re-sent message, and never in a dry run:
    a run that dies half-way sends some of its letters again the next time (at-least-once),
    and a completed run is never repeated by the next one.
    """
    kinds = set(kinds)
    name = settings.topics.dead_letter
    group = group or replay_group(settings, kinds, stage)
    consumer = reader(settings, group_id=group)
    await start(consumer, settings)
    replay = Replay(group=group)
    try:
        partitions = await _partitions(settings, name, timeout_s)
        consumer.assign(partitions)
        if from_beginning:
            consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {name} up to its end in {timeout_s}s")
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            for tp, messages in batches.items():
                for m in messages:
                    if m.offset < end[tp]:
                        replay.read += 1
                        _choose(replay, m.partition, m.offset, m.value, kinds, stage, on_chosen)
        if not dry_run:
            replay.sent = await send_keyed(settings, settings.topics.raw, ((c[4], c[5]) for c in replay.chosen))
            await consumer.commit({tp: end[tp] for tp in partitions if end[tp] > 0})
    finally:
        await consumer.stop()
    return replay


def _choose(
    replay: Replay,
    partition: int,
    offset: int,
    value: bytes | None,
    kinds: Collection[str],
    stage: str | None,
    on_chosen: Callable[[tuple[int, int, str, str, bytes | None, bytes]], None] | None,
) -> None:
    try:
        record = orjson.loads(value or b"")
        error = record["error"]
        kind, where = error["kind"], error["stage"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        replay.other_kinds += 1  # not a dead letter of ours: nothing to replay
        return
    if kind not in kinds or (stage and where != stage):
        replay.other_kinds += 1
        return
    payload = decode_payload(record)
    if not payload:
        replay.without_payload += 1  # an empty message: there is nothing to send again
        return
    chosen = (partition, offset, kind, where, _url_key(record.get("url") or url_hint(payload)), payload)
    replay.chosen.append(chosen)
    if on_chosen:
        on_chosen(chosen)


async def _partitions(settings: Settings, topic: str, timeout_s: float) -> list[TopicPartition]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_options(settings))
    await start(admin, settings)
    try:
        await _wait_for_leaders(admin, [topic], timeout_s)
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, p["partition"]) for p in sorted(described["partitions"], key=lambda p: p["partition"])]
