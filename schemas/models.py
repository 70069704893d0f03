"""Typed values that travel between copydesk's stages and out to downstream teams.

Frozen dataclasses with slots: cheap to build, impossible to mutate behind a stage's back, and
serialisable by orjson as they are (`orjson.dumps(dataclass)` writes their fields). Each model
that crosses a Kafka topic has a `to_dict()` for the wire and a `from_dict()` that trusts its
input: the intermediate topics are written only by copydesk itself, so their messages are not
re-validated field by field (the raw input is; see `processors.intake`).

The outward contracts (raw, enriched, duplicates, dead-letter) are the JSON Schema files beside
this module; `schemas.contracts` loads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: 1.1: records carry `quotes`; 1.2: dead letters of WARC records carry `warc`; 2.0: duplicates
#: carry no keywords, entities, quotes; 2.1: records may carry `published_at_after_fetch`
SCHEMA_VERSION = "2.1"

DedupStatus = Literal["unique", "update", "duplicate", "near_duplicate"]
SourceFormat = Literal["html", "text"]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an input came from: the Kafka coordinates that every outcome is accounted to."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset, "timestamp_ms": self.timestamp_ms}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SourceRef:
        return cls(d["topic"], int(d["partition"]), int(d["offset"]), d.get("timestamp_ms"))


@dataclass(frozen=True, slots=True)
class RawArticle:
    """A crawler's message after validation (see schemas/raw-article.schema.json)."""

    url: str
    fetched_at: str  # RFC 3339, normalised to UTC with a "Z"
    html: str | None = None
    text: str | None = None
    title: str | None = None
    crawler: str | None = None
    http_status: int | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def source_format(self) -> SourceFormat:
        return "html" if self.html is not None else "text"


@dataclass(frozen=True, slots=True)
class PageHints:
    """Facts the cleaning stage read off the page while it had it parsed.

    HTML is parsed once, in cleaning; what extraction needs from the markup (meta tags,
    structured data) or from the page text (a dateline, a byline, the headline) travels here so
    that extraction works on small values and the page is never parsed twice.
    """

    title: str | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None  # RFC 3339 with an offset (options.assume_timezone if none)
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    description: str | None = None
    #: the time the page gave when it was later than the fetch (`published_at` is then None)
    published_at_after_fetch: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["authors"] = list(self.authors)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageHints:
        return cls(
            title=d.get("title"),
            authors=tuple(d.get("authors") or ()),
            published_at=d.get("published_at"),
            canonical_url=d.get("canonical_url"),
            site_name=d.get("site_name"),
            language=d.get("language"),
            description=d.get("description"),
            published_at_after_fetch=d.get("published_at_after_fetch"),
        )


@dataclass(frozen=True, slots=True)
class CleanedArticle:
    """Output of cleaning: the article body as paragraphs, plus what the page said about itself."""

    url: str
    fetched_at: str
    source_format: SourceFormat
    paragraphs: tuple[str, ...]
    hints: PageHints
    crawler_title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "fetched_at": self.fetched_at,
            "source_format": self.source_format,
            "paragraphs": list(self.paragraphs),
            "hints": self.hints.to_dict(),
            "crawler_title": self.crawler_title,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CleanedArticle:
        return cls(
            url=d["url"],
            fetched_at=d["fetched_at"],
            source_format=d["source_format"],
            paragraphs=tuple(d["paragraphs"]),
            hints=PageHints.from_dict(d.get("hints") or {}),
            crawler_title=d.get("crawler_title"),
        )


@dataclass(frozen=True, slots=True)
class Entities:
    people: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    places: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "people": list(self.people),
            "organizations": list(self.organizations),
            "places": list(self.places),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entities:
        return cls(
            tuple(d.get("people") or ()),
            tuple(d.get("organizations") or ()),
            tuple(d.get("places") or ()),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted statement, and who made it when the article names them."""

    text: str
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "speaker": self.speaker}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Quote:
        return cls(d["text"], d.get("speaker"))


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """Output of extraction: everything an enriched record has except the dedup verdict."""

    id: str
    url: str
    canonical_url: str
    site: str
    title: str | None
    authors: tuple[str, ...]
    published_at: str | None
    language: str | None
    text: str
    lead: str
    word_count: int
    entities: Entities
    keywords: tuple[str, ...]
    fetched_at: str
    quotes: tuple[Quote, ...] = ()
    #: the publication time the page gave when it was later than `fetched_at`: not published as
    #: `published_at` (None then); in the record only when there is one
    published_at_after_fetch: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "site": self.site,
            "title": self.title,
            "authors": list(self.authors),
            "published_at": self.published_at,
            "language": self.language,
            "text": self.text,
            "lead": self.lead,
            "word_count": self.word_count,
            "entities": self.entities.to_dict(),
            "quotes": [q.to_dict() for q in self.quotes],
            "keywords": list(self.keywords),
            "fetched_at": self.fetched_at,
        }
        if self.published_at_after_fetch is not None:
            d["published_at_after_fetch"] = self.published_at_after_fetch
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExtractedArticle:
        return cls(
            id=d["id"],
            url=d["url"],
            canonical_url=d["canonical_url"],
            site=d["site"],
            title=d.get("title"),
            authors=tuple(d.get("authors") or ()),
            published_at=d.get("published_at"),
            language=d.get("language"),
            text=d["text"],
            lead=d["lead"],
            word_count=int(d["word_count"]),
            entities=Entities.from_dict(d.get("entities") or {}),
            keywords=tuple(d.get("keywords") or ()),
            fetched_at=d["fetched_at"],
            quotes=tuple(Quote.from_dict(q) for q in d.get("quotes") or ()),
            published_at_after_fetch=d.get("published_at_after_fetch"),
        )


@dataclass(frozen=True, slots=True)
class DedupVerdict:
    status: DedupStatus
    duplicate_of: str | None
    cluster_id: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "duplicate_of": self.duplicate_of,
            "cluster_id": self.cluster_id,
            "similarity": self.similarity,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DedupVerdict:
        return cls(d["status"], d.get("duplicate_of"), d["cluster_id"], float(d["similarity"]))

    @property
    def is_copy(self) -> bool:
        return self.status in ("duplicate", "near_duplicate")


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    kind: str
    message: str
    stage: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)
