"""Intake: the raw contract, checked by hand in the hot path and by the JSON Schema file alike."""

from __future__ import annotations

import orjson
import pytest

from processors.errors import InvalidMessage
from processors.intake import decode_raw
from processors.options import StageOptions
from schemas import contracts

OPTIONS = StageOptions(max_payload_bytes=10_000)
GOOD = {"url": "https://example.com/a?x=1", "fetched_at": "2024-05-03T18:19:08.721+02:00", "text": "Body text."}


def with_(**changes):
    d = dict(GOOD)
    for k, v in changes.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return d


VALID = [
    (GOOD, {"url": GOOD["url"], "fetched_at": "2024-05-03T16:19:08.721Z", "text": "Body text.", "html": None}),
    (with_(text=..., html="<p>x</p>"), {"html": "<p>x</p>", "text": None}),
    (with_(html="  ", text="page"), {"html": None, "text": "page"}),
    (with_(fetched_at="2024-05-03T18:19:08Z"), {"fetched_at": "2024-05-03T18:19:08Z"}),
    (with_(url="HTTP://Example.com"), {"url": "HTTP://Example.com"}),
    (with_(title="T", crawler="c1", http_status=200, headers={"a": "b"}, metadata={"m": 1}),
     {"title": "T", "crawler": "c1", "http_status": 200, "headers": {"a": "b"}, "metadata": {"m": 1}}),
]

INVALID = [
    (b"", "empty_message"),
    (b"\xff\xfe{}", "invalid_utf8"),
    (b"{not json", "invalid_json"),
    (b"[1, 2]", "not_an_object"),
    (b'"a string"', "not_an_object"),
    (orjson.dumps(with_(url=...)), "missing_field"),
    (orjson.dumps(with_(url=12)), "wrong_type"),
    (orjson.dumps(with_(url="/relative/path")), "invalid_url"),
    (orjson.dumps(with_(url="ftp://example.com/a")), "invalid_url"),
    (orjson.dumps(with_(url="https:///nohost")), "invalid_url"),
    (orjson.dumps(with_(url="https://exa mple.com/")), "invalid_url"),
    (orjson.dumps(with_(fetched_at=...)), "missing_field"),
    (orjson.dumps(with_(fetched_at="2024-05-03")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-05-03T18:19:08")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="yesterday at noon")), "invalid_time"),
    # RFC 3339's form, field by field, and the fetch years: the schema's pattern says them too
    (orjson.dumps(with_(fetched_at="2024-13-03T18:19:08Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-05-32T18:19:08Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-05-03T24:19:08Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-05-03T18:60:08Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-12-31T23:59:60Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="2024-05-03T18:19:08+24:00")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="1969-12-31T23:59:59Z")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="3000-01-01T00:00:00Z")), "invalid_time"),
    # Found by hypothesis: a valid RFC 3339 string whose UTC time is before year 1; and a time
    # before year 1000, outside the fetch years as well (the schema's pattern rejects both years).
    (orjson.dumps(with_(fetched_at="0001-01-01T00:00:00+01:00")), "invalid_time"),
    (orjson.dumps(with_(fetched_at="0999-12-31T23:59:59Z")), "invalid_time"),
    (orjson.dumps(with_(text=...)), "missing_field"),
    (orjson.dumps(with_(text=" \n ")), "empty_body"),
    (orjson.dumps(with_(text=["a"])), "wrong_type"),
    (orjson.dumps(with_(http_status="200")), "wrong_type"),
    (orjson.dumps(with_(headers=[1])), "wrong_type"),
    (orjson.dumps(with_(text="x" * 20_000)), "payload_too_large"),
]


@pytest.mark.parametrize(("message", "expected"), VALID)
def test_valid_messages_decode_to_typed_articles(message, expected):
    raw = decode_raw(orjson.dumps(message), OPTIONS)
    for name, value in expected.items():
        assert getattr(raw, name) == value, name
    assert contracts.errors("raw", message) == []


@pytest.mark.parametrize(("payload", "kind"), INVALID)
def test_invalid_messages_raise_a_reason(payload, kind):
    with pytest.raises(InvalidMessage) as info:
        decode_raw(payload, OPTIONS)
    assert info.value.kind == kind
    assert info.value.stage == "intake"
    assert info.value.message  # an operator reads this


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        c
        for c in INVALID
        if c[1] not in ("empty_message", "invalid_utf8", "invalid_json", "payload_too_large")
    ],
)
def test_the_schema_file_rejects_what_intake_rejects(payload, kind):
    obj = orjson.loads(payload)
    assert contracts.errors("raw", obj), f"schema accepts a message intake rejects as {kind}: {obj}"
