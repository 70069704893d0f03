"""Intake: the raw message's bytes to a `RawArticle`, or an `InvalidMessage` that says why not.

The contract is `schemas/raw-article.schema.json`. It is checked here by hand rather than by a
JSON Schema validator because this runs on every message in the hot path and because an operator
reading a dead letter needs one precise reason ("fetched_at: not an RFC 3339 time: '24/02/2016'"),
not a validator's tree of sub-errors; `tests/unit/test_intake.py` checks that both agree on a
table of valid and invalid messages, so the two cannot drift apart.

Two checks go beyond the contract, for bodies that would cost the cleaning stage much or lose
text without saying why (figures from `tests/unit/test_bad_input.py`'s measurements). Both are
defined here; for page text intake runs them, for HTML cleaning runs them on its one parse of the
page (`check_parse_depth` reads that parse's error log), depth first, before trafilatura works:

- `html_too_deep`: libxml2 (under lxml and trafilatura) stops building the tree at depth 256 with
  a fatal "Excessive depth" error; the text below that depth, and everything after it in the
  page, is silently gone (100k nested `<div>` around an article became `empty_body`; an article
  before the deep part would be published cut short). The check is that very parse, with lxml's
  own error log as the judge: exact, and free since cleaning reads the log of the parse it needs
  anyway (a parse of its own cost 3.5 ms mean on the 258 fundus pages, against 51 ms for
  trafilatura on them; their deepest tree is 33).
- `repetitive_body`: a large body that is mostly one passage repeated (a zip-bomb-like input)
  costs trafilatura superlinear time (one `<p>` repeated: 1 MiB 4.3 s, 2 MiB 11 s, 5 MiB 43 s,
  ending as `empty_body`) or makes a million-word "article" of one sentence (page text, 5 MiB,
  3.9 s). Judged by zlib's compression ratio on four 64 KiB windows spread over bodies of
  512 KiB or more (under 1 ms): such a body compresses 100x or more, the fundus pages at most 7x.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlsplit

import orjson
from lxml import etree

from processors.errors import InvalidMessage
from processors.options import StageOptions
from schemas.models import RawArticle

_OPTIONAL_STRINGS = ("title", "crawler")
_MIN_YEAR, _MAX_YEAR = 1970, 2999
_OPTIONAL_OBJECTS = ("headers", "metadata")
#: Bodies from this size on are checked for repetition; smaller ones cost little even when they are.
_REPETITION_MIN_BYTES = 512 * 1024
_REPETITION_WINDOW_BYTES = 64 * 1024
_REPETITION_WINDOWS = 4
#: zlib (level 1) compression ratio of the windows from which a body counts as one passage
#: repeated: measured 100-135 for such bodies, at most 7 for real pages (22 for the most
#: repetitive single 64 KiB window of any of them).
_REPETITION_MAX_RATIO = 30.0


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
        # orjson reads UTF-8 bytes itself: no decoded copy of a page to encode again.
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InvalidMessage("invalid_utf8", f"the value is not UTF-8: {bad.reason} at byte {bad.start}") from None
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
    has_html = _has_text(html)
    if not has_html and not _has_text(text):
        raise InvalidMessage("empty_body", "'html' and 'text' are both empty")
    if not has_html:
        check_repetition("text", text or "")  # HTML: cleaning checks it after its parse

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
        html=html if has_html else None,
        text=text if not has_html else None,
        title=obj.get("title"),
        crawler=obj.get("crawler"),
        http_status=status,
        headers=obj.get("headers") or {},
        metadata=obj.get("metadata") or {},
    )


def _has_text(value: str | None) -> bool:
    """`value` is a string with something besides whitespace (`value.strip()` without copying a page)."""
    return bool(value) and not value.isspace()  # type: ignore[union-attr]


def check_url(url: str) -> None:
    if any(map(str.isspace, url.strip())) or len(url) > 8192:
        raise InvalidMessage("invalid_url", f"url: not a valid URL: {url[:200]!r}")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidMessage("invalid_url", f"url: not a valid URL: {url[:200]!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidMessage("invalid_url", f"url: not an absolute http(s) URL: {url[:200]!r}")
    labels = (parts.hostname or "").rstrip(".").split(".")
    if "" in labels or labels == ["www"]:  # "https://www.?t.com/..." has the host "www."
        raise InvalidMessage("invalid_url", f"url: no host in {url[:200]!r}")


def check_repetition(name: str, body: str | bytes) -> None:
    """Raise `repetitive_body` when a large body (a str, or its UTF-8 bytes) is mostly one
    passage repeated."""
    if isinstance(body, bytes):
        data = body
    elif len(body) < _REPETITION_MIN_BYTES // 4:  # no str this short can encode to the minimum
        return
    else:
        data = body.encode("utf-8", "surrogatepass")
    if len(data) < _REPETITION_MIN_BYTES:
        return
    step = (len(data) - _REPETITION_WINDOW_BYTES) // (_REPETITION_WINDOWS - 1)
    windows = [data[i * step : i * step + _REPETITION_WINDOW_BYTES] for i in range(_REPETITION_WINDOWS)]
    size = sum(map(len, windows))
    packed = 0
    for window in windows:
        packed += len(zlib.compress(window, 1))
        if packed * _REPETITION_MAX_RATIO > size:
            return  # the windows left can only lower the ratio: an ordinary page stops at one
    ratio = size / packed
    if ratio >= _REPETITION_MAX_RATIO:
        raise InvalidMessage(
            "repetitive_body",
            f"{name}: {len(data)} bytes that compress {ratio:.0f} to 1, one passage repeated over and over",
        )


def check_html_depth(html: str) -> None:
    """Raise `html_too_deep` when the page nests elements deeper than libxml2 parses (256), by
    a parse of its own (`check_parse_depth` reads the log of a parse already made)."""
    parser = etree.HTMLParser(collect_ids=False, remove_comments=True, remove_pis=True, encoding="utf-8")
    try:
        etree.fromstring(html.encode("utf-8", "surrogatepass"), parser)
    except (etree.LxmlError, ValueError):
        return  # a page lxml cannot read at all is cleaning's to judge, with its own reason
    check_parse_depth(parser.error_log)


def check_parse_depth(error_log: Iterable[Any]) -> None:
    """Raise `html_too_deep` when a parse's error log (lxml's) says libxml2 stopped at its depth limit."""
    for error in error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in error.message:
            raise InvalidMessage(
                "html_too_deep",
                f"html: elements nested deeper than the HTML parser's limit ({error.message.strip()}"
                f" at line {error.line}); the text inside them would be lost",
            )


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
    """RFC 3339 in UTC with a "Z", milliseconds only when there are any (cut, not rounded), the
    year in four digits."""
    utc = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return f"{utc[:-6]}Z"  # without isoformat's "+00:00"


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
