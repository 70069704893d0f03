"""Messages of copydesk's internal topics (between its chained agents).

Every internal message carries the coordinates of the raw input it descends from and that input's
original bytes, so that any later stage can account for the input (its outcome names the raw
topic, partition and offset) and dead-letter it with the bytes the crawler sent. The original is
always UTF-8 here: intake rejects anything else before the first hop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from schemas.models import CleanedArticle, DedupVerdict, ExtractedArticle, SourceRef


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Cleaning's result, handed to extraction in the same agent (no topic carries it)."""

    source: SourceRef
    payload: bytes
    article: CleanedArticle


@dataclass(frozen=True, slots=True)
class Extracted:
    source: SourceRef
    payload: bytes
    article: ExtractedArticle


@dataclass(frozen=True, slots=True)
class ContentProbe:
    """An article on its way to the partition that owns its body's fingerprint."""

    source: SourceRef
    payload: bytes
    article: ExtractedArticle
    fingerprint: str
    candidate: DedupVerdict


def dumps(message: Extracted | ContentProbe) -> bytes:
    body: dict[str, Any] = {
        "source": message.source.to_dict(),
        "payload": message.payload.decode("utf-8"),
        "article": message.article.to_dict(),
    }
    if isinstance(message, ContentProbe):
        body["fingerprint"] = message.fingerprint
        body["candidate"] = message.candidate.to_dict()
    return orjson.dumps(body)


def loads_extracted(data: bytes) -> Extracted:
    d = orjson.loads(data)
    return Extracted(SourceRef.from_dict(d["source"]), d["payload"].encode("utf-8"), ExtractedArticle.from_dict(d["article"]))


def loads_probe(data: bytes) -> ContentProbe:
    d = orjson.loads(data)
    return ContentProbe(
        SourceRef.from_dict(d["source"]),
        d["payload"].encode("utf-8"),
        ExtractedArticle.from_dict(d["article"]),
        d["fingerprint"],
        DedupVerdict.from_dict(d["candidate"]),
    )


def peek_origin(data: bytes) -> tuple[SourceRef, bytes] | None:
    """The raw input's coordinates and bytes inside an internal message, if it can be read."""
    try:
        d = orjson.loads(data)
        return SourceRef.from_dict(d["source"]), d["payload"].encode("utf-8")
    except Exception:  # noqa: BLE001 - used only on the way to a dead letter
        return None


@dataclass(frozen=True, slots=True)
class BandStop:
    """One band partition on an article's relay: the partition and the band keys it owns."""

    partition: int
    band_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BandRelay:
    """An article on its way through the band partitions that own its band keys, one after the
    other (`route`: the stops still to visit, the first being the partition this message is
    sent to), gathering each band's reply; the last stop decides.

    `article` stays the dict it was sent as: the stops before the last read only its id and
    fetch time, and decoding the whole record at each stop would cost for nothing."""

    source: SourceRef
    payload: bytes
    article: dict[str, Any]  # `ExtractedArticle.to_dict()`
    candidate: DedupVerdict
    sketch: str  # `processors.neardup.sketch` of the signature
    route: tuple[BandStop, ...]
    replies: tuple[dict[str, Any], ...] = ()  # `processors.neardup.BandReply.to_dict()`, so far

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "source": self.source.to_dict(),
                "payload": self.payload.decode("utf-8"),
                "article": self.article,
                "candidate": self.candidate.to_dict(),
                "sketch": self.sketch,
                "route": [{"partition": s.partition, "band_keys": list(s.band_keys)} for s in self.route],
                "replies": list(self.replies),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> BandRelay:
        d = orjson.loads(data)
        return cls(
            SourceRef.from_dict(d["source"]),
            d["payload"].encode("utf-8"),
            d["article"],
            DedupVerdict.from_dict(d["candidate"]),
            d["sketch"],
            tuple(BandStop(s["partition"], tuple(s["band_keys"])) for s in d["route"]),
            tuple(d["replies"]),
        )
