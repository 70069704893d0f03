"""The outward records: what copydesk publishes on enriched, duplicates and dead-letter.

Built here, once, so that the workers and the offline mode (`copydesk process`) publish the very
same records; the shell only passes in the times it read from the clock. Their contracts are
the JSON Schema files in `schemas/`.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from processors.errors import StageError
from schemas.models import SCHEMA_VERSION, DedupVerdict, ExtractedArticle, SourceRef

_PREVIEW_URL_MAX = 8192
_ENRICHMENT_FIELDS = ("keywords", "entities", "quotes")


def article_record(
    article: ExtractedArticle,
    verdict: DedupVerdict,
    source: SourceRef,
    processed_at: str,
    pipeline_version: str,
) -> dict[str, Any]:
    """The record for enriched (new or updated article) or duplicates (a copy). A copy carries no
    keywords, entities or quotes: they are computed for published articles only (the original's
    record, `dedup.duplicate_of`, has them)."""
    record = article.to_dict()
    if verdict.is_copy:
        for name in _ENRICHMENT_FIELDS:
            del record[name]
    record["dedup"] = verdict.to_dict()
    record["processed_at"] = processed_at
    record["schema_version"] = SCHEMA_VERSION
    record["pipeline_version"] = pipeline_version
    record["source"] = {"topic": source.topic, "partition": source.partition, "offset": source.offset}
    return record


def correction_record(
    article_id: str, verdict: DedupVerdict, by: SourceRef, processed_at: str, pipeline_version: str
) -> dict[str, Any]:
    """A correction on duplicates: the article `article_id`, published earlier as an original, is
    a copy (`verdict`) of an article fetched before it that dedup decided after it (the input
    `by`). It carries no article fields: the article's own record has them."""
    return {
        "id": article_id,
        "dedup": verdict.to_dict(),
        "correction": {"reason": "fetched_earlier", "by": {"topic": by.topic, "partition": by.partition, "offset": by.offset}},
        "processed_at": processed_at,
        "schema_version": SCHEMA_VERSION,
        "pipeline_version": pipeline_version,
    }


def dead_letter_record(
    error: StageError | BaseException,
    stage: str,
    source: SourceRef,
    payload: bytes | None,
    failed_at: str,
    url: str | None = None,
) -> dict[str, Any]:
    """The record for one input that could not be processed, with its original bytes."""
    if isinstance(error, StageError):
        kind, message = error.kind, error.message
    else:
        kind, message = "internal_error", f"{type(error).__name__}: {error}"
    record: dict[str, Any] = {
        "url": url if url is None else url[:_PREVIEW_URL_MAX],
        "error": {"kind": kind, "message": message[:2000], "stage": stage},
        "topic": source.topic,
        "partition": source.partition,
        "offset": source.offset,
        "timestamp_ms": source.timestamp_ms,
        "failed_at": failed_at,
        "schema_version": SCHEMA_VERSION,
    }
    record.update(encode_payload(payload))
    return record


def encode_payload(payload: bytes | None) -> dict[str, Any]:
    if payload is None:
        return {"payload": None, "payload_encoding": "none"}
    try:
        return {"payload": payload.decode("utf-8"), "payload_encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"payload": base64.b64encode(payload).decode("ascii"), "payload_encoding": "base64"}


def decode_payload(record: dict[str, Any]) -> bytes | None:
    """The original bytes of a dead letter (for replay)."""
    encoding = record.get("payload_encoding")
    payload = record.get("payload")
    if payload is None or encoding == "none":
        return None
    if encoding == "base64":
        return base64.b64decode(payload)
    return payload.encode("utf-8")


def url_hint(payload: bytes | None) -> str | None:
    """The `url` of a payload that failed validation, when one can still be read from it."""
    if not payload:
        return None
    try:
        obj = orjson.loads(payload)
    except Exception:  # noqa: BLE001 - a best effort on input already known to be bad
        return None
    url = obj.get("url") if isinstance(obj, dict) else None
    return url if isinstance(url, str) else None
