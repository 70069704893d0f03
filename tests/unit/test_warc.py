"""processors.warc: which records are article pages, which charset a page is in, what a record becomes."""

from __future__ import annotations

import pytest

from processors import warc
from schemas import contracts

HTML = "text/html"
HTTP = "application/http;msgtype=response"


@pytest.mark.parametrize(
    "record_type, record_ct, status, ct, head, reason",
    [
        ("response", HTTP, 200, "text/html; charset=utf-8", b"", None),
        ("response", HTTP, 200, "application/xhtml+xml", b"", None),
        ("response", HTTP, 203, "TEXT/HTML", b"", None),
        ("response", HTTP, 200, None, b"  <!DOCTYPE html><html>", None),
        ("response", HTTP, 200, None, b"<!-- x --><html lang=en>", None),
        ("response", HTTP, 200, None, b"%PDF-1.7", "not_html"),
        ("response", HTTP, 200, "image/png", b"\x89PNG", "not_html"),
        ("response", HTTP, 200, "text/css", b"body{}", "not_html"),
        ("response", HTTP, 200, "application/javascript", b"", "not_html"),
        ("response", HTTP, 200, "application/pdf", b"", "not_html"),
        ("response", HTTP, 301, HTML, b"", "redirect"),
        ("response", HTTP, 304, HTML, b"", "redirect"),
        ("response", HTTP, 404, HTML, b"<html>", "http_error"),
        ("response", HTTP, 503, HTML, b"<html>", "http_error"),
        ("response", HTTP, 100, HTML, b"", "http_error"),
        ("response", "text/dns", None, None, b"", "not_http"),
        ("response", None, 200, HTML, b"", "not_http"),
        ("warcinfo", "application/warc-fields", None, None, b"", "warcinfo"),
        ("request", HTTP, None, None, b"", "request"),
        ("metadata", "application/warc-fields", None, None, b"", "metadata"),
        ("revisit", HTTP, 200, HTML, b"", "revisit"),
        ("resource", "text/html", None, None, b"<html>", "resource"),
        ("made-up", None, None, None, b"", "unknown_record_type"),
    ],
)
def test_skip_reason(record_type, record_ct, status, ct, head, reason):
    assert warc.skip_reason(record_type, record_ct, status, ct, head) == reason


CYRILLIC = "<html><body><p>Новости дня: правительство объявило о реформе.</p></body></html>"
LATIN = "<html><head><meta charset=iso-8859-1></head><body><p>Grüße aus Österreich – „Zitat“</p></body></html>"
CHINESE = '<html><head><meta http-equiv="content-type" content="text/html;charset=GB2312"/></head><body><p>人民日报社论：坚持高质量发展。</p></body></html>'
JAPANESE = "<html><body><p>" + "東京都は本日、新しい交通計画を発表しました。住民の皆さまのご意見を募集しています。" * 20 + "</p></body></html>"


@pytest.mark.parametrize(
    "body, content_type, detect, text, charset, source",
    [
        # legacy charsets named only in the header
        (CYRILLIC.encode("cp1251"), "text/html; charset=windows-1251", False, CYRILLIC, "cp1251", "header"),
        (CYRILLIC.encode("koi8_r"), 'text/html; charset="KOI8-R"', False, CYRILLIC, "koi8-r", "header"),
        # ... or only in the page: iso-8859-1 is read as windows-1252 (the quotes are 1252's)
        (LATIN.encode("cp1252"), "text/html", False, LATIN, "cp1252", "meta"),
        (CHINESE.encode("gb18030"), "text/html", False, CHINESE, "gb18030", "meta"),
        # the header wins over the page when both decode
        (CYRILLIC.replace("<html>", "<html><meta charset=koi8-r>").encode("cp1251"), "text/html; charset=cp1251", False,
         CYRILLIC.replace("<html>", "<html><meta charset=koi8-r>"), "cp1251", "header"),
        # a declaration the bytes do not decode with gives way to the next one
        (CHINESE.encode("gb18030"), "text/html; charset=utf-8", False, CHINESE, "gb18030", "meta"),
        # valid UTF-8 is UTF-8, whatever is declared (a stale declaration)
        (LATIN.encode("utf-8"), "text/html; charset=iso-8859-1", False, LATIN, "utf-8", "utf-8"),
        (CHINESE.encode("utf-8"), "text/html", False, CHINESE, "utf-8", "utf-8"),
        ("<p>naïve</p>".encode("utf-8"), "text/html; charset=UTF-8", False, "<p>naïve</p>", "utf-8", "header"),
        ("<meta charset=utf-8><p>naïve</p>".encode("utf-8"), None, False, "<meta charset=utf-8><p>naïve</p>", "utf-8", "meta"),
        # byte-order marks
        ("\ufeff<p>é</p>".encode("utf-8"), "text/html; charset=iso-8859-1", False, "<p>é</p>", "utf-8", "bom"),
        ("\ufeff<p>é</p>".encode("utf-16-le"), None, False, "<p>é</p>", "utf-16-le", "bom"),
        # nothing declared: detection, else windows-1252
        (JAPANESE.encode("cp932"), "text/html", True, JAPANESE, "cp932", "detected"),
        (b"<p>caf\xe9</p>", "text/html; charset=no-such-charset", False, "<p>café</p>", "cp1252", "fallback"),
    ],
)
def test_decode_html(body, content_type, detect, text, charset, source):
    from streams.warc import detect_charset

    decoded = warc.decode_html(body, content_type, detect_charset if detect else None)
    assert (decoded.html, decoded.charset, decoded.charset_from) == (text, charset, source)


@pytest.mark.parametrize(
    "label, codec",
    [("ISO-8859-1", "cp1252"), ("latin1", "cp1252"), ("gb2312", "gb18030"), ("Shift_JIS", "cp932"),
     ("euc-kr", "cp949"), ("windows-1251", "cp1251"), ("utf8", "utf-8"), ("UTF-16", "utf-8"), ("x-nonsense", None), ("", None)],
)
def test_charset_labels_are_read_as_browsers_read_them(label, codec):
    assert warc.codec_for(label) == codec


@pytest.mark.parametrize(
    "value, url",
    [("<http://example.com/a?b=1>", "http://example.com/a?b=1"), ("http://example.com/", "http://example.com/"),
     ("  <https://x.example/>  ", "https://x.example/"), ("<>", None), (None, None)],
)
def test_target_uri(value, url):
    assert warc.target_uri(value) == url


def test_repeated_headers_are_joined():
    assert warc.flat_headers([("Set-Cookie", "a=1"), ("Content-Type", "text/html"), ("Set-Cookie", "b=2")]) == {
        "Set-Cookie": "a=1, b=2",
        "Content-Type": "text/html",
    }


def test_raw_message_keeps_where_the_page_came_from():
    decoded = warc.decode_html(CYRILLIC.encode("cp1251"), "text/html; charset=windows-1251")
    message = warc.raw_message(
        "https://news.example/a", "2024-05-03T10:00:00Z", decoded, 200, {"Content-Type": "text/html"}, "crawl.warc.gz", "<urn:uuid:1>", 4096
    )
    assert contracts.errors("raw", message) == []
    assert message["html"] == CYRILLIC
    assert message["metadata"] == {
        "warc": {"file": "crawl.warc.gz", "record_id": "<urn:uuid:1>", "offset": 4096},
        "charset": "cp1251",
        "charset_from": "header",
    }


def test_dead_letter_points_at_the_bytes():
    letter = warc.warc_dead_letter(
        warc.TRUNCATED, "the record ends after 10 of its 99 bytes", "crawl.warc.gz", 4096, None, "2024-05-03T10:00:00Z",
        record_id="<urn:uuid:1>", url="https://news.example/a", payload=b"HTTP/1.1 200 OK\r\n",
    )
    assert contracts.errors("dead_letter", letter) == []
    assert letter["error"] == {"kind": "truncated_record", "message": "the record ends after 10 of its 99 bytes", "stage": "warc"}
    assert (letter["topic"], letter["partition"], letter["offset"]) == ("crawl.warc.gz", 0, 4096)
    assert letter["warc"] == {"file": "crawl.warc.gz", "offset": 4096, "length": None, "record_id": "<urn:uuid:1>"}
    assert letter["payload"] == "HTTP/1.1 200 OK\r\n"
