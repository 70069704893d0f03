"""The four steps of the chain, each from one message's bytes to one routed result.

A step is what one agent does to one message, minus the I/O: it decodes the message, calls the
stage, and says where the result goes (a topic role, a key, the bytes) and which table writes go
with it. Stage errors become dead-letter results here, so that the workers and the offline mode
(`copydesk process`) emit the same records for the same input; the shell owns only the clock,
the tables and the topics.

Dedup steps read state through `lookup` (a read-only view of the step's table) and return the
writes to apply; they never keep state of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import orjson

from processors import dedup
from processors.cleaning import clean
from processors.errors import StageError
from processors.extraction import extract
from processors.intake import decode_raw
from processors.options import StageOptions
from processors.records import article_record, dead_letter_record, url_hint
from schemas.internal import (
    Cleaned,
    ContentProbe,
    Extracted,
    dumps,
    loads_cleaned,
    loads_extracted,
    loads_probe,
)
from schemas.models import DedupVerdict, ExtractedArticle, SourceRef

Role = Literal["cleaned", "extracted", "content", "enriched", "duplicates", "dead_letter"]
Stage = Literal["cleaning", "extraction", "dedup_url", "dedup_content"]
Lookup = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class StepResult:
    stage: Stage
    role: Role
    key: bytes | None
    value: bytes
    writes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    error_kind: str | None = None
    verdict: str | None = None
    url: str | None = None
    #: The raw input this result accounts for, and its fetch time when known (for latency).
    source: SourceRef | None = None
    fetched_at: str | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """Times the shell read from its clock for one message (kept out of the pure stages)."""

    now: str  # RFC 3339 UTC


def clean_step(payload: bytes | None, source: SourceRef, options: StageOptions, clock: Clock) -> StepResult:
    try:
        raw = decode_raw(payload, options)
        cleaned = clean(raw, options)
    except StageError as exc:
        return dead_letter(exc, "cleaning", source, payload, clock, url_hint(payload))
    message = Cleaned(source, payload or b"", cleaned)
    return StepResult("cleaning", "cleaned", _key(cleaned.url), dumps(message), url=cleaned.url, source=source)


def extract_step(value: bytes, options: StageOptions, clock: Clock) -> StepResult:
    message = loads_cleaned(value)
    try:
        article = extract(message.article, options)
    except StageError as exc:
        return dead_letter(exc, "extraction", message.source, message.payload, clock, message.article.url)
    out = Extracted(message.source, message.payload, article)
    return StepResult(
        "extraction", "extracted", article.id.encode(), dumps(out), url=article.url, source=message.source
    )


def dedup_url_step(
    value: bytes, lookup: Lookup, options: StageOptions, clock: Clock, pipeline_version: str
) -> StepResult:
    message = loads_extracted(value)
    article = message.article
    try:
        day = dedup.day_of(article.fetched_at)
        keys = dedup.lookup_keys(article.id, day, options.dedup_horizon_days)
        check = dedup.check_url(article, (lookup(k) for k in keys), _source_id(message.source))
    except StageError as exc:
        return dead_letter(exc, "dedup_url", message.source, message.payload, clock, article.url)
    if check.final:
        return _published("dedup_url", article, check.candidate, message.source, clock, pipeline_version, check.writes)
    probe = ContentProbe(message.source, message.payload, article, check.fingerprint, check.candidate)
    return StepResult(
        "dedup_url",
        "content",
        check.fingerprint.encode(),
        dumps(probe),
        check.writes,
        url=article.url,
        source=message.source,
    )


def dedup_content_step(
    value: bytes, lookup: Lookup, options: StageOptions, clock: Clock, pipeline_version: str
) -> StepResult:
    probe = loads_probe(value)
    article = probe.article
    try:
        day = dedup.day_of(article.fetched_at)
        keys = dedup.lookup_keys(probe.fingerprint, day, options.dedup_horizon_days)
        check = dedup.check_content(
            article, probe.fingerprint, probe.candidate, (lookup(k) for k in keys), _source_id(probe.source)
        )
    except StageError as exc:
        return dead_letter(exc, "dedup_content", probe.source, probe.payload, clock, article.url)
    return _published("dedup_content", article, check.verdict, probe.source, clock, pipeline_version, check.writes)


def dead_letter(
    error: BaseException,
    stage: Stage,
    source: SourceRef,
    payload: bytes | None,
    clock: Clock,
    url: str | None,
) -> StepResult:
    record = dead_letter_record(error, stage, source, payload, clock.now, url)
    return StepResult(
        stage,
        "dead_letter",
        _key(url),
        orjson.dumps(record),
        error_kind=record["error"]["kind"],
        url=url,
        source=source,
    )


def _published(
    stage: Stage,
    article: ExtractedArticle,
    verdict: DedupVerdict,
    source: SourceRef,
    clock: Clock,
    pipeline_version: str,
    writes: Mapping[str, Mapping[str, Any]],
) -> StepResult:
    record = article_record(article, verdict, source, clock.now, pipeline_version)
    role: Role = "duplicates" if verdict.is_copy else "enriched"
    return StepResult(
        stage,
        role,
        article.id.encode(),
        orjson.dumps(record),
        writes,
        verdict=verdict.status,
        url=article.url,
        source=source,
        fetched_at=article.fetched_at,
    )


def _source_id(source: SourceRef) -> str:
    return dedup.source_id(source.topic, source.partition, source.offset)


def _key(url: str | None) -> bytes | None:
    return url.encode("utf-8") if url else None
