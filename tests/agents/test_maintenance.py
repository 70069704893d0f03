"""The worker's consumer-lag gauge: read where the consumer keeps its offsets; the brokers are asked
only for partitions not fetched yet, and their silence never ends the worker."""

from __future__ import annotations

from aiokafka.errors import KafkaTimeoutError
from faust.types import TP

from streams.agents.maintenance import consumer_lag


class Consumer:
    """faust's consumer as the lag sample sees it: the brokers' high waters given, or away."""

    def __init__(
        self, highwaters: dict[TP, int | None], committed: dict[TP, int], brokers: dict[TP, int] | None = None
    ) -> None:
        self._highwaters = highwaters
        self._committed_offset = committed
        self.brokers = brokers
        self.asked: list[tuple[TP, ...]] = []

    def assignment(self) -> set[TP]:
        return set(self._highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self._highwaters[tp]

    async def highwaters(self, *partitions: TP) -> dict[TP, int]:
        self.asked.append(partitions)
        if self.brokers is None:
            raise KafkaTimeoutError("the brokers are away")
        return {tp: self.brokers[tp] for tp in partitions}


RAW0, RAW1, INTERNAL, CHANGELOG = TP("raw", 0), TP("raw", 1), TP("raw.gather", 0), TP("app-dedup-changelog", 0)


async def test_lag_is_each_owned_source_partitions_high_water_less_its_committed_position() -> None:
    consumer = Consumer(
        {RAW0: 120, RAW1: 60, INTERNAL: 7, CHANGELOG: 900},
        {RAW0: 100, INTERNAL: 9, CHANGELOG: 0},  # raw 1 never committed; internal past a marker
    )
    assert await consumer_lag(consumer, {"raw", "raw.gather"}, 1.0) == {RAW0: 20, RAW1: 60, INTERNAL: 0}
    assert consumer.asked == []  # every high water known: no request


async def test_a_partition_not_fetched_yet_has_the_brokers_high_water_not_a_lag_of_naught() -> None:
    # after a rebalance its source partitions wait, unfetched, for the tables' recovery: the backlog grows
    consumer = Consumer({RAW0: 120, RAW1: None}, {RAW0: 100, RAW1: 4_000}, brokers={RAW1: 9_000})
    assert await consumer_lag(consumer, {"raw"}, 1.0) == {RAW0: 20, RAW1: 5_000}
    assert consumer.asked == [(RAW1,)]


async def test_with_the_brokers_away_a_partition_not_fetched_yet_has_no_lag_sampled() -> None:
    consumer = Consumer({RAW0: 120, RAW1: None}, {RAW0: 100, RAW1: 4_000})
    assert await consumer_lag(consumer, {"raw"}, 1.0) == {RAW0: 20}
