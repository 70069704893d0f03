"""WARC records to raw messages: the decisions, without the file.

`streams.warc` reads the records (ISO 28500, as Heritrix, wget, Browsertrix or Common Crawl
write them) and hands the pieces here: whether a record is an article page and, if not, why
(`skip_reason`), which charset its HTML is in (`decode_html`), and the raw message it becomes
(`raw_message`) or the dead letter that says where its bytes are (`warc_dead_letter`).

The charset, in this order:

1. a byte-order mark;
2. bytes that are valid UTF-8 are UTF-8, whatever the page declares: a legacy charset named in
   the header or the page's `<meta>` over UTF-8 bytes is a stale declaration (a server's default
   charset, a page converted without its `<meta>`), and reading such bytes as the declared
   charset garbles every non-ASCII character, while a legacy text that is also valid UTF-8 by
   chance hardly exists;
3. the charset of the HTTP `Content-Type`, then the page's `<meta charset>` (or its
   `http-equiv` form), each only if the bytes decode with it;
4. detection (charset-normalizer) on what is left;
5. windows-1252 with replacement characters, so that a page is never dropped for its charset.

Labels are read as the WHATWG Encoding Standard reads them (`CHARSET_ALIASES`): browsers read
`iso-8859-1` as windows-1252 and `gb2312` as GBK, and so do pages that declare them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any, Callable

from processors.errors import StageError
from processors.records import dead_letter_record
from schemas.models import SourceRef

#: The dead letters' stage: a record that could not be read from its file.
STAGE = "warc"

#: Media types whose responses are pages to extract an article from.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: Record types that never carry a page to publish; each is its own skip reason.
NON_PAGE_TYPES = frozenset({"warcinfo", "request", "metadata", "revisit", "resource", "conversion", "continuation"})

#: Skip reasons besides the record types above.
NOT_HTTP = "not_http"
REDIRECT = "redirect"
HTTP_ERROR = "http_error"
NOT_HTML = "not_html"
UNKNOWN_TYPE = "unknown_record_type"

#: Dead-letter kinds of records that could not be read.
TRUNCATED = "truncated_record"
MALFORMED = "malformed_record"
TOO_LARGE = "payload_too_large"

#: Charset labels as the WHATWG Encoding Standard maps them, to Python codecs (the rest go
#: through `codecs.lookup`). UTF-16 in a `<meta>` means UTF-8: bytes that could be read to
#: find the tag are not UTF-16.
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s,]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
#: How far into a page its `<meta charset>` is looked for (the WHATWG prescan reads 1,024 bytes;
#: real pages put the tag after long inline scripts).
META_SCAN_BYTES = 8192


class WarcRecordError(StageError):
    """A record that cannot be read from its file: truncated, malformed or too large."""

    stage = STAGE


@dataclass(frozen=True, slots=True)
class Decoded:
    """A page's HTML as text, the charset it was read with and what chose it (`bom`, `utf-8`,
    `header`, `meta`, `detected` or `fallback`)."""

    html: str
    charset: str
    charset_from: str


def target_uri(value: str | None) -> str | None:
    """`WARC-Target-URI` without the angle brackets that WARC/1.0 writers such as wget put
    around it."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    return value or None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def skip_reason(
    record_type: str, record_content_type: str | None, http_status: int | None, content_type: str | None, head: bytes
) -> str | None:
    """Why a record is not an article page, or None when it is one.

    `record_content_type` is the WARC record's own `Content-Type` (`application/http...` for an
    HTTP response); `http_status` and `content_type` are the HTTP response's; `head` is the
    start of the HTTP body, looked at only when the response names no media type."""
    if record_type != "response":
        return record_type if record_type in NON_PAGE_TYPES else UNKNOWN_TYPE
    if http_status is None or not media_type(record_content_type).startswith("application/http"):
        return NOT_HTTP
    if 300 <= http_status < 400:
        return REDIRECT
    if not 200 <= http_status < 300:
        return HTTP_ERROR
    mime = media_type(content_type)
    if mime in HTML_TYPES or (not mime and _HTML_START.match(head[:4096])):
        return None
    return NOT_HTML


def header_charset(content_type: str | None) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return m.group(1).decode("ascii") if m else None


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None for a label no codec knows."""
    if not label:
        return None
    label = label.strip().lower()
    if label in CHARSET_ALIASES:
        return CHARSET_ALIASES[label]
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(
    body: bytes, content_type: str | None, detect: Callable[[bytes], str | None] | None = None
) -> Decoded:
    """The page's text, by the order in the module's docstring. `detect` guesses a codec name
    from bytes (the shell passes charset-normalizer's); None skips detection."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(codec, "replace"), codec, "bom")
    declared = [(codec_for(header_charset(content_type)), "header"), (codec_for(meta_charset(body)), "meta")]
    try:
        html = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        said = next((source for codec, source in declared if codec == "utf-8"), "utf-8")
        return Decoded(html, "utf-8", said)
    for codec, source in declared:
        if codec is None or codec == "utf-8":
            continue
        try:
            return Decoded(body.decode(codec), codec, source)
        except UnicodeDecodeError:
            continue
    guess = codec_for(detect(body)) if detect else None
    if guess:
        return Decoded(body.decode(guess, "replace"), guess, "detected")
    return Decoded(body.decode("cp1252", "replace"), "cp1252", "fallback")


def flat_headers(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, str]:
    """HTTP headers as one object; a header given more than once is joined with ", "."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def raw_message(
    url: str,
    fetched_at: str,
    decoded: Decoded,
    http_status: int,
    headers: dict[str, str],
    file: str,
    record_id: str,
    offset: int,
) -> dict[str, Any]:
    """The raw message (`schemas/raw-article.schema.json`) of one article page of a WARC file."""
    return {
        "url": url,
        "fetched_at": fetched_at,
        "html": decoded.html,
        "http_status": http_status,
        "headers": headers,
        "metadata": {
            "warc": {"file": file, "record_id": record_id, "offset": offset},
            "charset": decoded.charset,
            "charset_from": decoded.charset_from,
        },
    }


def warc_dead_letter(
    kind: str,
    message: str,
    file: str,
    offset: int,
    length: int | None,
    failed_at: str,
    *,
    record_id: str | None = None,
    url: str | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    """The dead letter of a record that could not be read. Its way back to the bytes is `warc`:
    the file, the byte offset where the record (or the unreadable stretch) starts, and its length
    when known; for a compressed file the offset is that of the record's gzip member. `topic`,
    `partition` and `offset` carry the file, 0 and the same offset, so that the letter is keyed
    like any other."""
    record = dead_letter_record(WarcRecordError(kind, message), STAGE, SourceRef(file, 0, offset), payload, failed_at, url)
    record["warc"] = {"file": file, "offset": offset, "length": length, "record_id": record_id}
    return record
