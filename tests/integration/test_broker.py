"""The session broker works the way the pipeline uses Kafka (via aiokafka)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

PARTITIONS = 3
MESSAGES = 100


def _unique(name: str) -> str:
    return f"copydesk-it-{name}-{uuid.uuid4().hex[:8]}"


async def _create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topic, partitions, 1)])
        assert [(t[0], t[1]) for t in response.topic_errors] == [(topic, 0)]
        # CreateTopics returns once the controller committed the topic; the broker's
        # metadata cache catches up asynchronously, so wait until every partition has a
        # leader (a loaded machine can take a moment).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while True:
            (described,) = await admin.describe_topics([topic])
            ready = described["error_code"] == 0 and len(described["partitions"]) == partitions
            if ready and all(p["leader"] >= 0 for p in described["partitions"]):
                return
            assert loop.time() < deadline, f"topic {topic} not ready: {described}"
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _consume(consumer: AIOKafkaConsumer, count: int, timeout: float = 30.0) -> list:
    records: list = []

    async def drain() -> None:
        while len(records) < count:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)

    await asyncio.wait_for(drain(), timeout)
    return records


async def test_produce_consume_commit(kafka_bootstrap: str) -> None:
    topic = _unique("roundtrip")
    group = _unique("group")
    await _create_topic(kafka_bootstrap, topic, PARTITIONS)

    sent = {f"key-{i}".encode(): f"article-{i}".encode() for i in range(MESSAGES)}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in sent.items()]
        metadata = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    used_partitions = {m.partition for m in metadata}
    assert used_partitions == set(range(PARTITIONS))

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        records = await _consume(consumer, MESSAGES)
        await consumer.commit()
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        committed = {tp.partition: await consumer.committed(tp) for tp in partitions}
    finally:
        await consumer.stop()

    assert len(records) == MESSAGES
    assert {r.key: r.value for r in records} == sent
    # every record sits in the partition the producer reported, in offset order
    by_partition: dict[int, list[int]] = {}
    for record in records:
        by_partition.setdefault(record.partition, []).append(record.offset)
    for offsets in by_partition.values():
        assert offsets == sorted(offsets)
    assert sum(committed.values()) == MESSAGES
    assert committed == {p: len(by_partition.get(p, [])) for p in range(PARTITIONS)}


async def test_transactional_producer(kafka_bootstrap: str) -> None:
    """faust's exactly-once mode needs transactions: committed visible, aborted not."""
    topic = _unique("txn")
    await _create_topic(kafka_bootstrap, topic, 1)

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, transactional_id=_unique("txid")
    )
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(5):
                await producer.send(topic, f"committed-{i}".encode())
        await producer.begin_transaction()
        await producer.send(topic, b"aborted")
        await producer.abort_transaction()
        await producer.begin_transaction()
        await producer.send(topic, b"last")
        await producer.send_offsets_to_transaction({TopicPartition(topic, 0): 1}, _unique("g"))
        await producer.commit_transaction()
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        records = await _consume(consumer, 6)
    finally:
        await consumer.stop()
    assert [r.value for r in records] == [f"committed-{i}".encode() for i in range(5)] + [b"last"]


async def test_a_read_committed_consumer_learns_the_last_stable_offset_before_it_fetches(kafka_bootstrap: str) -> None:
    """What streams/faust_fixes.py E rests on: a partition written in transactions ends in a
    marker; aiokafka's `last_stable_offset` is unknown (None) until a fetch, while `end_offsets`
    at read_committed answers it at once, the marker counted."""
    topic = _unique("stable")
    await _create_topic(kafka_bootstrap, topic, 1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=_unique("tx"))
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(3):
                await producer.send_and_wait(topic, f"record-{i}".encode(), partition=0)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, isolation_level="read_committed", enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        assert consumer.last_stable_offset(tp) is None
        # The commit returns before the coordinator writes its marker: until then the last stable
        # offset is the transaction's first offset (0) and every answer says so.
        deadline = asyncio.get_running_loop().time() + 15  # a hang guard, not a timing check
        while (stable := await consumer.end_offsets([tp])) != {tp: 4}:  # three records and the marker
            assert stable == {tp: 0} and asyncio.get_running_loop().time() < deadline, stable
            await asyncio.sleep(0.05)
        records = await _consume(consumer, 3)
        assert [r.value for r in records] == [b"record-0", b"record-1", b"record-2"]
        assert consumer.last_stable_offset(tp) == 4  # what faust waits for a fetch to learn
    finally:
        await consumer.stop()
