"""How enrichment cuts a read into runs (whole messages, about `COPYDESK_ENRICH_BATCH` articles),
and what it does with the sends of a run it left midway."""

from __future__ import annotations

import asyncio
import gc

import pytest

from streams.enricher import _take_outcome, runs


@pytest.mark.parametrize(
    ("sizes", "bound", "expected"),
    [
        ([], 3, []),
        ([1, 1, 1, 1], 2, [[1, 1], [1, 1]]),
        ([2, 2, 5, 1], 3, [[2], [2], [5], [1]]),
        ([40], 32, [[40]]),
        ([1, 40, 1], 32, [[1], [40], [1]]),
        ([0, 0, 3, 0], 3, [[0, 0, 3, 0]]),
        ([10, 10, 10, 3], 32, [[10, 10, 10], [3]]),
    ],
)
def test_runs_hold_whole_messages_up_to_the_bound(sizes, bound, expected):
    assert [sizes[run] for run in runs(sizes, bound)] == expected


@pytest.mark.parametrize("taken", [True, False])
def test_a_failed_send_left_behind_is_not_reported_as_never_retrieved(taken):
    """When a run stops midway, the sends it had queued get `_take_outcome`: a failed one is then
    not logged as an exception nobody retrieved (without it, it is)."""
    reported: list[str] = []

    async def leave_a_failed_send() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: reported.append(ctx["message"]))
        future = asyncio.get_running_loop().create_future()
        if taken:
            future.add_done_callback(_take_outcome)
        future.set_exception(RuntimeError("the broker said no"))
        await asyncio.sleep(0)
        del future
        gc.collect()

    asyncio.run(leave_a_failed_send())
    assert (reported == []) is taken
    if not taken:
        assert "never retrieved" in reported[0]
