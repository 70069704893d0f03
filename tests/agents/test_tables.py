"""The shell's tables on a real RocksDB store, without a broker: `get_many` reads what `get` reads."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from faust.streams import _current_event

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


def test_get_many_reads_the_event_partition_like_get_with_one_multi_get(tmp_path):
    settings = Settings.from_env({"COPYDESK_STORE": "rocksdb://", "COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_PARTITIONS": "4"})
    copydesk = create_app(settings)
    bands = copydesk.tables.bands
    with During(2):
        bands.data["3:0a0b0c0d0e0f@19846"] = {"entries": [{"id": "a", "seq": 1}]}  # the store's own write path
        bands.data["4:aaaaaaaaaaaa@19847"] = {"entries": []}
    keys = ["3:0a0b0c0d0e0f@19846", "missing@19846", "4:aaaaaaaaaaaa@19847", "3:0a0b0c0d0e0f@19845"]
    with During(2):
        many = bands.get_many(keys)
        one_by_one = [bands.get(k) for k in keys]
    assert many == one_by_one == [{"entries": [{"id": "a", "seq": 1}]}, None, {"entries": []}, None]
    with During(1):  # another partition's database holds none of them, for either reader
        assert bands.get_many(keys) == [bands.get(k) for k in keys] == [None] * 4
    assert bands.get_many([]) == []


def test_get_many_on_a_memory_store_falls_back_to_get():
    copydesk = create_app(Settings.from_env({"COPYDESK_STORE": "memory://", "COPYDESK_PARTITIONS": "4"}))
    bands = copydesk.tables.bands
    bands.data["k@1"] = {"entries": []}
    assert bands.get_many(["k@1", "x@1"]) == [{"entries": []}, None]


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
        assert copydesk.tables.urls.get_many(["k@1"]) == [{"v": 1}]
