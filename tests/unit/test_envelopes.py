"""Envelopes between the agents: many items in one message, read back in order; an older
worker's one-article message is one item."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from schemas.internal import BandProbe, items_of, loads_extracted, pack, peek_origin, unpack
from schemas.models import SourceRef
from streams.agents.batching import _chunks


def test_an_envelope_holds_its_items_in_order_and_a_plain_message_is_one_item():
    items = [orjson.dumps({"source": {"topic": "raw", "partition": 0, "offset": n}, "n": n}) for n in range(3)]
    assert unpack(pack(items)) == [orjson.loads(i) for i in items]
    assert unpack(items[1]) == [orjson.loads(items[1])]
    assert unpack(pack([])) == []
    with pytest.raises(ValueError):
        unpack(b"[1, 2]")
    with pytest.raises(ValueError):
        unpack(b"not json")


def test_items_reach_the_readers_parsed_as_they_would_as_bytes():
    source = SourceRef("raw", 2, 7, 123)
    probe = BandProbe("raw/2/7", "a", "2024-05-03T10:00:00Z", "AAAA", ("0:00", "1:00"), source, part="0:00")
    (item,) = unpack(pack([probe.to_bytes()]))
    assert BandProbe.from_bytes(item) == BandProbe.from_bytes(probe.to_bytes()) == probe
    assert peek_origin(item) == (source, None)
    counted = replace(probe, size=612)
    assert orjson.loads(counted.to_bytes())["n"] == 612 and BandProbe.from_bytes(counted.to_bytes()) == counted
    assert "n" not in orjson.loads(probe.to_bytes()) and probe.size is None  # an older probe has no count
    extracted = {"source": source.to_dict(), "article": {"id": "x"}}
    with pytest.raises((KeyError, TypeError)):  # an incomplete article fails alike from either form
        loads_extracted(extracted)


def test_envelopes_are_split_to_stay_under_the_size_limit_and_keep_the_order():
    items = [(str(n).encode(), b"x" * 40) for n in range(10)]
    chunks = _chunks(items, 100)
    assert [len(c) for c in chunks] == [2] * 5
    assert [i for c in chunks for i in c] == items
    assert _chunks([(None, b"y" * 500)], 100) == [[(None, b"y" * 500)]]  # too big alone: sent alone
    assert all(len(pack([v for _, v in c])) <= 100 + 20 for c in chunks)


def test_a_message_that_is_no_envelope_is_one_item_as_it_came():
    items = [orjson.dumps({"source": {"topic": "raw", "partition": 0, "offset": n}}) for n in range(2)]
    assert items_of(pack(items)) == [orjson.loads(i) for i in items]
    assert items_of(items[0]) == [orjson.loads(items[0])]  # an older worker's message
    assert items_of(b"not json") == [b"not json"]  # its step fails on these bytes: a dead letter
    assert items_of(b"[1]") == [b"[1]"]
    assert items_of(None) == [None] and items_of(b"") == [b""]
