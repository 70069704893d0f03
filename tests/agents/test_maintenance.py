"""The worker's consumer-lag gauge: read where the consumer keeps its offsets, never asked of the brokers."""

from __future__ import annotations

from faust.types import TP

from streams.agents.maintenance import consumer_lag


class Consumer:
    """faust's consumer as the lag sample sees it; asking the brokers fails, as when they are away."""

    def __init__(self, highwaters: dict[TP, int | None], committed: dict[TP, int]) -> None:
        self._highwaters = highwaters
        self._committed_offset = committed

    def assignment(self) -> set[TP]:
        return set(self._highwaters)

    def highwater(self, tp: TP) -> int | None:
        return self._highwaters[tp]

    async def highwaters(self, *partitions: TP) -> dict[TP, int]:
        raise TimeoutError("the brokers are away")


def test_lag_is_each_owned_source_partitions_high_water_less_its_committed_position() -> None:
    raw0, raw1, internal, changelog = TP("raw", 0), TP("raw", 1), TP("raw.gather", 0), TP("app-dedup-changelog", 0)
    consumer = Consumer(
        {raw0: 120, raw1: None, internal: 7, changelog: 900},  # raw 1 not fetched yet
        {raw0: 100, internal: 9, changelog: 0},  # raw 1 never committed; internal past a marker
    )
    assert consumer_lag(consumer, {"raw", "raw.gather"}) == {raw0: 20, raw1: 0, internal: 0}
