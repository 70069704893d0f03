"""A WARC that wget wrote, through `copydesk process` and through `copydesk produce` to a real worker,
gives the outcomes of the same pages sent as JSONL.

A local HTTP server serves three dev-set pages (one in windows-1252 named only in its header, one
in GB18030 named only in its `<meta>`, one in UTF-8), a 404, a redirect, an image and a style
sheet; Debian's wget fetches them with `--warc-file`.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType

from streams.kafka_io import read_outputs
from streams.offline import process
from streams.settings import Settings
from tests.integration.workers import REPO_ROOT, WorkerProcess, unique_env

PAGES = REPO_ROOT / "tests" / "data" / "pages"
#: path -> (page file, encoding of the bytes served, Content-Type)
ARTICLES = {
    "/news/orf.html": ("at_ORF_2024_11_22", "cp1252", "text/html; charset=windows-1252"),
    "/news/people.html": ("cn_People_2024_04_24", "gb18030", "text/html"),
    "/news/apnews.html": ("us_APNews_2023_04_28", "utf-8", "text/html; charset=utf-8"),
}
OTHERS = {
    "/gone.html": (404, "text/html", b"<html><body>Not found</body></html>"),
    "/old.html": (301, "text/html", b""),
    "/logo.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
    "/site.css": (200, "text/css", b"body { margin: 0 }"),
}
IGNORED = {"processed_at", "failed_at", "timestamp_ms", "source"}


def page_text(name: str) -> str:
    return gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()).decode("utf-8")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path in ARTICLES:
            name, encoding, content_type = ARTICLES[self.path]
            status, body = 200, page_text(name).encode(encoding)
        else:
            status, content_type, body = OTHERS[self.path]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 301:
            self.send_header("Location", "/news/apnews.html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> tuple[Path, list[bytes]]:
    """The WARC wget wrote, and the same pages as JSONL messages (with the WARC's fetch times)."""
    wget = shutil.which("wget")
    if not wget:
        pytest.skip("wget is not installed (deploy/ensure-tools.sh installs it)")
    folder = tmp_path_factory.mktemp("warc")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (folder / "urls.txt").write_text("".join(f"{base}{path}\n" for path in [*ARTICLES, *OTHERS]))
    try:
        done = subprocess.run(
            [wget, "--no-verbose", "--tries=3", "--retry-connrefused", "--waitretry=1", "--max-redirect=0", f"--warc-file={folder / 'crawl'}",
             "--input-file", str(folder / "urls.txt"), "--output-document", os.devnull],
            cwd=folder, capture_output=True, timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode in (0, 8), done.stderr  # 8: the server answered an error (the 404)
    path = folder / "crawl.warc.gz"
    with path.open("rb") as f:
        dates = {
            r.headers.get("WARC-Target-URI").strip("<>"): r.headers.get("WARC-Date")
            for r in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=False)
        }
    messages = [
        orjson.dumps({"url": f"{base}{p}", "fetched_at": dates[f"{base}{p}"], "html": page_text(name)})
        for p, (name, _, _) in ARTICLES.items()
    ]
    return path, messages


def comparable(records: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k not in IGNORED} for r in records), key=lambda r: r["url"])


def outputs_of(folder: Path, settings: Settings) -> dict[str, list[dict]]:
    return {
        role: [orjson.loads(line) for line in (folder / f"{name}.jsonl").read_bytes().splitlines()]
        for role, name in settings.topics.outputs().items()
    }


def test_wget_warc_through_process_equals_the_pages_as_jsonl(crawl, tmp_path):
    path, messages = crawl
    env = {**os.environ, "COPYDESK_ENTITIES": "off", "COPYDESK_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "process", str(path), "--out-dir", str(tmp_path / "warc"), "--json"],
        cwd=REPO_ROOT, env=env, capture_output=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    summary = orjson.loads(done.stdout)
    assert summary["published"] == 3
    # One request record per URL, and one more for each attempt wget retried (--tries): on a
    # loaded machine a request may go unanswered once, and wget writes it before retrying.
    with path.open("rb") as f:
        requests = sum(1 for _ in ArchiveIterator(f, record_types=WarcRecordType.request, parse_http=False))
    assert requests >= 7
    skipped = {"request": requests, "http_error": 1, "redirect": 1, "not_html": 2, "warcinfo": 1, "metadata": 1, "resource": 2}
    assert summary["skipped"] == skipped
    assert summary["dead_letters"] == {}
    assert f"3 processed, {sum(skipped.values())} skipped, 0 dead letters" in done.stderr.decode()

    settings = Settings.from_env({"COPYDESK_ENTITIES": "off"})
    from_warc = outputs_of(tmp_path / "warc", settings)
    process(iter(messages), settings, tmp_path / "jsonl")
    from_jsonl = outputs_of(tmp_path / "jsonl", settings)
    assert {role: len(r) for role, r in from_warc.items()} == {"enriched": 3, "duplicates": 0, "dead_letter": 0}
    for role in from_warc:
        assert comparable(from_warc[role]) == comparable(from_jsonl[role]), role
    assert {r["language"] for r in from_warc["enriched"]} == {"de", "zh", "en"}


async def test_wget_warc_through_a_worker_equals_the_pages_as_jsonl(crawl, kafka_bootstrap, tmp_path):
    """Two files in one call: wget's, and a copy cut short (a transfer that broke off), whose
    pages are re-crawls of the first file's and whose last record is a dead letter."""
    path, messages = crawl
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[:-300])
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_PARTITIONS="1", COPYDESK_ENTITIES="off")
    settings = Settings.from_env(env)
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "streams.cli", "produce", str(path), str(cut)],
            cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert f"sent 6 messages to {settings.topics.raw}, 1 dead letters to {settings.topics.dead_letter}" in done.stderr.decode()
        records = await read_outputs(settings, expect=7, timeout_s=120)
    finally:
        worker.stop()
    roles = {name: role for role, name in settings.topics.outputs().items()}
    online: dict[str, list[dict]] = {role: [] for role in roles.values()}
    for topic, _p, _o, _key, value in records:
        online[roles[topic]].append(orjson.loads(value))
    assert {role: len(r) for role, r in online.items()} == {"enriched": 3, "duplicates": 3, "dead_letter": 1}
    process(iter(messages), settings, tmp_path / "jsonl")
    offline = outputs_of(tmp_path / "jsonl", settings)
    assert comparable(online["enriched"]) == comparable(offline["enriched"])
    originals = {r["url"]: r["id"] for r in online["enriched"]}
    assert sorted((r["dedup"]["status"], r["dedup"]["duplicate_of"]) for r in online["duplicates"]) == sorted(
        ("duplicate", i) for i in originals.values()
    )
    (letter,) = online["dead_letter"]
    assert (letter["error"]["stage"], letter["error"]["kind"], letter["warc"]["file"]) == ("warc", "truncated_record", str(cut))
    assert 0 < letter["warc"]["offset"] < cut.stat().st_size
