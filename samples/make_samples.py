"""Rebuild samples/raw.jsonl, the raw messages `make demo` replays, from the shared data set.

Run from the repo root with the shared data beside it: `python samples/make_samples.py`.
The pages come from the fundus project's test resources (MIT licence, see LICENSE-fundus).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE.parent / "bench"))

from quality import flatten  # noqa: E402

PAGES = [
    "at/ORF_2024_11_22.html.gz",
    "tw/TaipeiTimes_2024_10_15.html.gz",
    "jp/TheJapanNews_2024_10_13.html.gz",
    "us/VoiceOfAmerica_2024_04_28.html.gz",
    "tr/NTVTR_2024_04_30.html.gz",
    "id/MediaIndonesia_2026_01_20.html.gz",
    "pt/ThePortugalNews_2025_02_03.html.gz",
    "de/NDR_2025_06_18.html.gz",
]
SEED_URL = "https://www.rt.com/news/333423-isis-libya-recruitment-drive/"


def main() -> None:
    cases = {c["file"]: c for c in map(json.loads, (SHARED / "fundus-news" / "cases.jsonl").open())}
    seed = (SHARED / "seed" / "000_4e9f6fdf3983f584.txt").read_text(encoding="utf-8")
    lines: list[str] = []

    def add(obj) -> None:
        lines.append(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False))

    seed_msg = {"url": SEED_URL, "fetched_at": "2016-02-24T14:05:00Z", "text": seed, "crawler": "sample-text"}
    add(seed_msg)
    for name in PAGES:
        case = cases[name]
        html = gzip.decompress((SHARED / "fundus-news" / name).read_bytes()).decode("utf-8", "replace")
        fetched = case["crawl_date"].replace(" ", "T")[:19] + "Z"
        add({"url": case["url"], "fetched_at": fetched, "html": html, "crawler": "sample-html", "http_status": 200})
    # A re-crawl of the seed, with tracking parameters: the same canonical URL and body.
    add({**seed_msg, "url": SEED_URL + "?utm_source=rss&utm_medium=feed", "fetched_at": "2016-02-24T15:00:00Z"})
    # The same message sent twice.
    add(seed_msg)
    # An update: one paragraph corrected.
    add({**seed_msg, "text": seed.replace("killing 43 people", "killing at least 43 people"), "fetched_at": "2016-02-24T18:00:00Z"})
    # A syndicated copy: the first page's article on another site, which does not point its
    # canonical link (nor og:url) back at the original.
    first = json.loads(lines[1])
    html = re.sub(r"<link[^>]+rel=.canonical[^>]*>|<meta[^>]+og:url[^>]*>", "", first["html"], flags=re.I)
    add({**first, "html": html, "url": "https://syndication.example.net/wire/orf-story", "crawler": "sample-syndication"})
    # A re-crawl of the first page as its rendered text (what a crawler that saves page text
    # sends), under its URL with tracking parameters: a duplicate of the HTML version.
    add({"url": first["url"] + "?utm_source=newsletter", "fetched_at": "2024-11-22T12:00:00Z",
         "text": flatten(first["html"]), "crawler": "sample-text"})
    # Bad input: every one must come out as a dead letter with its reason.
    add("{this is not json")
    add(json.dumps(["an", "array"]))
    add({"fetched_at": "2024-05-01T10:00:00Z", "text": "No URL in this message at all."})
    add({"url": "/relative/only", "fetched_at": "2024-05-01T10:00:00Z", "text": "A relative URL."})
    add({"url": "https://example.org/a", "fetched_at": "1 May 2024", "text": "A time that is not RFC 3339."})
    add({"url": "https://example.org/empty", "fetched_at": "2024-05-01T10:00:00Z", "html": "<html><body><nav>Home</nav></body></html>"})
    (HERE / "raw.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} messages to {HERE / 'raw.jsonl'}")


if __name__ == "__main__":
    main()
