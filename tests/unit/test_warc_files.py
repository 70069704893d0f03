"""streams.warc on hand-made WARC files: the edge cases a crawler's files have, and the commands.

The files are written byte by byte here (not by a WARC library), one gzip member per record
for `.warc.gz` as crawlers write them; tests/integration/test_warc.py reads files wget wrote.
"""

from __future__ import annotations

import gzip
import random
import uuid
import zlib
from pathlib import Path

import orjson
import pytest

from schemas import contracts
from streams import cli
from streams.warc import Summary, read_file, read_files

ARTICLE = (
    "<html><head><title>Новая линия метро откроется весной</title></head><body><article>"
    "<h1>Новая линия метро откроется весной</h1>"
    + "".join(
        f"<p>Абзац {i}: городские власти сообщили, что строительство новой линии метро идёт по графику, "
        f"и первые поезда пойдут по ней весной следующего года, сообщает пресс-служба.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
)
DATE = "2024-05-03T10:00:00Z"


def record(record_type: str, block: bytes, uri: str | None = None, **headers: str) -> bytes:
    fields = {
        "WARC-Type": record_type,
        "WARC-Record-ID": f"<urn:uuid:{uuid.uuid4()}>",
        "WARC-Date": DATE,
        **({"WARC-Target-URI": f"<{uri}>"} if uri else {}),
        **{k.replace("_", "-"): v for k, v in headers.items()},
        "Content-Length": str(len(block)),
    }
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n"
    return head.encode("utf-8") + block + b"\r\n\r\n"


def response(uri: str, status: str, body: bytes, *headers: str) -> bytes:
    http = f"HTTP/1.1 {status}\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n"
    return record("response", http.encode("latin-1") + body, uri, Content_Type="application/http;msgtype=response")


def crawl() -> list[bytes]:
    """One of everything: the page in a legacy charset named only in its header, and the records
    that are no article page."""
    page = ARTICLE.encode("cp1251")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (gzip.compress(ARTICLE.encode("utf-8"))[i : i + 500] for i in range(0, 4000, 500)) if c) + b"0\r\n\r\n"
    return [
        record("warcinfo", b"software: hand\r\nformat: WARC File Format 1.0\r\n", Content_Type="application/warc-fields"),
        record("request", b"GET /a HTTP/1.1\r\nHost: news.example\r\n\r\n", "https://news.example/a", Content_Type="application/http;msgtype=request"),
        response("https://news.example/a", "200 OK", page, "Content-Type: text/html; charset=windows-1251"),
        response("https://news.example/b", "200 OK", chunked, "Content-Type: text/html; charset=utf-8", "Transfer-Encoding: chunked", "Content-Encoding: gzip"),
        response("https://news.example/gone", "404 Not Found", b"<html><body>Not here</body></html>", "Content-Type: text/html"),
        response("https://news.example/old", "301 Moved Permanently", b"", "Location: https://news.example/a"),
        response("https://news.example/logo.png", "200 OK", b"\x89PNG\r\n\x1a\n" + bytes(200), "Content-Type: image/png"),
        response("https://news.example/site.css", "200 OK", b"body { color: red }", "Content-Type: text/css"),
        response("https://news.example/report.pdf", "200 OK", b"%PDF-1.7\n...", "Content-Type: application/pdf"),
        record("revisit", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", "https://news.example/a",
               Content_Type="application/http;msgtype=response", WARC_Profile="http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"),
        record("metadata", b"outlinks: https://news.example/b\r\n", "https://news.example/a", Content_Type="application/warc-fields"),
    ]


def write(path: Path, records: list[bytes], gz: bool) -> Path:
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gz else b"".join(records))
    return path


def items_of(path: Path, limit: int = 8 << 20) -> list:
    return list(read_file(path, limit))


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip-per-record"])
def test_one_of_everything(tmp_path, gz):
    path = write(tmp_path / ("crawl.warc.gz" if gz else "crawl.warc"), crawl(), gz)
    summary = Summary()
    items = list(read_files([path], 8 << 20, summary))
    assert summary.to_dict() == {
        "files": 1,
        "records": 11,
        "bytes": path.stat().st_size,
        "published": 2,
        "skipped": {"warcinfo": 1, "request": 1, "http_error": 1, "redirect": 1, "not_html": 3, "revisit": 1, "metadata": 1},
        "dead_letters": {},
    }
    messages = [orjson.loads(i.value) for i in items if i.kind == "message"]
    for message in messages:
        assert contracts.errors("raw", message) == []
        assert message["html"] == ARTICLE  # windows-1251 from the header; chunked + gzip undone
        assert message["fetched_at"] == DATE and message["http_status"] == 200
    first, second = messages
    assert first["url"] == "https://news.example/a"
    assert first["headers"] == {"Content-Type": "text/html; charset=windows-1251"}
    assert (first["metadata"]["charset"], first["metadata"]["charset_from"]) == ("cp1251", "header")
    assert second["metadata"]["charset_from"] == "header"
    # The offset leads back to the record: its bytes start there (its gzip member, compressed).
    raw = path.read_bytes()[first["metadata"]["warc"]["offset"] :]
    text = zlib.decompressobj(31).decompress(raw) if gz else raw
    assert text.startswith(b"WARC/1.0\r\nWARC-Type: response\r\n")
    assert first["metadata"]["warc"]["record_id"].encode() in text[:300]
    assert first["metadata"]["warc"]["file"] == str(path)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip-per-record"])
@pytest.mark.parametrize("cut", ["in-the-body", "in-the-headers"])
def test_a_truncated_last_record_is_a_dead_letter_and_the_rest_goes_through(tmp_path, gz, cut):
    records = crawl()[:4]
    members = [gzip.compress(r) for r in records] if gz else records
    before = len(b"".join(members[:3]))
    keep = len(members[3]) - 300 if cut == "in-the-body" else 60
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(b"".join(members)[: before + keep])
    items = items_of(path)
    assert [(i.kind, i.reason) for i in items] == [
        ("skipped", "warcinfo"), ("skipped", "request"), ("message", None), ("dead_letter", "truncated_record")
    ]
    letter = orjson.loads(items[-1].value)
    assert contracts.errors("dead_letter", letter) == []
    assert letter["warc"]["offset"] == items[-1].offset == before
    if cut == "in-the-body":
        assert letter["url"] == "https://news.example/b"
        assert "Content-Length" in letter["error"]["message"]
    else:
        assert letter["warc"]["length"] == keep and letter["payload_encoding"] in ("utf-8", "base64")


@pytest.mark.parametrize(
    "junk, length, payload",
    [
        (b"this line is not a WARC record\r\n\r\n", 34, "this line is not a WARC record\r\n\r\n"),
        # a record line without the headers every record must have
        (b"WARC/1.0\r\nthis is not a header\r\n\r\n", None, None),
    ],
    ids=["bytes-between-records", "record-without-headers"],
)
def test_garbage_between_records_is_a_dead_letter_with_its_place(tmp_path, junk, length, payload):
    records = crawl()
    path = tmp_path / "junk.warc"
    path.write_bytes(b"".join(records[:3]) + junk + b"".join(records[3:]))
    items = items_of(path)
    letters = [orjson.loads(i.value) for i in items if i.kind == "dead_letter"]
    assert [(letter["error"]["kind"], letter["warc"]["offset"], letter["warc"]["length"]) for letter in letters] == [
        ("malformed_record", len(b"".join(records[:3])), length)
    ]
    assert letters[0]["payload"] == payload
    assert all(contracts.errors("dead_letter", letter) == [] for letter in letters)
    assert sum(i.kind == "message" for i in items) == 2 and len(items) == len(records) + 1


def test_a_corrupt_gzip_member_loses_only_its_record(tmp_path):
    members = [gzip.compress(r) for r in crawl()]
    bad = bytearray(members[2])
    bad[30:60] = bytes(30)
    path = tmp_path / "rot.warc.gz"
    path.write_bytes(b"".join(members[:2]) + bytes(bad) + b"".join(members[3:]))
    items = items_of(path)
    letters = [orjson.loads(i.value) for i in items if i.kind == "dead_letter"]
    assert [(letter["error"]["kind"], letter["warc"]["offset"], letter["warc"]["length"]) for letter in letters] == [
        ("malformed_record", len(members[0]) + len(members[1]), len(bad))
    ]
    assert [i.url for i in items if i.kind == "message"] == ["https://news.example/b"]


def test_a_body_stored_decoded_under_encoding_headers_is_taken_as_it_is(tmp_path):
    page = ARTICLE.encode("utf-8")
    path = write(tmp_path / "decoded.warc", [
        response("https://news.example/c", "200 OK", page, "Content-Type: text/html", "Transfer-Encoding: chunked", "Content-Encoding: gzip"),
    ], gz=False)
    (item,) = items_of(path)
    assert orjson.loads(item.value)["html"] == ARTICLE


def test_a_page_over_the_payload_limit_is_a_dead_letter_without_being_read_whole(tmp_path):
    path = write(tmp_path / "big.warc", crawl()[2:3], gz=False)
    (item,) = items_of(path, limit=1000)
    letter = orjson.loads(item.value)
    assert (item.kind, letter["error"]["kind"], letter["payload"]) == ("dead_letter", "payload_too_large", None)


def test_process_command_publishes_pages_and_dead_letters(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COPYDESK_ENTITIES", "off")
    monkeypatch.setenv("COPYDESK_LOG_LEVEL", "WARNING")
    records = crawl()
    whole = b"".join(gzip.compress(r) for r in records[:4])
    folder = tmp_path / "crawls"
    folder.mkdir()
    write(folder / "a.warc.gz", records, gz=True)
    (folder / "b.warc.gz").write_bytes(whole[:-300])
    (folder / "notes.txt").write_text("not a WARC file")
    out = tmp_path / "out"
    assert cli.main(["process", str(folder), "--out-dir", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    summary = orjson.loads(captured.out)
    assert summary["files"] == 2 and summary["published"] == 3
    assert summary["dead_letters"] == {"truncated_record": 1}
    assert "15 records" in captured.err and "1 dead letters" in captured.err
    outputs = {p.name.split(".")[-2]: [orjson.loads(line) for line in p.read_bytes().splitlines()] for p in out.iterdir()}
    enriched, duplicates, dead = outputs["enriched"], outputs["duplicates"], outputs["dead-letter"]
    assert [r["url"] for r in enriched] == ["https://news.example/a"]
    assert enriched[0]["title"] == "Новая линия метро откроется весной" and enriched[0]["language"] == "ru"
    # the same page under /b, and again from the second file: copies of /a
    assert [(r["url"], r["dedup"]["status"]) for r in duplicates] == [
        ("https://news.example/b", "duplicate"), ("https://news.example/a", "duplicate")
    ]
    assert [(r["error"]["stage"], r["error"]["kind"], r["warc"]["file"]) for r in dead] == [
        ("warc", "truncated_record", str(folder / "b.warc.gz"))
    ]
    for role, records_ in (("enriched", enriched), ("duplicates", duplicates), ("dead_letter", dead)):
        assert all(contracts.errors(role, r) == [] for r in records_)


def test_commands_refuse_a_mix_and_missing_files(tmp_path, capsys):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("{}\n")
    assert cli.main(["process", str(tmp_path / "x.warc.gz"), "--out-dir", str(tmp_path / "o")]) == 4
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["produce", str(jsonl), str(tmp_path / "x.warc")]) == 2
    assert "only WARC files" in capsys.readouterr().err
    write(tmp_path / "a.warc", crawl(), gz=False)
    assert cli.main(["process", str(tmp_path / "a.warc")]) == 2  # outcomes to stdout: JSONL input only
    assert "give --out-dir DIR" in capsys.readouterr().err


def _around_a_bad_crc(tmp_path: Path, broken: bytes, after: list[bytes]) -> tuple[list, list[bytes]]:
    """The items of a gzip WARC: warcinfo, request, `broken` in a member whose CRC-32 trailer is
    wrong (every byte inflates, the check fails), then `after`; and the members."""
    members = [gzip.compress(r) for r in crawl()[:2] + [broken] + after]
    bad = bytearray(members[2])
    bad[-8] ^= 0xFF
    path = tmp_path / "crc.warc.gz"
    path.write_bytes(b"".join(members[:2]) + bytes(bad) + b"".join(members[3:]))
    items = items_of(path)
    assert [(i.kind, i.reason, i.offset) for i in items[:3]] == [
        ("skipped", "warcinfo", 0),
        ("skipped", "request", len(members[0])),
        ("dead_letter", "malformed_record", len(members[0]) + len(members[1])),
    ]
    return items, members


def test_a_large_page_whose_gzip_member_fails_its_check_is_a_dead_letter_and_the_rest_goes_through(tmp_path):
    rng = random.Random(0)
    page = "<html><body><p>" + " ".join("%x" % rng.getrandbits(32) for _ in range(22_000)) + "</p></body></html>"
    big = response("https://news.example/big", "200 OK", page.encode(), "Content-Type: text/html")
    items, members = _around_a_bad_crc(tmp_path, big, crawl()[3:5])
    assert [(i.kind, i.reason, i.offset) for i in items[3:]] == [
        ("message", None, len(b"".join(members[:3]))),
        ("skipped", "http_error", len(b"".join(members[:4]))),
    ]
    assert orjson.loads(items[2].value)["warc"]["length"] == len(members[2])


def test_a_record_without_content_length_whose_gzip_member_fails_its_check_loses_only_itself(tmp_path):
    head = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Date: " + DATE.encode()
    items, members = _around_a_bad_crc(tmp_path, head + b"\r\n\r\n" + b"<p>page</p>" * 100_000 + b"\r\n\r\n", crawl()[2:4])
    assert [(i.kind, i.url, i.offset) for i in items[3:]] == [
        ("message", "https://news.example/a", len(b"".join(members[:3]))),
        ("message", "https://news.example/b", len(b"".join(members[:4]))),
    ]


class _Bar:
    """What `read_file` calls of a progress bar: the bytes it counts."""

    def __init__(self) -> None:
        self.n = 0

    def update(self, n: int) -> None:
        self.n += n


@pytest.mark.parametrize("ending", ["bad_crc", "garbage", "whole"])
def test_the_progress_bar_counts_each_byte_of_the_file_once(tmp_path, ending):
    members = [gzip.compress(r) for r in crawl()]
    if ending == "bad_crc":  # the last record is a dead letter of its own
        last = bytearray(members[-1])
        last[-8] ^= 0xFF
        members[-1] = bytes(last)
    elif ending == "garbage":  # bytes after the last record that start no record
        members.append(b"\x1f\x8bnot a gzip member" * 3)
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(members))
    bar = _Bar()
    items = list(read_file(path, 8 << 20, bar))
    assert len(items) == len(crawl()) + (ending == "garbage")
    assert bar.n == path.stat().st_size


def test_a_last_record_longer_than_the_file_after_repeated_headers_is_one_truncated_record(tmp_path):
    """The parser fails after the record (already a truncated_record dead letter), and the record
    claims bytes past the file's end: nothing is left to account for, and nothing is read."""
    head, _, block = crawl()[3].partition(b"\r\n\r\n")
    # "Content-Type: application/http" cut short, then the headers from WARC-Date on again
    repeated = head[: head.index(b";msgtype")] + head[head.index(b"\r\nWARC-Date"):]
    path = tmp_path / "long.warc"
    path.write_bytes(repeated + b"\r\n\r\n" + block[:-4])
    assert [(i.kind, i.reason, i.offset) for i in items_of(path)] == [("dead_letter", "truncated_record", 0)]
