"""Plain aiokafka clients for the CLI's `produce`, `outputs` and `replay-dead-letters` commands
(not the worker's path)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable

import orjson
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from processors.records import decode_payload, url_hint
from processors.warc import STAGE as WARC_STAGE
from streams.settings import Settings, SettingsError


class KafkaUnreachable(RuntimeError):
    """No connection to the brokers with these settings: a wrong address, protocol or credentials."""


class TopicMissing(LookupError):
    """A topic to read does not exist; readers never create one."""

    def __init__(self, settings: Settings, missing: Collection[str]) -> None:
        super().__init__(
            f"no topic {', '.join(sorted(missing))} on {settings.bootstrap_servers}: has a worker run with "
            f"these settings? Check COPYDESK_TOPIC_PREFIX ({settings.topic_prefix!r}) and the COPYDESK_TOPIC_* names"
        )
        self.missing = sorted(missing)


class TlsFilesUnusable(KafkaUnreachable):
    """The CA, certificate or key files cannot be read or do not fit together."""


class _Collect(logging.Handler):
    """aiokafka's error lines while a client starts: they hold the broker's reason."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def start(client: Any, settings: Settings) -> None:
    """`client.start()`, with an error that names the settings to check when it cannot connect.

    aiokafka's own error says only "Unable to bootstrap"; the reason (a refused connection,
    "SaslAuthenticationFailed: Authentication failed: Invalid username or password") is in the
    error line aiokafka logged just before, so it is carried into this one. A client that failed
    to start is closed here, so that nothing warns about it at exit."""
    collect = _Collect()
    log = logging.getLogger("aiokafka")
    log.addHandler(collect)
    try:
        await (client.bootstrap() if isinstance(client, AIOKafkaClient) else client.start())
    except (KafkaConnectionError, OSError) as exc:
        await _close(client)
        sec = settings.security
        who = f" as {sec.sasl_username!r} ({sec.sasl_mechanism or 'PLAIN'})" if sec.protocol.startswith("SASL") else ""
        reason = collect.lines[-1] if collect.lines else str(exc)
        raise KafkaUnreachable(
            f"cannot connect to the Kafka brokers {settings.bootstrap_servers} over {sec.protocol}{who} ({reason}{_tls_hint(settings, reason)}). "
            "Check KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL and the SASL/TLS settings"
        ) from exc
    finally:
        log.removeHandler(collect)


async def _close(client: Any) -> None:
    with contextlib.suppress(Exception):
        await (client.close() if hasattr(client, "close") else client.stop())


def _tls_hint(settings: Settings, why: str) -> str:
    """What a TLS connection the broker closed most likely means: the broker says nothing, and
    with TLS 1.3 a client learns that its certificate was refused only when the connection closes."""
    sec = settings.security
    if sec.protocol not in ("SSL", "SASL_SSL") or "CERTIFICATE_VERIFY_FAILED" in why or "Sasl" in why:
        return ""
    if sec.ssl_certfile:
        expiry = _not_after(sec.ssl_certfile)
        if expiry is not None and expiry < time.time():
            return f" (KAFKA_SSL_CERTFILE expired on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(expiry))})"
        return (
            " (the broker closed the TLS connection: it does not trust the client certificate KAFKA_SSL_CERTFILE, "
            "or the port is not a TLS listener)"
        )
    return " (the broker closed the TLS connection: the port may not be a TLS listener, or it requires a client certificate)"


def _not_after(certfile: str) -> float | None:
    try:
        return ssl.cert_time_to_seconds(ssl._ssl._test_decode_cert(certfile)["notAfter"])  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - only a hint: no date when the file cannot be decoded
        return None


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context of every Kafka client (faust's too): the brokers' certificates checked
    against KAFKA_SSL_CAFILE (or the system's CAs) and their host names, and the client
    certificate for mutual TLS. A file that cannot be used is a `TlsFilesUnusable` naming it."""
    sec = settings.security
    try:
        context = ssl.create_default_context(cafile=sec.ssl_cafile)
    except (OSError, ssl.SSLError) as exc:
        raise TlsFilesUnusable(f"KAFKA_SSL_CAFILE {sec.ssl_cafile!r} is not a readable PEM CA file: {exc}") from None
    if sec.ssl_certfile:
        password = sec.ssl_key_password.reveal() if sec.ssl_key_password else None
        try:
            # A password of "" stops OpenSSL from asking on the terminal for an encrypted key.
            context.load_cert_chain(sec.ssl_certfile, sec.ssl_keyfile, password if password is not None else "")
        except (OSError, ssl.SSLError) as exc:
            raise TlsFilesUnusable(
                f"cannot use the client certificate KAFKA_SSL_CERTFILE {sec.ssl_certfile!r} with KAFKA_SSL_KEYFILE "
                f"{sec.ssl_keyfile!r}: {getattr(exc, 'reason', None) or exc} (a key that does not match the "
                "certificate, or a wrong or missing KAFKA_SSL_KEY_PASSWORD)"
            ) from None
    return context


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
        options["ssl_context"] = ssl_context(settings)
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
        # Every future is awaited, so that a refusal of them all (no Write ACL) is one error.
        failed = [r for r in await asyncio.gather(*futures, return_exceptions=True) if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
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


Record = tuple[str, int, int, "bytes | None", bytes]


async def read_outputs(
    settings: Settings, expect: int, timeout_s: float, topics: Iterable[str] | None = None
) -> list[Record]:
    """Read the output topics from the beginning until `expect` records came or `timeout_s` passed
    (waiting as long for the topics to exist: this reader creates none)."""
    names = list(topics or settings.topics.outputs().values())
    records: list[Record] = []
    deadline = time.monotonic() + timeout_s
    partitions = await topic_partitions(settings, names, wait_s=timeout_s)
    await read(settings, partitions, records.append, limit=expect, timeout_s=max(0.0, deadline - time.monotonic()))
    return records


async def topic_partitions(settings: Settings, topics: Collection[str], wait_s: float = 0.0) -> list[TopicPartition]:
    """The partitions of `topics`, or `TopicMissing` once `wait_s` passed without them all.

    Lists every topic before it names any: a metadata request that names a missing topic creates
    it on brokers with auto.create.topics.enable (Kafka's default), and aiokafka's requests always
    allow that."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**client_options(settings))
    await start(admin, settings)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            existing = set(await admin.list_topics())
            missing = [name for name in topics if name not in existing]
            present = sorted(set(topics) & existing)
            described = {t["topic"]: t for t in (await admin.describe_topics(present) if present else [])}
            leaderless = [n for n in topics if n in described and not _has_leaders(described[n])]
            if not missing and not leaderless:
                break
            if time.monotonic() >= deadline:
                if missing:
                    raise TopicMissing(settings, missing)
                raise TimeoutError(f"topics without leaders after {wait_s}s: {sorted(leaderless)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return [
        TopicPartition(name, p["partition"])
        for name in topics
        for p in sorted(described[name]["partitions"], key=lambda p: p["partition"])
    ]


def _has_leaders(topic: dict) -> bool:
    partitions = topic.get("partitions") or []
    return topic.get("error_code", 0) == 0 and bool(partitions) and all(p.get("leader", -1) >= 0 for p in partitions)


@dataclass
class Read:
    """How one `read` ended: `count` records handed on; `complete` unless it timed out first."""

    count: int = 0
    complete: bool = True


async def read(
    settings: Settings,
    partitions: list[TopicPartition],
    on_record: Callable[[Record], None],
    *,
    from_end: bool = False,
    follow: bool = False,
    limit: int | None = None,
    timeout_s: float | None = None,
) -> Read:
    """Hand each record of `partitions` to `on_record` as it arrives, with no consumer group.

    Stops after `limit` records; else, unless `follow`, at the end offsets the topics had when
    it started; and in any case once `timeout_s` passed (then `complete` is False when a limit
    or the end was not reached). `from_end` skips what the topics held at the start."""
    consumer = reader(settings)
    await start(consumer, settings)
    result = Read()
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        consumer.assign(partitions)
        if from_end:
            await consumer.seek_to_end(*partitions)
        else:
            await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        stop_at_end = not follow and limit is None

        async def at_end() -> bool:
            return all([await consumer.position(tp) >= end[tp] for tp in partitions])

        while True:
            if limit is not None and result.count >= limit:
                break
            if stop_at_end and await at_end():
                break
            if deadline is not None and time.monotonic() >= deadline:
                result.complete = not (limit is not None or stop_at_end)
                break
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            for tp, messages in batches.items():
                for m in messages:
                    if limit is not None and result.count >= limit:
                        break
                    on_record((tp.topic, tp.partition, m.offset, m.key, m.value))
                    result.count += 1
    finally:
        await consumer.stop()
    return result


async def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create every topic copydesk uses that is missing, and wait until each has leaders
    (`copydesk topics create`, and a worker at start).

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
            response: Any = await admin.create_topics(new)
            _raise_refusals(settings, response.topic_errors)
        await _wait_for_leaders(admin, [n.name for n in new], timeout_s)
        return [n.name for n in new]
    finally:
        await admin.close()


def _raise_refusals(settings: Settings, topic_errors: Iterable[Any]) -> None:
    """CreateTopics answers per topic without raising: an authorizer's refusal is an
    `AccessDenied` that says who can fix it, any other error the broker's own."""
    from aiokafka.errors import for_code

    from streams.access import AccessDenied

    refused, failed, replication = [], [], []
    for name, code, message in (tuple(e)[:3] for e in topic_errors):
        if code == 29:
            refused.append(name)
        elif code == 38:  # InvalidReplicationFactor: a setting, not a bug
            replication.append(message or "")
        elif code not in (0, TopicAlreadyExistsError.errno):
            failed.append(f"{name}: {for_code(code).__name__} {message or ''}".strip())
    if refused:
        raise AccessDenied(
            f"the brokers refuse to create the topics {', '.join(refused)} (TopicAuthorizationFailed): grant this "
            f"principal Create on the topic prefix {settings.topic_prefix + '.'!r}, or have an operator run "
            "`copydesk topics create` with an admin's credentials first"
        )
    if replication:
        raise SettingsError(
            f"COPYDESK_REPLICATION_FACTOR is {settings.replication_factor}, more than this cluster can meet: {replication[0]}"
        )
    if failed:
        raise RuntimeError(f"could not create topics: {'; '.join(failed)}")


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
    #: Letters whose original is no longer in the raw topic (retention deleted it): not replayable.
    gone: list[tuple[int, int, str, int, int]] = field(default_factory=list)
    #: Letters of stage warc: their original is a record of a WARC file, not a raw message; the
    #: way to send it again is `copydesk produce` of the file, once repaired (or the limit raised).
    from_files: int = 0
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
    pending: list[tuple[int, int, str, str, str | None, tuple[str, int, int], bytes | None]] = []
    try:
        partitions = await _partitions(settings, name, timeout_s)
        consumer.assign(partitions)
        if from_beginning:
            await consumer.seek_to_beginning(*partitions)
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
                        _choose(replay, m.partition, m.offset, m.value, kinds, stage, pending)
        await _fetch_originals(settings, replay, pending, timeout_s, on_chosen)
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
    pending: list[tuple[int, int, str, str, str | None, tuple[str, int, int], bytes | None]],
) -> None:
    """Keep a letter of the wanted kinds in `pending`, with its original bytes when it carries
    them, else the raw input's coordinates to read them from."""
    try:
        record = orjson.loads(value or b"")
        error = record["error"]
        kind, where = error["kind"], error["stage"]
        origin = (record["topic"], int(record["partition"]), int(record["offset"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        replay.other_kinds += 1  # not a dead letter of ours: nothing to replay
        return
    if kind not in kinds or (stage and where != stage):
        replay.other_kinds += 1
        return
    if where == WARC_STAGE:
        replay.from_files += 1
        return
    payload = decode_payload(record)
    if payload is None and record.get("payload_encoding") != "none":
        replay.without_payload += 1
        return
    if payload == b"":
        replay.without_payload += 1  # an empty message: there is nothing to send again
        return
    pending.append((partition, offset, kind, where, record.get("url"), origin, payload))


async def _fetch_originals(
    settings: Settings,
    replay: Replay,
    pending: list[tuple[int, int, str, str, str | None, tuple[str, int, int], bytes | None]],
    timeout_s: float,
    on_chosen: Callable[[tuple[int, int, str, str, bytes | None, bytes]], None] | None,
) -> None:
    """Choose the pending letters, reading the originals of those that carry none from the raw
    topic at their coordinates; a letter whose original Kafka no longer has goes to `gone`."""
    wanted = {origin for *_, origin, payload in pending if payload is None}
    originals = await read_records(settings, wanted, timeout_s) if wanted else {}
    for partition, offset, kind, where, url, origin, payload in pending:
        payload = payload if payload is not None else originals.get(origin)
        if payload is None:
            replay.gone.append((partition, offset, origin[0], origin[1], origin[2]))
            continue
        chosen = (partition, offset, kind, where, _url_key(url or url_hint(payload)), payload)
        replay.chosen.append(chosen)
        if on_chosen:
            on_chosen(chosen)


async def read_records(
    settings: Settings, coordinates: Collection[tuple[str, int, int]], timeout_s: float
) -> dict[tuple[str, int, int], bytes]:
    """The values of the records at these (topic, partition, offset): those Kafka still holds
    (an offset below a partition's start was deleted by retention, or never was)."""
    wanted: dict[TopicPartition, set[int]] = {}
    for topic, partition, offset in coordinates:
        wanted.setdefault(TopicPartition(topic, partition), set()).add(offset)
    consumer = reader(settings)
    await start(consumer, settings)
    found: dict[tuple[str, int, int], bytes] = {}
    try:
        consumer.assign(list(wanted))
        first = await consumer.beginning_offsets(list(wanted))
        end = await consumer.end_offsets(list(wanted))
        todo = {tp: {o for o in offsets if first[tp] <= o < end[tp]} for tp, offsets in wanted.items()}
        for tp, offsets in todo.items():
            if offsets:
                consumer.seek(tp, min(offsets))
            else:
                consumer.pause(tp)
        deadline = time.monotonic() + timeout_s
        while any(todo.values()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read the originals of {sum(map(len, todo.values()))} dead letters in {timeout_s}s")
            for tp, messages in (await consumer.getmany(timeout_ms=500, max_records=1000)).items():
                for m in messages:
                    if m.offset in todo[tp]:
                        found[(tp.topic, tp.partition, m.offset)] = m.value
                if messages and messages[-1].offset >= max(todo[tp], default=-1):
                    todo[tp] = set()  # read past them all: an offset not seen holds no record
                    consumer.pause(tp)
                else:
                    todo[tp] -= {m.offset for m in messages}
    finally:
        await consumer.stop()
    return found


async def _partitions(settings: Settings, topic: str, timeout_s: float) -> list[TopicPartition]:
    return await topic_partitions(settings, [topic])
