"""Messages of copydesk's internal topics (between its chained agents).

Every internal message carries the coordinates of the raw input it descends from, so that any
later stage can account for the input (its outcome names the raw topic, partition and offset).
The original bytes stop at the first agent: a page's HTML runs to hundreds of KB, and a later
stage's dead letter names the raw input's coordinates instead, where `copydesk
replay-dead-letters` reads the bytes back while Kafka retains them. A message written by an
older version, with a `payload` field, is still read (the field is ignored).

Between the agents, articles travel in envelopes: one message carries the items an agent sent to
one partition of the next topic in one batch (`pack`), because each Kafka message costs a worker
far more CPU than an article's own work. An item is the message one article would have been on
its own; a message without `items` (an older worker's) is one item. Items reach the steps
decoded (`unpack`): the envelope is parsed once, not once per item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

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
    article: ExtractedArticle
    #: The format the body was extracted from (`html` or `text`; None in an older message).
    source_format: str | None = None
    #: The page's identity before its site's lines were dropped (`processors.dedup.page_key`;
    #: None in an older message).
    page: str | None = None
    #: The body's words as the url step reads them (`processors.dedup.NormalBody`), when the
    #: extraction step found them: handed on within one process only, never sent, and no part
    #: of the message's equality (a message and its bytes read back are the same message).
    words: list[str] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ContentProbe:
    """An article on its way to the partition that owns its body's fingerprint."""

    source: SourceRef
    article: ExtractedArticle
    fingerprint: str
    candidate: DedupVerdict
    #: The body's `processors.neardup.sketch`, measured by the url step (None in an older message).
    sketch: str | None = None
    #: The body's number of distinct shingles, measured with the sketch (`n`; None in an older message).
    size: int | None = None


#: An internal message as a step receives it: its bytes, or the item an envelope held, parsed.
#: (A step run in the same process as the one before it takes that step's object as it is.)
Item = bytes | Mapping[str, Any]


def pack(items: Sequence[bytes]) -> bytes:
    """One envelope of already serialised items (each a JSON object), in their order."""
    return b'{"items":[' + b",".join(items) + b"]}"


def unpack(data: bytes) -> list[Mapping[str, Any]]:
    """The items of an envelope, parsed; a message of the older one-article layout is one item.
    Raises ValueError (orjson's JSONDecodeError) when the bytes are no JSON object."""
    d = orjson.loads(data)
    if not isinstance(d, dict):
        raise ValueError(f"an internal message is a JSON object, not {type(d).__name__}")
    items = d.get("items")
    return [d] if items is None else items


def items_of(data: bytes | None) -> list[Item | None]:
    """The articles one internal message carries: an envelope's items, or the message itself when
    it is empty or no JSON object (its step then fails on the bytes, a dead letter naming it)."""
    if not data:
        return [data]
    try:
        return list(unpack(data))
    except ValueError:
        return [data]


def parse_item(data: Item) -> Mapping[str, Any]:
    """An item as the steps read it: parsed, whether it came alone (bytes) or in an envelope."""
    return orjson.loads(data) if isinstance(data, (bytes, bytearray, memoryview)) else data


def dumps(message: Extracted | ContentProbe) -> bytes:
    body: dict[str, Any] = {"source": message.source.to_dict(), "article": message.article.to_dict()}
    if isinstance(message, ContentProbe):
        body["fingerprint"] = message.fingerprint
        body["candidate"] = message.candidate.to_dict()
        if message.sketch is not None:
            body["sketch"] = message.sketch
        if message.size is not None:
            body["n"] = message.size
    else:
        if message.source_format is not None:
            body["source_format"] = message.source_format
        if message.page is not None:
            body["page"] = message.page
    return orjson.dumps(body)


def loads_extracted(data: Item | Extracted) -> Extracted:
    if isinstance(data, Extracted):
        return data
    d = parse_item(data)
    return Extracted(
        SourceRef.from_dict(d["source"]), ExtractedArticle.from_dict(d["article"]), d.get("source_format"), d.get("page")
    )


def loads_probe(data: Item | ContentProbe) -> ContentProbe:
    if isinstance(data, ContentProbe):
        return data
    d = parse_item(data)
    return ContentProbe(
        SourceRef.from_dict(d["source"]),
        ExtractedArticle.from_dict(d["article"]),
        d["fingerprint"],
        DedupVerdict.from_dict(d["candidate"]),
        d.get("sketch"),
        d.get("n"),
    )


def peek_origin(data: Item | Extracted | ContentProbe | BandProbe) -> tuple[SourceRef, None] | None:
    """The raw input's coordinates inside an internal message or item, if it can be read (its
    bytes are in the raw topic there, never in the message)."""
    if isinstance(data, (Extracted, ContentProbe, BandProbe)):
        return data.source, None
    try:
        d = parse_item(data)
        if "record" in d:  # on its way to enrichment: the record names the input
            return loads_to_enrich(d)[1], None
        return SourceRef.from_dict(d["source"]), None
    except Exception:  # noqa: BLE001 - used only on the way to a dead letter
        return None


@dataclass(frozen=True, slots=True)
class BandProbe:
    """An article's near-duplicate check on its way through the band partitions: the band keys
    of the partition it is going to, the stops after that one (`route`: each a partition and its
    band keys), and the replies of the stops before (`replies`). The last stop sends the article
    and all the replies to the gather as one message (`gather_complete`); a probe without the
    article (an older worker's) sends the replies alone, as the part named `part` that the
    article's pending entry waits for."""

    gather_key: str
    article_id: str
    fetched_at: str
    sketch: str  # `processors.neardup.sketch` of the signature
    band_keys: tuple[str, ...]
    source: SourceRef
    route: tuple[tuple[int, tuple[str, ...]], ...] = ()
    #: `BandReply.to_dict()` each; the `BandReply` itself when the steps run in one process.
    replies: tuple[Any, ...] = ()
    part: str = ""
    #: What the gather decides with, carried along so that the last stop sends it all at once:
    #: the article (`ExtractedArticle.to_dict()`), exact dedup's verdict, and the exact copy the
    #: article displaced as its body's original. None in a probe whose article waits in the gather.
    article: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    displaced: str | None = None
    #: The body's number of distinct shingles (`n`), stored with its band entries and used by the
    #: gather; None in an older probe.
    size: int | None = None

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "gather_key": self.gather_key,
                "article_id": self.article_id,
                "fetched_at": self.fetched_at,
                "sketch": self.sketch,
                "band_keys": list(self.band_keys),
                "source": self.source.to_dict(),
                "route": [[partition, list(keys)] for partition, keys in self.route],
                "replies": list(self.replies),
                "part": self.part or self.band_keys[0],
                **(
                    {"article": self.article, "candidate": self.candidate, "displaced": self.displaced}
                    if self.article is not None
                    else {}
                ),
                **({"n": self.size} if self.size is not None else {}),
            }
        )

    @classmethod
    def from_bytes(cls, data: Item | BandProbe) -> BandProbe:
        """A probe of this layout, or of the scatter-gather's before it (no route: it replies
        alone, as its own part)."""
        if isinstance(data, BandProbe):
            return data
        d = parse_item(data)
        band_keys = tuple(d["band_keys"])
        return cls(
            d["gather_key"],
            d["article_id"],
            d["fetched_at"],
            d["sketch"],
            band_keys,
            SourceRef.from_dict(d["source"]),
            tuple((int(p), tuple(keys)) for p, keys in d.get("route") or ()),
            tuple(d.get("replies") or ()),
            d.get("part") or band_keys[0],
            d.get("article"),
            d.get("candidate"),
            d.get("displaced"),
            d.get("n"),
        )


def gather_complete(probe: BandProbe, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the gather decides with, from the probe's last band partition."""
    return {
        "kind": "complete",
        "source": probe.source.to_dict(),
        "article": probe.article,
        "candidate": probe.candidate,
        "sketch": probe.sketch,
        "displaced": probe.displaced,
        "n": probe.size,
        "replies": replies,
    }


def gather_replies(
    part: str, replies: list[dict[str, Any]], source: SourceRef, fetched_at: str
) -> dict[str, Any]:
    """One band partition's replies (`part`: the first band key of its probe)."""
    return {"kind": "replies", "part": part, "replies": replies, "source": source.to_dict(), "fetched_at": fetched_at}


def enrich_request(record: dict[str, Any], timestamp_ms: int | None) -> dict[str, Any]:
    """A decided article on its way to enrichment: its outcome record without keywords, entities
    and quotes, and the raw input's timestamp (for the end-to-end latency). No original bytes:
    the record's `source` names the raw input, where they are."""
    return {"record": record, "timestamp_ms": timestamp_ms}


def loads_to_enrich(data: Item) -> tuple[dict[str, Any], SourceRef]:
    d = parse_item(data)
    record = d["record"]
    source = record["source"]
    return record, SourceRef(source["topic"], source["partition"], source["offset"], d.get("timestamp_ms"))
