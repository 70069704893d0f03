"""The dedup tables, declared once: RocksDB-backed faust tables with compacted changelogs.

Keys carry the day they were written (`<key>@<day>`, see `processors.dedup`), so that expiry is
a matter of the keys alone and survives a recovery from the changelog (faust's windowed tables
keep their expiry bookkeeping in memory and lose it there).

A day-keyed table cannot let faust pick the changelog partition from "the current event", as
plain tables do: the sweep that deletes expired keys runs from a timer, outside any event. So
`DayKeyedTable` computes the partition of a key the way the producer partitioned the topic the
table is fed from: Kafka's default partitioner (murmur2) over the key without its day. Writes
made while processing an event therefore land on the event's own partition, and deletes from
the sweep land on the partition that owns the key.

A partition's RocksDB database that cannot be opened because it is corrupt (a torn disk, a
copy of the data dir gone wrong) would stop the worker on every start: faust's store raises
`Exception("Corruption: ...")` from the assignment and the worker exits 1. The state is only a
cache of the table's changelog, so `RecoveringRocksDBStore` moves the damaged folder aside
(`<name>.corrupt-<unix time>`, kept for a post-mortem), logs an error with both paths, and opens
an empty database in its place: with no persisted offset in it, faust restores the partition
from the changelog, as after a lost data dir.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import faust
from aiokafka.partitioner import DefaultPartitioner
from faust.stores import rocksdb as faust_rocksdb
from faust.streams import current_event
from yarl import URL

from streams.band_index import BandIndex
from streams.settings import Settings

log = logging.getLogger("copydesk.tables")
_partitioner = DefaultPartitioner()


def is_corruption(exc: BaseException) -> bool:
    """Whether opening a RocksDB database failed because its files are damaged.

    rocksdict raises a bare `Exception` whose text is RocksDB's status ("Corruption: CURRENT file
    does not end with newline", "Corruption: CURRENT file corrupted", ...). A lock held by another
    process is an "IO error", which faust retries, and must not be mistaken for damage.
    """
    return str(exc).startswith("Corruption:")


def move_aside(path: Path, now: float | None = None) -> Path:
    """Rename the folder `path` to `<name>.corrupt-<unix time>` (a free name) and return that."""
    stamp = int(time.time() if now is None else now)
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.rename(target)
    return target


class RecoveringRocksDBStore(faust_rocksdb.Store):
    """faust's RocksDB store, except that a corrupt partition database is replaced by an empty one.

    The hook is `_open_for_partition`, the one place where faust opens a partition's database
    (`_db_for_partition` calls it on first use, from the assignment, the standby check, the
    recovery and reads alike), so every path gets the same treatment.
    """

    def _open_for_partition(self, partition: int) -> Any:
        try:
            return super()._open_for_partition(partition)
        except Exception as exc:
            if not is_corruption(exc):
                raise
            path = self.partition_path(partition)
            aside = move_aside(path)
            log.error(
                "table %s partition %d: RocksDB database %s is corrupt (%s); moved it to %s and "
                "opened an empty one, to be restored from the changelog",
                self.table_name,
                partition,
                path,
                exc,
                aside,
                extra={"partition": partition},
            )
            return super()._open_for_partition(partition)


def partition_of(base_key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `base_key` among `partitions`. (Its
    murmur2 is pure Python, and an article asks this for each of its band keys: none is needed
    when there is one partition.)"""
    if partitions == 1:
        return 0
    every = list(range(partitions))
    return _partitioner(base_key.encode("utf-8"), every, every)


async def producer_of(app: Any) -> Any:
    """faust's producer (`App.maybe_start_producer`: under exactly_once the consumer's transaction
    manager), asked of the app once and kept on it: each call yields to the loop three times
    (mode's stampede guard), and the answer is the same for the app's life."""
    producer = getattr(app, "_copydesk_producer", None)
    if producer is None:
        producer = app._copydesk_producer = await app.maybe_start_producer()
    return producer


def undelivered(sent: Any) -> BaseException | None:
    """Why a message handed to the producer (its future, done) was not delivered; None when it
    was, or when its send was cancelled (a stop)."""
    return None if sent.cancelled() else sent.exception()


class _HeldRecord(NamedTuple):
    """A changelog record made while a batch's writes are applied (`DayKeyedTable.store_all`),
    sent with the others afterwards; it stands for faust's FutureMessage in `on_key_set`."""

    partition: int
    key: bytes | None
    value: bytes | None

    @property
    def message(self) -> _HeldRecord:
        return self


class DayKeyedTable(faust.Table):
    #: The changelog records of the writes being applied by `store_all`, None otherwise.
    _held: list[_HeldRecord] | None = None
    #: Held by `store_all` from its first write to its last send (made on first use).
    _storing: asyncio.Lock | None = None

    async def store_all(self, writes: Mapping[str, Any], store: Callable[[Any, Mapping[str, Any]], None]) -> None:
        """Apply a batch's writes with `store(self, writes)` (as faust's `table[key] = value` does:
        the store, the subclasses' hooks, the changelog record of each key to its partition under
        the current event) and send their changelog records to the producer together. faust sends
        each record through its producer buffer (a queue, a task, a future and a callback per
        record, and the partition's offset written to RocksDB after each one); here the records
        go to the same producer (`producer_of`: under exactly_once the transaction
        manager, which puts a changelog partition's records in the transaction of the source
        partition of that number, as faust's own path does), in order, and the offset is kept once
        per changelog partition and batch, from its last record.

        One batch at a time per table, from its first write to its last send: a send can wait
        (the partition's producer batch is full), and another agent's batch that wrote a key
        meanwhile would send its record first, so that the changelog would end on an older value
        than the store (faust's buffer sends in the order of the writes)."""
        if self._storing is None:
            self._storing = asyncio.Lock()
        async with self._storing:
            self._held = held = []
            try:
                store(self, writes)
            finally:
                self._held = None
            if not held:
                return
            producer = await producer_of(self.app)
            topic = self.changelog_topic.get_topic_name()
            sends = [
                (record, await producer.send(topic, record.key, record.value, record.partition, None, None))
                for record in held
            ]
        last = {record.partition: sent for record, sent in sends}
        for record, sent in sends:
            sent.add_done_callback(partial(self._on_changelog_record_sent, record, last[record.partition] is sent))

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> Any:
        held = self._held
        if held is None:
            return super().send_changelog(partition, key, value, key_serializer, value_serializer)
        # faust's own serialisation of a changelog record (`Topic.as_future_message`)
        topic = self.changelog_topic
        k, _ = topic.prepare_key(key, key_serializer or self.key_serializer)
        v, _ = topic.prepare_value(value, value_serializer or self.value_serializer)
        if partition is None:  # every copydesk table names its partition (`partition_for_key`)
            raise RuntimeError(f"table {self.name}: a changelog record without a partition")
        record = _HeldRecord(partition, k, v)
        held.append(record)
        return record

    def _on_changelog_record_sent(self, record: _HeldRecord, last: bool, sent: Any) -> None:
        """faust's `_on_published` and `_on_changelog_sent` for a record sent by `store_all`: a
        record not delivered is logged (by faust as a warning too), and the offset of a changelog
        partition's last record of the batch is kept."""
        failed = undelivered(sent)
        if failed is not None:
            log.warning(
                "table %s: changelog record %r to partition %d not sent: %r",
                self.name,
                record.key,
                record.partition,
                failed,
                extra={"partition": record.partition},
            )
            return
        if not last or sent.cancelled():
            return
        res = sent.result()
        if self.app.in_transaction:
            self.app.tables.persist_offset_on_commit(self.data, res.topic_partition, res.offset)
        else:
            self.data.set_persisted_offset(res.topic_partition, res.offset)

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of `key` from one read of the store: faust's `get` reads a present key
        twice (`in`, then the value) and raises a KeyError through its layers for a missing one."""
        self.on_key_get(key)  # faust's sensors count the read, as with faust's `get`
        return self.data.get(key, default)

    def _new_store_by_url(self, url: str | URL) -> Any:
        # The one factory faust uses for a table's store (its data, and the store of a
        # ChangeloggedObjectManager): our RocksDB store for rocksdb://, faust's for the rest.
        if URL(url).scheme != "rocksdb":
            return super()._new_store_by_url(url)
        return RecoveringRocksDBStore(
            url,
            self.app,
            self,
            table_name=self.name,
            key_type=self.key_type,
            key_serializer=self.key_serializer,
            value_serializer=self.value_serializer,
            value_type=self.value_type,
            loop=self.loop,
            options=self.options,
        )

    def partition_for_key(self, key: str) -> int:
        # faust's RocksDB store reads and writes the consumed event's partition, so an entry's
        # changelog partition must be that one too, or a recovery restores it where no lookup
        # goes. A gather reply's key (`<input>#<part>@<day>`) lives on its input's partition.
        base, _, _ = key.rpartition("@")
        base, _, _ = (base or key).partition("#")
        return partition_of(base, self.changelog_topic.partitions or self.app.conf.topic_partitions)


class BandTable(DayKeyedTable):
    """The band table, and the near-duplicate index derived from it (`streams.band_index`).

    Each band partition's index lives beside the table's partition and follows it: a table write
    made while an event is processed is indexed at once; an index is dropped on every rebalance
    (its partition may have been restored or moved meanwhile) and built again from the table's
    partition on its first read. A rebalance thus costs one pass over the partitions' entries of
    the horizon, and a replaced worker reads its index from what recovery restored."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexes: dict[int, BandIndex] = {}
        self._indexed_already = False

    def lookup_bands(self, band_keys: Sequence[str]) -> list[list[Any]]:
        """The index entries of each band key, on the partition of the event being processed."""
        return self._index(_event_partition()).lookup(band_keys)

    def index_pending(self, key: str, value: Any) -> None:
        """Index a band message's entry that a batch will store later (`store_indexed`), so that
        the batch's next messages see it. If the batch is never stored (the worker stopped), the
        index is built again from the table before it is read (a rebalance drops it)."""
        self._index(_event_partition()).add(key, value)

    def store_indexed(self, key: str, value: Any) -> None:
        """Write a value whose entries `index_pending` already indexed."""
        self._indexed_already = True
        try:
            self[key] = value
        finally:
            self._indexed_already = False

    def on_key_set(self, key: str, value: Any) -> None:
        super().on_key_set(key, value)
        if not self._indexed_already:
            self._index(_event_partition()).add(key, value)

    def expire_index(self, oldest_day: int) -> int:
        """Drop the index entries of days before `oldest_day` on every built partition."""
        return sum(index.expire(oldest_day) for index in self._indexes.values())

    async def on_rebalance(self, assigned: Any, revoked: Any, newly_assigned: Any, generation_id: int = 0) -> None:
        self.drop_indexes()
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)

    async def on_stop(self) -> None:
        self.drop_indexes()
        await super().on_stop()

    def drop_indexes(self) -> None:
        for index in self._indexes.values():
            index.close()
        self._indexes.clear()

    def _index(self, partition: int) -> BandIndex:
        index = self._indexes.get(partition)
        if index is None:
            index = self._build_index(partition)
            self._indexes[partition] = index
        return index

    def _build_index(self, partition: int) -> BandIndex:
        store = self.data
        started = time.perf_counter()
        if isinstance(store, faust_rocksdb.Store):
            index = BandIndex.on_disk(Path(self.app.conf.tabledir) / f"{self.name}-index" / f"p{partition}")
            db = store._db_for_partition(partition)
            items = (
                (store._decode_key(k), store._decode_value(v)) for k, v in store._visible_items(db)
            )
        else:
            index = BandIndex()
            items = ((k, v) for k, v in list(store.items()) if self.partition_for_key(k) == partition)
        n = index.add_all(items)
        log.info(
            "table %s partition %d: index built from %d entries in %.2f s",
            self.name,
            partition,
            n,
            time.perf_counter() - started,
            extra={"partition": partition},
        )
        return index


def _event_partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("the band index is read and written while an event is processed")
    return event.message.partition


class PartitionScopedTable(DayKeyedTable):
    """A day-keyed table whose keys name their partition (`p<partition>/<base>@<day>`, see
    `processors.pipeline.site_lines_scope`): state learnt on one raw partition, whatever the
    base, so its changelog partition is the one in the key.

    Each partition's owner writes only its own partition's keys, and every worker reads them all:
    it is a global table (faust's `is_global`, Kafka Streams' GlobalKTable), declared so by
    `declare`. Every worker restores every changelog partition before it processes, then follows
    those it does not own (faust's standbys) and applies each record as it comes (buffers of one
    record); under exactly_once it reads them read_committed, so an aborted write is never seen.
    It never reads its own partitions back (`streams.faust_fixes`, C), and deletes only the keys
    of its own partitions (`owned_keys`). A key is read from the database of the partition it
    names, not looked for in each.

    Its values are large (a chunk of a site's lines of a day, up to some 10 KB of JSON) and every
    article of the site reads each chunk of each day of the horizon of each partition, so the
    table keeps the values it last read or wrote decoded (`cache_size` of them, the oldest
    dropped first), as faust's store would decode them again on every read. A value written
    here, or applied from another owner's changelog, replaces its copy; a rebalance drops them
    all."""

    cache_size = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoded: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = self._decoded[key]
        except KeyError:
            value = self._decoded[key] = self._read(key)
            if len(self._decoded) > self.cache_size:
                del self._decoded[next(iter(self._decoded))]
        return default if value is None else value

    def _read(self, key: str) -> Any:
        store = self.data
        if not isinstance(store, faust_rocksdb.Store):
            return super().get(key)
        self.on_key_get(key)
        value = store._db_for_partition(self.partition_for_key(key)).get(store._encode_key(key))
        return None if value is None else store._decode_value(value)

    def on_key_set(self, key: str, value: Any) -> None:
        super().on_key_set(key, value)
        self._decoded.pop(key, None)
        self._decoded[key] = value

    def on_key_del(self, key: str) -> None:
        super().on_key_del(key)
        self._decoded.pop(key, None)

    def apply_changelog_batch(self, batch: Any) -> None:
        batch = list(batch)
        super().apply_changelog_batch(batch)
        for event in batch:
            self._decoded.pop(self.data._decode_key(event.message.key), None)

    async def on_rebalance(self, assigned: Any, revoked: Any, newly_assigned: Any, generation_id: int = 0) -> None:
        self._decoded.clear()
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)

    def partition_for_key(self, key: str) -> int:
        scope, _, _ = key.partition("/")
        return int(scope[1:])

    def _changelog_topic_name(self) -> str:
        # faust's assignor finds a global table's changelog by this name, which faust makes from
        # the app id whatever topic the table was given: with ours it failed the assignment (a
        # KeyError that left the worker waiting in its group join for ever).
        return self.changelog_topic.get_topic_name()

    def owned_partitions(self) -> set[int]:
        """The partitions this worker writes: of a global table's changelog partitions, all
        assigned as actives, those that are not standbys."""
        topic = self.changelog_topic.get_topic_name()
        assignor = self.app.assignor
        actives = {tp.partition for tp in assignor.assigned_actives() if tp.topic == topic}
        return actives - {tp.partition for tp in assignor.assigned_standbys() if tp.topic == topic}

    def owned_keys(self) -> list[str]:
        """The keys of the partitions this worker writes (the others are their owners' to expire)."""
        owned = self.owned_partitions()
        store = self.data
        if not isinstance(store, faust_rocksdb.Store):
            return [key for key in self.keys() if self.partition_for_key(key) in owned]
        return [
            store._decode_key(key)
            for partition in sorted(owned)
            for key in store._visible_keys(store._db_for_partition(partition))
        ]


@dataclass(frozen=True, slots=True)
class TableSet:
    urls: DayKeyedTable
    contents: DayKeyedTable
    bands: BandTable
    gather: DayKeyedTable
    sitelines: PartitionScopedTable

    def named(self) -> dict[str, DayKeyedTable]:
        return {
            "urls": self.urls,
            "contents": self.contents,
            "bands": self.bands,
            "gather": self.gather,
            "sitelines": self.sitelines,
        }


def rocksdb_options(settings: Settings) -> dict[str, int]:
    """faust's `RocksDBOptions` for each table partition's database: bounded memtables and
    block cache (see `Settings.rocksdb_write_buffer_bytes`); a memory store ignores them."""
    return {
        "write_buffer_size": settings.rocksdb_write_buffer_bytes,
        "max_write_buffer_number": 2,
        "block_cache_size": settings.rocksdb_block_cache_bytes,
        "block_cache_compressed_size": 0,
    }


def declare(app: faust.App, settings: Settings) -> TableSet:
    def table(name: str, help_: str, kind: type[DayKeyedTable] = DayKeyedTable, **more: Any) -> Any:
        changelog = app.topic(
            settings.topics.changelog(name),
            key_type=str,
            value_type=None,
            key_serializer="json",
            value_serializer="json",
            partitions=settings.partitions,
            replicas=settings.replication_factor,
            compacting=True,
            deleting=False,
            acks=False,
            internal=True,
        )
        # What app.Table() does, with our class: faust has no per-table class argument.
        return kind(
            app,
            name=name,
            default=None,
            beacon=app.tables.beacon,
            key_type=str,  # faust derives the codecs from the types: json for both
            partitions=settings.partitions,
            changelog_topic=changelog,
            help=help_,
            options=rocksdb_options(settings),
            **more,
        )

    return TableSet(
        urls=app.tables.add(table(settings.topics.url_table, "article id@day -> body fingerprint")),
        contents=app.tables.add(table(settings.topics.content_table, "body fingerprint@day -> first article")),
        bands=app.tables.add(
            table(settings.topics.band_table, "first band key#input@day -> a band message's article", BandTable)
        ),
        gather=app.tables.add(table(settings.topics.gather_table, "input@day -> article; input#part@day -> a partition's band replies")),
        sitelines=app.tables.add(
            table(
                settings.topics.sitelines_table,
                "p<partition>/site@day -> lines seen in its articles",
                PartitionScopedTable,
                # Read on every worker, written by each partition's owner; a record from another
                # owner is applied as it comes (faust buffers a global table's records, as those
                # of a partition it restores, `recovery_buffer_size` at a time).
                is_global=True,
                recovery_buffer_size=1,
                standby_buffer_size=1,
            )
        ),
    )
