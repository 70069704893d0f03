"""Reading WARC files: every record of a file becomes a raw message, a skip or a dead letter.

Records are streamed with FastWARC (`bench/warc.py` measures it against warcio): a record's
block is read only when it is an article page, up to `COPYDESK_MAX_PAYLOAD_BYTES`; anything
else is skipped without being held in memory. The decisions are `processors.warc`'s.

A record is checked against its own `Content-Length` (a file cut short yields its last record
short, and FastWARC says nothing), and a stretch that FastWARC cannot parse is a dead letter
from the end of the last good record to the next record that parses (in a compressed file, the
next gzip member that holds one), from where the reading goes on: nothing in a file is skipped
without a record that says so.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import orjson

from processors import warc

#: File names taken from a directory.
SUFFIXES = (".warc", ".warc.gz")
#: Bytes of a response block read before deciding what it is: the HTTP headers and the start of
#: the body. Headers longer than this make the record malformed.
HEAD_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Item:
    """One record's outcome: a raw message to publish (`message`), a record that is no article
    page (`skipped`, with its reason) or one that could not be read (`dead_letter`)."""

    kind: str
    reason: str | None
    offset: int
    value: bytes | None = None
    url: str | None = None


@dataclass
class Summary:
    """What was read from the files, for the command's closing lines (and `--json`)."""

    files: int = 0
    records: int = 0
    bytes: int = 0
    published: int = 0
    skipped: Counter = field(default_factory=Counter)
    dead_letters: Counter = field(default_factory=Counter)

    def count(self, item: Item) -> None:
        self.records += 1
        if item.kind == "message":
            self.published += 1
        elif item.kind == "skipped":
            self.skipped[item.reason] += 1
        else:
            self.dead_letters[item.reason] += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "bytes": self.bytes,
            "published": self.published,
            "skipped": dict(self.skipped.most_common()),
            "dead_letters": dict(self.dead_letters.most_common()),
        }

    def lines(self, verb: str = "published") -> list[str]:
        skipped = sum(self.skipped.values())
        dead = sum(self.dead_letters.values())
        mb = self.bytes / 1e6
        out = [f"copydesk: {self.records} records, {mb:.1f} MB in {self.files} file{'s' if self.files != 1 else ''}: "
               f"{self.published} {verb}, {skipped} skipped, {dead} dead letters"]
        out += [f"  skipped {n:6d}  {reason}" for reason, n in self.skipped.most_common()]
        out += [f"  dead letter {n:6d}  {reason}" for reason, n in self.dead_letters.most_common()]
        return out


def is_warc(name: str) -> bool:
    path = Path(name)
    return path.is_dir() or path.name.lower().endswith(SUFFIXES)


def expand(names: Iterable[str]) -> list[Path]:
    """The WARC files named, each directory's `*.warc` and `*.warc.gz` (recursively, sorted)."""
    out: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)))
        else:
            out.append(path)
    return out


def detect_charset(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return best.encoding if best else None


def read_file(path: Path, max_payload_bytes: int, progress: Any = None) -> Iterator[Item]:
    """Every record of one WARC file (plain or gzip), in file order."""
    from fastwarc.warc import ArchiveIterator  # here, not at the top: `copydesk worker` never loads it

    name = str(path)
    size = path.stat().st_size
    gz = _is_gzip(path)
    with path.open("rb") as f:
        start: int | None = 0
        while start is not None:
            f.seek(start)
            records = iter(ArchiveIterator(f, parse_http=False))
            last: int | None = None
            seen = start
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    start = None
                    break
                except Exception as exc:  # noqa: BLE001 - whatever the parser says of the bytes, they are the file's fault
                    try:
                        bad = start if last is None else _record_end(f, last, gz)
                    except zlib.error:
                        # The record at `last`, already read, ends in bytes that do not inflate
                        # (its gzip trailer): they are its own, the next record is read on.
                        start, end = _after(f, last, gz, size)
                        _advance(progress, end - seen)
                        seen = end  # counted: not again after the loop when the file ends here
                        break
                    if bad >= size:
                        # The record at `last`, already read, says it runs past the file's end:
                        # nothing after it is left to account for.
                        start = None
                        break
                    start, end = _after(f, bad, gz, size)
                    kind = _unreadable(f, bad, start, gz)
                    message = "the file ends inside this record" if kind == warc.TRUNCATED else "cannot read a WARC record here"
                    yield _dead(kind, f"{message}: {exc}", name, bad, end - bad, payload=_slice(f, bad, end, max_payload_bytes))
                    _advance(progress, end - seen)
                    seen = end
                    break
                last = record.stream_pos
                try:
                    item = _read_record(record, name, max_payload_bytes)
                except (OSError, zlib.error) as exc:
                    # Its gzip member does not inflate past the first bytes read: the parser
                    # cannot go on from inside it, so the next record is looked for after it.
                    start, end = _after(f, last, gz, size)
                    kind = _unreadable(f, last, start, gz)
                    yield _dead(kind, f"cannot read this record: {exc}", name, last, end - last, payload=_slice(f, last, end, max_payload_bytes))
                    _advance(progress, end - seen)
                    seen = end
                    break
                if item.reason == warc.MALFORMED and _cut_short(f, last, gz):
                    item = _dead(warc.TRUNCATED, "the file ends inside this record's headers", name, last, size - last, payload=_slice(f, last, size, max_payload_bytes))
                yield item
                _advance(progress, last - seen)
                seen = last
            if start is None:
                _advance(progress, size - seen)


def _read_record(record: Any, name: str, max_payload_bytes: int) -> Item:
    from fastwarc.warc import HeaderMap

    offset = record.stream_pos
    h = record.headers
    record_type, record_id, date = h.get("WARC-Type"), h.get("WARC-Record-ID"), h.get("WARC-Date")
    url = warc.target_uri(h.get("WARC-Target-URI"))
    length = _content_length(h.get("Content-Length"))
    if not (record_type and record_id and date) or length is None:
        missing = [k for k, v in (("WARC-Type", record_type), ("WARC-Record-ID", record_id), ("WARC-Date", date), ("Content-Length", length)) if v is None]
        record.reader.consume()
        return _dead(warc.MALFORMED, f"record without {', '.join(missing)}", name, offset, None, record_id=record_id, url=url)
    record_type = record_type.strip().lower()
    if record_type != "response":
        got = record.reader.consume()
        return _short(name, offset, length, got, record_id, url) or Item("skipped", warc.skip_reason(record_type, None, None, None, b""), offset)
    head = record.reader.read(min(length, HEAD_BYTES))
    http = HeaderMap()
    try:
        header_bytes = http.parse(io.BytesIO(head), has_status_line=True)
        status = http.status_code
    except (OSError, ValueError) as exc:
        header_bytes, status = 0, None
        if warc.media_type(h.get("Content-Type")).startswith("application/http"):
            got = len(head) + record.reader.consume()
            return _short(name, offset, length, got, record_id, url) or _dead(
                warc.MALFORMED, f"unreadable HTTP headers: {exc}", name, offset, length, record_id=record_id, url=url, payload=head
            )
    content_type = http.get("Content-Type") if status is not None else None
    body_head = head[header_bytes:]
    reason = warc.skip_reason(record_type, h.get("Content-Type"), status, content_type, body_head)
    if reason is not None or length > max_payload_bytes:
        got = len(head) + record.reader.consume()
        short = _short(name, offset, length, got, record_id, url)
        if short or reason is not None:
            return short or Item("skipped", reason, offset, url=url)
        return _dead(warc.TOO_LARGE, f"a {length}-byte record (COPYDESK_MAX_PAYLOAD_BYTES is {max_payload_bytes})", name, offset, length, record_id=record_id, url=url)
    block = head + record.reader.read()
    short = _short(name, offset, length, len(block), record_id, url, block)
    if short:
        return short
    try:
        body = _decoded_body(block[header_bytes:], http, max_payload_bytes)
    except (OSError, ValueError, zlib.error) as exc:
        return _dead(warc.MALFORMED, f"cannot undo the response's encoding: {exc}", name, offset, length, record_id=record_id, url=url, payload=block)
    decoded = warc.decode_html(body, content_type, detect_charset)
    message = warc.raw_message(
        url or "", date.strip(), decoded, status, warc.flat_headers(http.to_tuples()), name, record_id, offset
    )
    return Item("message", None, offset, orjson.dumps(message), url)


def _decoded_body(body: bytes, http: Any, limit: int) -> bytes:
    """The body as the server meant it: chunked transfer and gzip, deflate or brotli content
    encodings undone (crawlers that store the bytes as they came over the wire keep them),
    at most `limit` bytes. Some crawlers store the body decoded and keep the headers: a body
    that is not chunked, or not gzip, is taken as it is."""
    from fastwarc.stream_io import BrotliReader, ChunkedReader, GzipReader

    transfer = (http.get("Transfer-Encoding") or "").lower()
    if "chunked" in transfer:
        try:
            body = ChunkedReader(io.BytesIO(body)).read(limit + 1)
        except (OSError, ValueError):
            pass
    for coding in reversed([c.strip().lower() for c in (http.get("Content-Encoding") or "").split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            if body.startswith(_GZIP_MAGIC[:2]):
                body = GzipReader(io.BytesIO(body)).read(limit + 1)
        elif coding == "deflate":
            body = _inflate(body, limit)
        elif coding == "br":
            body = BrotliReader(io.BytesIO(body)).read(limit + 1)
        elif coding != "identity":
            raise ValueError(f"unknown content encoding {coding!r}")
    return body


def _inflate(body: bytes, limit: int) -> bytes:
    try:
        return zlib.decompressobj().decompress(body, limit + 1)
    except zlib.error:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, limit + 1)


def _content_length(value: str | None) -> int | None:
    try:
        n = int((value or "").strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def _short(
    name: str, offset: int, length: int, got: int, record_id: str | None, url: str | None, payload: bytes | None = None
) -> Item | None:
    if got >= length:
        return None
    return _dead(
        warc.TRUNCATED,
        f"the record ends after {got} of its {length} bytes (Content-Length)",
        name,
        offset,
        None,
        record_id=record_id,
        url=url,
        payload=payload,
    )


def _dead(
    kind: str,
    message: str,
    name: str,
    offset: int,
    length: int | None,
    *,
    record_id: str | None = None,
    url: str | None = None,
    payload: bytes | None = None,
) -> Item:
    from streams.steps import clock

    letter = warc.warc_dead_letter(
        kind, message, name, offset, length, clock().now, record_id=record_id, url=url, payload=payload
    )
    return Item("dead_letter", kind, offset, orjson.dumps(letter), url)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == _GZIP_MAGIC


def _record_end(f: IO[bytes], offset: int, gz: bool) -> int:
    """Where the record at `offset` ends: its gzip member's end, or its headers, block and the
    two CRLFs after it (the end of the file, when it ends first)."""
    if gz:
        end = _member_end(f, offset)
        return f.seek(0, io.SEEK_END) if end is None else end
    f.seek(offset)
    head = f.read(HEAD_BYTES)
    end = head.find(b"\r\n\r\n")
    length = None
    for line in head[: max(end, 0)].split(b"\r\n"):
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = _content_length(value.decode("latin-1"))
    if end < 0 or length is None:
        return offset + 1
    return offset + end + 4 + length + 4


def _member_end(f: IO[bytes], offset: int) -> int | None:
    """The end of the gzip member at `offset`, or None when the file ends inside it."""
    f.seek(offset)
    inflate = zlib.decompressobj(31)
    used = 0
    while not inflate.eof:
        chunk = f.read(_SCAN_CHUNK)
        if not chunk:
            return None
        inflate.decompress(chunk, 1 << 16)
        while inflate.unconsumed_tail and not inflate.eof:
            inflate.decompress(inflate.unconsumed_tail, 1 << 16)
        used += len(chunk) - len(inflate.unused_data)
    return offset + used


def _cut_short(f: IO[bytes], offset: int, gz: bool) -> bool:
    """Whether the file ends inside the record at `offset`, before its gzip member or its header
    block is complete: a file cut short, not bad bytes. Leaves the file where it was."""
    here = f.tell()
    try:
        if gz:
            try:
                return _member_end(f, offset) is None
            except zlib.error:
                return False
        f.seek(offset)
        head = f.read(HEAD_BYTES)
        return b"\r\n\r\n" not in head and len(head) < HEAD_BYTES
    finally:
        f.seek(here)


def _next_record(f: IO[bytes], start: int, gz: bool) -> int | None:
    """The first offset at or after `start` where a record begins: a gzip member whose text
    starts with `WARC/`, or a line that does."""
    marker = _GZIP_MAGIC if gz else b"WARC/"
    pos = start
    while True:
        f.seek(pos)
        chunk = f.read(_SCAN_CHUNK + len(marker))
        if len(chunk) < len(marker):
            return None
        i = chunk.find(marker)
        while i >= 0:
            at = pos + i
            if _starts_a_record(f, at, gz):
                return at
            i = chunk.find(marker, i + 1)
        pos += _SCAN_CHUNK


def _starts_a_record(f: IO[bytes], at: int, gz: bool) -> bool:
    f.seek(max(at - 1, 0))
    before = f.read(1) if at > 0 else b"\n"
    data = f.read(4096)
    if gz:
        try:
            text = zlib.decompressobj(31).decompress(data, 16)
        except zlib.error:
            return False
        return text.startswith(b"WARC/")
    return before == b"\n" and data.startswith(b"WARC/1.") and b"\r\n" in data[:16]


def _after(f: IO[bytes], at: int, gz: bool, size: int) -> tuple[int | None, int]:
    """Where reading goes on past a record at `at` that cannot be read on from: the next
    record's offset (None: none before the file's end), and where the bytes passed over end."""
    start = _next_record(f, at + 1, gz)
    return start, size if start is None else start


def _unreadable(f: IO[bytes], at: int, start: int | None, gz: bool) -> str:
    """The dead letter's kind for an unreadable record at `at`: truncated when the file ends
    inside it (no record after it, `start` None), else malformed."""
    return warc.TRUNCATED if start is None and _cut_short(f, at, gz) else warc.MALFORMED


def _slice(f: IO[bytes], start: int, end: int, limit: int) -> bytes | None:
    if end - start > limit:
        return None
    f.seek(start)
    return f.read(end - start)


def _advance(progress: Any, n: int) -> None:
    if progress is not None and n > 0:
        progress.update(n)


def read_files(paths: list[Path], max_payload_bytes: int, summary: Summary, progress: Any = None) -> Iterator[Item]:
    """Every record of the files in turn, counted in `summary`."""
    for path in paths:
        summary.files += 1
        summary.bytes += path.stat().st_size
        for item in read_file(path, max_payload_bytes, progress):
            summary.count(item)
            if progress is not None and summary.records % 64 == 0:
                progress.set_postfix_str(f"{summary.records} records", refresh=False)
            yield item


def progress_bar(paths: list[Path], enabled: bool | None = None) -> Any:
    """A bar of bytes read on stderr, with the records counted; by default only on a terminal."""
    from tqdm import tqdm

    total = sum(p.stat().st_size for p in paths)
    disable = None if enabled is None else not enabled
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, desc="warc", disable=disable, leave=False)


async def produce_files(settings: Any, paths: list[Path], summary: Summary, progress: bool | None = None) -> tuple[int, int]:
    """Publish the article pages of the files to the raw topic, keyed by URL, and the dead
    letters of unreadable records to the dead-letter topic. Returns (messages, dead letters) sent."""
    from streams.kafka_io import send_keyed

    letters: list[tuple[bytes | None, bytes]] = []

    def messages(items: Iterable[Item]) -> Iterator[tuple[bytes | None, bytes]]:
        for item in items:
            key = item.url.encode("utf-8") if item.url else None
            if item.kind == "message":
                yield key, item.value
            elif item.kind == "dead_letter":
                letters.append((key, item.value))

    with progress_bar(paths, progress) as bar:
        sent = await send_keyed(settings, settings.topics.raw, messages(read_files(paths, settings.stage.max_payload_bytes, summary, bar)))
    dead = await send_keyed(settings, settings.topics.dead_letter, letters) if letters else 0
    return sent, dead


def process_files(settings: Any, paths: list[Path], out_dir: Path, summary: Summary, progress: bool | None = None) -> Counter:
    """The offline mode over the files: the article pages through the chain, then the dead
    letters of unreadable records appended to the dead-letter file."""
    from streams.offline import process

    letters: list[bytes] = []

    def messages(items: Iterable[Item]) -> Iterator[bytes]:
        for item in items:
            if item.kind == "message":
                yield item.value
            elif item.kind == "dead_letter":
                letters.append(item.value)

    with progress_bar(paths, progress) as bar:
        counts = process(messages(read_files(paths, settings.stage.max_payload_bytes, summary, bar)), settings, out_dir)
    if letters:
        with (out_dir / f"{settings.topics.dead_letter}.jsonl").open("ab") as f:
            f.writelines(letter + b"\n" for letter in letters)
        counts["dead_letter"] += len(letters)
    return counts


class InputError(Exception):
    """An expected failure of a WARC command, for one line to the user: arguments that do not go
    together (`usage`), or a file that cannot be read."""

    def __init__(self, message: str, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def run_command(
    settings: Any, command: str, names: list[str], out_dir: Path | None, as_json: bool, progress: bool | None = None
) -> int:
    """`copydesk produce` or `process` over WARC files: the summary on stderr (with `as_json`, its
    counts also as one JSON object on stdout). Raises `InputError`."""
    not_warc = [n for n in names if not is_warc(n)]
    if not_warc:
        raise InputError(f"only WARC files (.warc, .warc.gz) or directories can be given together: {', '.join(not_warc)}", usage=True)
    paths = expand(names)
    for path in paths:
        if not path.is_file() or not os.access(path, os.R_OK):
            raise InputError(f"cannot read {path}: {'no such file' if not path.exists() else 'not a readable file'}")
    summary = Summary()
    if command == "produce":
        from streams.kafka_io import ensure_topics

        asyncio.run(ensure_topics(settings))
        sent, dead = asyncio.run(produce_files(settings, paths, summary, progress))
        lines = [*summary.lines(), f"sent {sent} messages to {settings.topics.raw}, {dead} dead letters to {settings.topics.dead_letter}"]
    else:
        from streams import logs

        logs.configure(settings.log_level, settings.log_format)
        counts = process_files(settings, paths, out_dir, summary, progress)
        parts = ", ".join(f"{counts.get(role, 0)} {role.replace('_', '-')}" for role in settings.topics.outputs())
        lines = [*summary.lines("processed"), f"copydesk: {sum(counts.values())} inputs: {parts} in {out_dir}"]
    if as_json:
        sys.stdout.write(orjson.dumps(summary.to_dict()).decode() + "\n")
    print("\n".join(lines), file=sys.stderr)
    return 0
