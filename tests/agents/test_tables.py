"""The shell's tables on a real RocksDB store, without a broker: the band index, the bounded memory."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import orjson
from faust.streams import _current_event
from faust.types import TP

from streams.app import create_app
from streams.settings import Settings


@dataclass(eq=False)
class Message:
    partition: int


@dataclass(eq=False)
class Event:
    message: Message


class During:
    """faust's "current event" (the message an agent is processing) on `partition`."""

    def __init__(self, partition: int) -> None:
        self.event = Event(Message(partition))

    def __enter__(self) -> None:
        self.token = _current_event.set(weakref.ref(self.event))

    def __exit__(self, *exc: object) -> None:
        _current_event.reset(self.token)


def message_entry(article_id: str, seqs: dict[str, int], day: int = 19846) -> dict:
    return {"id": article_id, "fetched_at": "2024-05-03T10:00:00Z", "sketch": "c2s=", "src": f"raw/0/{article_id}",
            "day": day, "seqs": seqs}


def test_the_band_index_is_derived_from_the_event_partition_and_built_again_after_a_rebalance(tmp_path):
    settings = Settings.from_env({"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_PARTITIONS": "4"})
    bands = create_app(settings).tables.bands
    with During(2):  # the store's own write path, as a recovery leaves the partition's database
        bands.data["3:0a#raw/0/a@19846"] = message_entry("a", {"3:0a": 1, "7:ff": 4})
        bands.data["3:0a@19845"] = {"entries": [{"id": "old", "fetched_at": "2024-05-02T09:00:00Z", "sketch": "c2s=",
                                                "seq": 7, "src": "raw/0/old"}]}  # the layout before
    with During(2):
        first = bands.lookup_bands(["3:0a", "missing", "7:ff"])
    assert [[(e["id"], e["seq"], e["day"]) for e in entries] for entries in first] in (
        [[("a", 1, 19846), ("old", 7, 19845)], [], [("a", 4, 19846)]],
        [[("old", 7, 19845), ("a", 1, 19846)], [], [("a", 4, 19846)]],
    )
    assert (tmp_path / "v1" / "tables" / f"{bands.name}-index" / "p2").is_dir()
    with During(1):  # another partition's entries are not there
        assert bands.lookup_bands(["3:0a", "7:ff"]) == [[], []]
    with During(2):
        bands.data["3:0a#raw/0/b@19846"] = message_entry("b", {"3:0a": 2})  # behind the built index
        assert [e["id"] for e in bands.lookup_bands(["3:0a"])[0]] == [e["id"] for e in first[0]]
    bands.drop_indexes()  # what a rebalance does
    with During(2):
        assert sorted(e["id"] for e in bands.lookup_bands(["3:0a"])[0]) == ["a", "b", "old"]
    assert bands.expire_index(19846) == 1  # "old", of the day before
    with During(2):
        assert sorted(e["id"] for e in bands.lookup_bands(["3:0a"])[0]) == ["a", "b"]
    bands.drop_indexes()


def test_the_band_index_on_a_memory_store_reads_the_partition_keys_own():
    bands = create_app(Settings.from_env({"COPYDESK_STORE": "memory://", "COPYDESK_PARTITIONS": "4"})).tables.bands
    key = "3:0a#raw/0/a@19846"
    bands.data[key] = message_entry("a", {"3:0a": 1})
    mine = bands.partition_for_key(key)
    with During(mine):
        assert [e["id"] for e in bands.lookup_bands(["3:0a"])[0]] == ["a"]
    with During((mine + 1) % 4):
        assert [list(found) for found in bands.lookup_bands(["3:0a"])] == [[]]


def test_every_table_database_gets_the_bounded_rocksdb_memory_from_settings(tmp_path):
    env = {"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_PARTITIONS": "4",
           "COPYDESK_ROCKSDB_WRITE_BUFFER_BYTES": str(2 * 1024 * 1024)}
    copydesk = create_app(Settings.from_env(env))
    for name, table in copydesk.tables.named().items():
        options = table.data.rocksdb_options  # what faust opens each partition's database with
        assert (options.write_buffer_size, options.max_write_buffer_number) == (2 * 1024 * 1024, 2), name
        assert options.block_cache_size == 8 * 1024 * 1024, name  # the default; faust's is 2 GiB
    with During(0):
        copydesk.tables.urls.data["k@1"] = {"v": 1}  # the database opens with them
    with During(0):
        assert copydesk.tables.urls.get("k@1") == {"v": 1}


async def test_the_site_lines_table_keeps_decoded_values_until_a_rebalance(tmp_path):
    settings = Settings.from_env({"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_PARTITIONS": "4"})
    lines = create_app(settings).tables.sitelines
    key, value = "p2/example.com@19846", {"lines": {"abc": ["t1", "t2"]}}
    with During(2):
        assert lines.get(key) is None
        lines.data[key] = value  # behind the table's back, as a recovery writes the store
        assert lines.get(key) is None  # the decoded copy (of "absent") is what the table answers
        lines.data[key] = value
        lines.on_key_set(key, value)  # what `lines[key] = value` does after the store's write
        first = lines.get(key)
        assert first == value and lines.get(key) is first  # decoded once
        await lines.on_rebalance(set(), set(), set())
        again = lines.get(key)
        assert again == value and again is not first  # read from the store again
        lines.on_key_del(key)
        lines.data.pop(key)
        assert lines.get(key) is None and lines.get(key, "x") == "x"


@dataclass(eq=False)
class ChangelogMessage:
    tp: TP
    offset: int
    key: bytes
    value: bytes | None

    @property
    def partition(self) -> int:
        return self.tp.partition


def test_the_site_lines_table_is_read_on_every_partition_and_follows_the_other_owners(tmp_path):
    """Global: a key is read from the partition it names whatever event is processed, a record
    applied from another owner's changelog replaces the decoded copy, and only the partitions
    this worker owns (its actives that are not standbys) are its to expire."""
    settings = Settings.from_env({"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_PARTITIONS": "4"})
    copydesk = create_app(settings)
    lines = copydesk.tables.sitelines
    assert lines.is_global and lines._changelog_topic_name() == settings.topics.changelog(settings.topics.sitelines_table)
    mine, theirs = "p1/example.com@19846", "p3/example.com@19846"
    with During(1):
        lines.data[mine] = {"lines": {"abc": ["t1"]}}  # the store's write, as the agent's batch makes it
    with During(1):  # an article on partition 1 reads partition 3's lines, not yet there
        assert lines.get(theirs) is None
    topic = lines.changelog_topic.get_topic_name()
    value = {"lines": {"abc": ["t2", "t3"]}}
    lines.apply_changelog_batch([Event(ChangelogMessage(TP(topic, 3), 7, orjson.dumps(theirs), orjson.dumps(value)))])
    with During(1):
        assert lines.get(theirs) == value and lines.get(mine) == {"lines": {"abc": ["t1"]}}
    with During(3):
        assert lines.get(mine) == {"lines": {"abc": ["t1"]}}
    assert lines.data.persisted_offset(TP(topic, 3)) == 7
    copydesk.app.assignor.assigned_actives = lambda: {TP(topic, p) for p in range(4)}
    copydesk.app.assignor.assigned_standbys = lambda: {TP(topic, p) for p in (0, 2, 3)}
    assert lines.owned_partitions() == {1}
    assert lines.owned_keys() == [mine]


def test_the_band_index_on_disk_answers_as_the_one_in_memory(tmp_path):
    """The same stored values, a batch whose messages share a band key among them, indexed on
    RocksDB and in a dict: the same entries, in the same order, under each band key."""
    from processors import neardup
    from streams.band_index import BandIndex

    values = [
        ("3:0a#raw/0/a@19846", message_entry("a", {"3:0a": 1, "4:0b": 1})),
        ("3:0a#raw/0/b@19846", neardup.batch_entries([
            ("3:0a#raw/0/b@19846", message_entry("b", {"3:0a": 2, "5:0c": 1})),
            ("3:0a#raw/0/c@19846", message_entry("c", {"3:0a": 3, "5:0c": 2})),
        ])["3:0a#raw/0/b@19846"]),
        ("4:0b#raw/0/d@19845", message_entry("d", {"4:0b": 2}, day=19845)),
    ]
    on_disk, in_memory = BandIndex.on_disk(tmp_path / "index"), BandIndex()
    assert on_disk.add_all(values) == in_memory.add_all(values) == 3
    band_keys = ["3:0a", "4:0b", "5:0c", "6:0d"]
    found = [list(entries) for entries in in_memory.lookup(band_keys)]
    assert [[e["id"] for e in entries] for entries in found] == [["a", "b", "c"], ["a", "d"], ["b", "c"], []]
    assert on_disk.lookup(band_keys) == found
    assert on_disk.expire(19846) == in_memory.expire(19846) == 1
    assert on_disk.lookup(band_keys) == [list(entries) for entries in in_memory.lookup(band_keys)]
    on_disk.close()


class SentRecords:
    """A producer that keeps what it is sent, each send acknowledged at the next offset of its
    partition (as faust's producer, `send` returns the future of the record's metadata)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes | None, bytes | None, int]] = []

    async def send(self, topic, key, value, partition, timestamp, headers):  # noqa: ANN001, ANN201
        import asyncio

        from aiokafka.structs import RecordMetadata, TopicPartition

        offset = sum(1 for r in self.records if (r[0], r[3]) == (topic, partition))
        self.records.append((topic, key, value, partition))
        sent = asyncio.get_running_loop().create_future()
        sent.set_result(RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, -1, -1, -1))
        return sent



def urls_sending_to(tmp_path, producer: SentRecords, partitions: int = 4):  # noqa: ANN201
    """The urls table on a RocksDB store, its changelog records sent to `producer`."""
    settings = Settings.from_env({"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path),
                                  "COPYDESK_PARTITIONS": str(partitions)})
    app = create_app(settings)

    async def started() -> SentRecords:
        return producer

    app.app.maybe_start_producer = started
    return app.tables.urls


async def test_a_batch_of_writes_sends_faust_own_changelog_records_together(tmp_path):
    import asyncio

    from streams.steps import apply_writes

    producer = SentRecords()
    urls = urls_sending_to(tmp_path, producer)
    writes = {f"article-{i}@19846": {"fingerprint": f"f{i}", "n": i} for i in range(12)}
    with During(2):
        urls.data["gone@19846"] = {"old": True}
        await urls.store_all({**writes, "gone@19846": None, "never@19846": None}, apply_writes)
        assert {k: urls.data.get(k) for k in writes} == writes  # in the store (the event's partition)
        assert "gone@19846" not in urls.data
    topic = urls.changelog_topic
    expected = []
    for key, value in [*writes.items(), ("gone@19846", None)]:
        # faust's own record for `urls[key] = value` / `del urls[key]` (`Topic.as_future_message`)
        made = topic.as_future_message(key=key, value=value, partition=urls.partition_for_key(key),
                                       key_serializer=urls.key_serializer,
                                       value_serializer=urls.value_serializer if value is not None else "raw").message
        expected.append((topic.get_topic_name(), made.key, made.value, made.partition))
    assert producer.records == expected  # in order, one per key, nothing for a key not there
    assert orjson.loads(producer.records[0][2]) == writes["article-0@19846"]
    await asyncio.sleep(0)  # the acknowledgements' callbacks
    # Each changelog partition's last offset is kept in that partition's database, once per batch.
    last = {}
    for i, (name, _, _, partition) in enumerate(producer.records):
        last[partition] = sum(1 for r in producer.records[: i + 1] if r[3] == partition) - 1
    for partition, offset in last.items():
        assert urls.data.persisted_offset(TP(topic.get_topic_name(), partition)) == offset, partition


class HeldUpRecords(SentRecords):
    """SentRecords whose send of the record with key `hold` waits until `go` is set (as aiokafka's
    send waits while the batch of the record's partition is full)."""

    def __init__(self, hold: bytes) -> None:
        super().__init__()
        import asyncio

        self.hold, self.go = hold, asyncio.Event()

    async def send(self, topic, key, value, partition, timestamp, headers):  # noqa: ANN001, ANN201
        if key == self.hold:
            await self.go.wait()
        return await super().send(topic, key, value, partition, timestamp, headers)


async def test_two_batches_writing_a_key_send_its_records_in_the_order_they_store_it(tmp_path):
    import asyncio

    from streams.steps import apply_writes

    producer = HeldUpRecords(hold=b'"other@19846"')
    urls = urls_sending_to(tmp_path, producer)

    async def batch(writes: dict) -> None:
        with During(2):
            await urls.store_all(writes, apply_writes)

    # Two agents' batches write the same key (a step run inline and its own agent share the
    # table's pending writes); the first is held up sending a record before that key's.
    first = asyncio.ensure_future(batch({"other@19846": {"n": 0}, "same@19846": {"n": 1}}))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(batch({"same@19846": {"n": 2}}))
    await asyncio.sleep(0.01)
    producer.go.set()
    await asyncio.gather(first, second)
    with During(2):
        stored = urls.data.get("same@19846")
    sent = [orjson.loads(value) for _, key, value, _ in producer.records if key == b'"same@19846"']
    assert stored == {"n": 2}
    assert sent == [{"n": 1}, {"n": 2}]  # a restore from the changelog ends where the store is


class FailingRecords(SentRecords):
    """SentRecords whose record with key `fail` is not delivered (its future fails, as aiokafka's
    does for a batch that expired with the broker down)."""

    def __init__(self, fail: bytes) -> None:
        super().__init__()
        self.fail = fail

    async def send(self, topic, key, value, partition, timestamp, headers):  # noqa: ANN001, ANN201
        sent = await super().send(topic, key, value, partition, timestamp, headers)
        if key != self.fail:
            return sent
        import asyncio

        from aiokafka.errors import KafkaTimeoutError

        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(KafkaTimeoutError())
        return failed


async def test_a_changelog_record_not_delivered_is_reported(tmp_path, caplog):
    import asyncio

    from streams.steps import apply_writes

    producer = FailingRecords(fail=b'"a@19846"')
    urls = urls_sending_to(tmp_path, producer, partitions=1)
    with During(0):
        await urls.store_all({"a@19846": {"n": 1}, "b@19846": {"n": 2}}, apply_writes)
    await asyncio.sleep(0)  # the acknowledgements' callbacks
    failed = [r for r in caplog.records if "KafkaTimeoutError" in r.getMessage()]
    assert len(failed) == 1 and "a@19846" in failed[0].getMessage(), [r.getMessage() for r in caplog.records]
