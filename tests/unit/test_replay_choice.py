"""Which dead letters `replay-dead-letters` sends again, decided per letter without a broker
(`streams.kafka_io._choose`)."""

from __future__ import annotations

import orjson

from processors.errors import StageError
from processors.records import dead_letter_record
from schemas.models import SourceRef
from streams.kafka_io import Replay, _choose

RAW = "news.articles.raw"


def letter(kind: str, stage: str, source: SourceRef, payload: bytes | None, url: str | None) -> bytes:
    record = dead_letter_record(StageError(kind, "why"), stage, source, payload, "2026-12-08T03:00:00.000Z", url)
    return orjson.dumps(record)


def test_a_letter_of_the_raw_topic_is_chosen_with_its_bytes():
    replay, pending = Replay(group="g"), []
    raw = b'{"url": "https://example.org/a", "fetched_at": "2026-12-08T02:00:00Z", "text": "x'
    _choose(replay, 0, 5, letter("invalid_json", "cleaning", SourceRef(RAW, 2, 7), raw, None), {"invalid_json"}, None, pending)
    assert [(p[2], p[3], p[5], p[6]) for p in pending] == [("invalid_json", "cleaning", (RAW, 2, 7), raw)]


def test_a_letter_of_a_warc_file_is_counted_not_chosen():
    # Its topic is the file's name and its payload (if any) the record's HTTP bytes: nothing the
    # raw topic could take; reading a topic named after the file waited 40 s and failed (exit 70).
    replay, pending = Replay(group="g"), []
    crawl = "/data/crawl-00003.warc"
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>cut sh"
    _choose(replay, 0, 0, letter("truncated_record", "warc", SourceRef(crawl, 0, 2852), http, "https://example.org/a"),
            {"truncated_record"}, None, pending)
    _choose(replay, 0, 1, letter("truncated_record", "warc", SourceRef(crawl, 0, 549732), None, None),
            {"truncated_record"}, "warc", pending)
    _choose(replay, 0, 2, letter("payload_too_large", "warc", SourceRef(crawl, 0, 9000), None, "https://example.org/b"),
            {"payload_too_large"}, None, pending)
    assert pending == []
    assert (replay.from_files, replay.other_kinds, replay.without_payload) == (3, 0, 0)
