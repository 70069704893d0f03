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
"""

from __future__ import annotations

from dataclasses import dataclass

import faust
from aiokafka.partitioner import DefaultPartitioner

from streams.settings import Settings

_partitioner = DefaultPartitioner()


def partition_of(base_key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `base_key` among `partitions`."""
    every = list(range(partitions))
    return _partitioner(base_key.encode("utf-8"), every, every)


class DayKeyedTable(faust.Table):
    def partition_for_key(self, key: str) -> int:
        base, _, _ = key.rpartition("@")
        return partition_of(base or key, self.changelog_topic.partitions or self.app.conf.topic_partitions)


@dataclass(frozen=True, slots=True)
class TableSet:
    urls: DayKeyedTable
    contents: DayKeyedTable
    bands: DayKeyedTable
    gather: DayKeyedTable

    def named(self) -> dict[str, DayKeyedTable]:
        return {"urls": self.urls, "contents": self.contents, "bands": self.bands, "gather": self.gather}


def declare(app: faust.App, settings: Settings) -> TableSet:
    def table(name: str, help_: str) -> DayKeyedTable:
        changelog = app.topic(
            f"{name}.changelog",
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
        return DayKeyedTable(
            app,
            name=name,
            default=None,
            beacon=app.tables.beacon,
            key_type=str,  # faust derives the codecs from the types: json for both
            partitions=settings.partitions,
            changelog_topic=changelog,
            help=help_,
        )

    return TableSet(
        urls=app.tables.add(table(settings.topics.url_table, "article id@day -> body fingerprint")),
        contents=app.tables.add(table(settings.topics.content_table, "body fingerprint@day -> first article")),
        bands=app.tables.add(table(settings.topics.band_table, "LSH band key@day -> articles with that band")),
        gather=app.tables.add(table(settings.topics.gather_table, "input@day -> article and band replies so far")),
    )
