"""Intake: the raw message's bytes to a `RawArticle`, or an `InvalidMessage` that says why not.

The contract is `schemas/raw-article.schema.json`. It is checked here by hand rather than by a
JSON Schema validator because this runs on every message in the hot path and because an operator
reading a dead letter needs one precise reason ("fetched_at: not an RFC 3339 time: '24/02/2016'"),
not a validator's tree of sub-errors; `tests/unit/test_intake.py` checks that both agree on a
table of valid and invalid messages, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson

from processors.errors import InvalidMessage
from processors.options import StageOptions
from schemas.models import RawArticle

_OPTIONAL_STRINGS = ("title", "crawler")
_MIN_YEAR, _MAX_YEAR = 1970, 2999
_OPTIONAL_OBJECTS = ("headers", "metadata")


def decode_raw(payload: bytes | None, options: StageOptions) -> RawArticle:
    """Validate one raw message value and return it typed; raise `InvalidMessage` otherwise."""
    if payload is None or len(payload) == 0:
        raise InvalidMessage("empty_message", "the message has no value")
    if len(payload) > options.max_payload_bytes:
        raise InvalidMessage(
            "payload_too_large",
            f"{len(payload)} bytes is over the limit of {options.max_payload_bytes}",
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidMessage("invalid_utf8", f"the value is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage("invalid_json", f"the value is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise InvalidMessage("not_an_object", f"the value is JSON {type(obj).__name__}, not an object")
    return raw_from_object(obj)


def raw_from_object(obj: dict[str, Any]) -> RawArticle:
    url = _required_string(obj, "url")
    check_url(url)
    fetched_at = parse_rfc3339(_required_string(obj, "fetched_at"), "fetched_at")

    html = obj.get("html")
    text = obj.get("text")
    if html is None and text is None:
        raise InvalidMessage("missing_field", "one of 'html' or 'text' is required")
    for name, value in (("html", html), ("text", text)):
        if value is not None and not isinstance(value, str):
            raise InvalidMessage("wrong_type", f"{name}: expected a string, got {_json_type(value)}")
    if not (html or "").strip() and not (text or "").strip():
        raise InvalidMessage("empty_body", "'html' and 'text' are both empty")

    for name in _OPTIONAL_STRINGS:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidMessage("wrong_type", f"{name}: expected a string, got {_json_type(value)}")
    for name in _OPTIONAL_OBJECTS:
        value = obj.get(name)
        if value is not None and not isinstance(value, dict):
            raise InvalidMessage("wrong_type", f"{name}: expected an object, got {_json_type(value)}")
    status = obj.get("http_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise InvalidMessage("wrong_type", f"http_status: expected an integer, got {_json_type(status)}")

    return RawArticle(
        url=url,
        fetched_at=fetched_at,
        html=html if isinstance(html, str) and html.strip() else None,
        text=text if html is None or not html.strip() else None,
        title=obj.get("title"),
        crawler=obj.get("crawler"),
        http_status=status,
        headers=obj.get("headers") or {},
        metadata=obj.get("metadata") or {},
    )


def check_url(url: str) -> None:
    if any(c.isspace() for c in url.strip()) or len(url) > 8192:
        raise InvalidMessage("invalid_url", f"url: not a valid URL: {url[:200]!r}")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidMessage("invalid_url", f"url: not a valid URL: {url[:200]!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidMessage("invalid_url", f"url: not an absolute http(s) URL: {url[:200]!r}")
    if not parts.hostname:
        raise InvalidMessage("invalid_url", f"url: no host in {url[:200]!r}")


def parse_rfc3339(value: str, field: str) -> str:
    """Parse an RFC 3339 time (an offset is required) and return it in UTC as `...Z`."""
    candidate = value.strip()
    # RFC 3339 needs a date, a "T" (or space) and an offset; fromisoformat alone would also take
    # a bare date or a naive time, which would silently mean the worker's local zone.
    if len(candidate) < 20 or candidate[10] not in "Tt ":
        raise InvalidMessage("invalid_time", f"{field}: not an RFC 3339 time: {value[:64]!r}")
    try:
        parsed = datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        raise InvalidMessage("invalid_time", f"{field}: not an RFC 3339 time: {value[:64]!r}") from None
    if parsed.tzinfo is None:
        raise InvalidMessage("invalid_time", f"{field}: the time has no offset: {value[:64]!r}")
    try:
        normal = format_utc(parsed)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidMessage("invalid_time", f"{field}: out of range: {value[:64]!r}") from None
    # A fetch is a moment of the web's lifetime; the bounds leave the stages room to compute
    # dates around it (a day later, a horizon earlier) without leaving Python's calendar.
    if not _MIN_YEAR <= int(normal[:4]) <= _MAX_YEAR:
        raise InvalidMessage("invalid_time", f"{field}: outside {_MIN_YEAR}-{_MAX_YEAR}: {value[:64]!r}")
    return normal


def format_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with a "Z", milliseconds only when there are any."""
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _required_string(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        raise InvalidMessage("missing_field", f"'{name}' is required")
    if not isinstance(value, str):
        raise InvalidMessage("wrong_type", f"{name}: expected a string, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
