"""How enrichment cuts a read into runs: whole messages, about `COPYDESK_ENRICH_BATCH` articles."""

from __future__ import annotations

import pytest

from streams.enricher import runs


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
