"""`streams.tables.partition_of`: the partition Kafka's default partitioner gives a key, which
decides where every internal message, table entry and band key of copydesk goes, so it must be
the partitioner's own for every partition count, one included."""

from __future__ import annotations

import random

import pytest
from aiokafka.partitioner import DefaultPartitioner

from streams.tables import partition_of


@pytest.mark.parametrize("partitions", [1, 2, 3, 8, 16])
def test_partition_of_is_the_default_partitioners(partitions):
    rng = random.Random(partitions)
    keys = [f"{band}:{rng.getrandbits(48):012x}" for band in range(21) for _ in range(40)]
    keys += [f"https://news{i % 3}.example.com/story/{i}" for i in range(300)] + ["ünïcödé/ключ", ""]
    every = list(range(partitions))
    expected = [DefaultPartitioner()(k.encode("utf-8"), every, every) for k in keys]
    assert [partition_of(k, partitions) for k in keys] == expected
    assert len(set(expected)) == partitions
