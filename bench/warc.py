"""Reading WARC files: FastWARC against warcio, and copydesk's reader against the pipeline.

    .venv/bin/python bench/warc.py [FILE.warc.gz] [--rounds 3] [--pages N]

Without a file it writes one as a crawler would: the 258 dev pages (`../shared/data/fundus-news`)
served on 127.0.0.1 by http.server and fetched by wget with `--warc-file` (one gzip member per
record). Then, side by side in one run, CPU seconds (best of `--rounds`):

- FastWARC and warcio each iterate every record and read its whole block (HTTP headers parsed
  for responses): records/s and MB/s of the file;
- copydesk's reader (`streams.warc.read_file`: FastWARC, the checks, the HTTP headers, the
  charset, the raw message as JSON) over the same file;
- the offline pipeline (`streams.offline.OfflineRun`, the workers' steps, settings from the
  environment: set COPYDESK_ENTITIES=off for the cheaper configuration) over the first `--pages`
  of those messages;

and the ratio of the reader's cost per page to the pipeline's. On the dev pages it also runs the
same pages as JSONL (the page's text, the URL and `WARC-Date` of its record) through a second
pipeline and counts the pages whose outcomes are equal (all fields but times and `source`).
Needs the `bench` extra (warcio).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEV = REPO.parent / "shared" / "data" / "fundus-news"


def write_dev_warc(folder: Path) -> Path:
    site = folder / "site"
    site.mkdir()
    names = []
    for line in (DEV / "cases.jsonl").open():
        case = json.loads(line)
        name = case["file"].replace("/", "_").removesuffix(".gz")
        (site / name).write_bytes(gzip.decompress((DEV / case["file"]).read_bytes()))
        names.append(name)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    (folder / "urls.txt").write_text("".join(base + n + "\n" for n in names))
    try:
        subprocess.run(
            [shutil.which("wget") or "wget", "--quiet", f"--warc-file={folder / 'dev'}", "--input-file",
             str(folder / "urls.txt"), "--output-document", os.devnull],
            check=False, timeout=600,
        )
    finally:
        server.shutdown()
    return folder / "dev.warc.gz"


def fastwarc_all(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator

    n = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(f, parse_http=True):
            record.reader.read()
            n += 1
    return n


def warcio_all(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            record.content_stream().read()
            n += 1
    return n


def copydesk_reader(path: Path) -> list[bytes]:
    from streams.warc import read_file

    return [item.value for item in read_file(path, 8 << 20) if item.kind == "message"]


def cpu(fn, rounds: int):
    best, result = float("inf"), None
    for _ in range(rounds):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=258, help="pages run through the pipeline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or write_dev_warc(Path(tmp))
        mb = path.stat().st_size / 1e6
        t_fast, n = cpu(partial(fastwarc_all, path), args.rounds)
        t_warcio, n2 = cpu(partial(warcio_all, path), args.rounds)
        assert n == n2, (n, n2)
        t_reader, messages = cpu(partial(copydesk_reader, path), args.rounds)

        from streams.offline import OfflineRun
        from streams.settings import Settings

        settings = Settings.from_env()
        run = OfflineRun(settings)
        pages = messages[: args.pages]
        OfflineRun(settings).run_one(pages[0], 0)  # models and caches loaded before the clock starts
        start = time.process_time()
        outcomes = [run.run_one(payload, offset) for offset, payload in enumerate(pages)]
        t_pipe = time.process_time() - start
        equal = None if args.file else same_as_jsonl(settings, pages, outcomes)

    per_page_reader = t_reader / len(messages)
    per_page_pipe = t_pipe / len(pages)
    print(f"file: {path.name}, {mb:.1f} MB, {n} records, {len(messages)} article pages")
    for name, t in (("fastwarc", t_fast), ("warcio", t_warcio)):
        print(f"{name:9s} iterate + read every block: {t:.3f} s CPU, {n / t:,.0f} records/s, {mb / t:,.0f} MB/s")
    print(f"warcio / fastwarc CPU: {t_warcio / t_fast:.2f}x")
    print(f"copydesk reader (checks, HTTP, charset, JSON): {t_reader:.3f} s, {per_page_reader * 1e3:.2f} ms per page, {mb / t_reader:,.0f} MB/s")
    entities = os.environ.get("COPYDESK_ENTITIES", "on")
    print(f"pipeline (offline, entities {entities}): {t_pipe:.1f} s for {len(pages)} pages, {per_page_pipe * 1e3:.1f} ms per page")
    print(f"reader / pipeline per page: {per_page_reader / per_page_pipe:.2%}")
    if equal is not None:
        print(f"outcomes equal to the same pages as JSONL: {equal} of {len(pages)}")


def same_as_jsonl(settings, pages: list[bytes], outcomes: list) -> int:
    """How many pages give the same outcome as JSONL as from the WARC."""
    from streams.offline import OfflineRun

    ignored = {"processed_at", "failed_at", "timestamp_ms", "source", "topic", "partition", "offset", "payload", "payload_encoding"}
    run = OfflineRun(settings)
    equal = 0
    for offset, (payload, outcome) in enumerate(zip(pages, outcomes)):
        message = json.loads(payload)
        country, rest = message["url"].rsplit("/", 1)[1].split("_", 1)
        html = gzip.decompress((DEV / country / f"{rest}.gz").read_bytes()).decode("utf-8")
        jsonl = json.dumps({"url": message["url"], "fetched_at": message["fetched_at"], "html": html}).encode()
        other = run.run_one(jsonl, offset)
        a, b = (({k: v for k, v in json.loads(r.value).items() if k not in ignored}, r.role) for r in (outcome, other))
        equal += a == b
    return equal


if __name__ == "__main__":
    main()
