"""A news page crawled as HTML, then re-crawled under its URL with tracking parameters as the
page's rendered text, through the offline mode (the workers' steps): the re-crawl is a duplicate
of the first version, and a changed body in that format afterwards is an update; both carry
their similarity."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import orjson

from streams.offline import process_into
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from quality import flatten  # noqa: E402

PAGE = ROOT / "tests" / "data" / "pages" / "at_ORF_2024_11_22.html.gz"
URL = "https://orf.at/stories/3376705/"
ADDED = "Update: the government announced further measures on Friday evening, after this article was first published."


def outcomes(messages: list[dict], **env: str) -> list[dict]:
    settings = Settings.from_env({"COPYDESK_ENTITIES": "off", **env})
    records: list[dict] = []
    process_into((orjson.dumps(m) for m in messages), settings, lambda _role, value: records.append(orjson.loads(value)))
    return [r for r in records if "correction" not in r]


def crawls() -> list[dict]:
    html = gzip.decompress(PAGE.read_bytes()).decode("utf-8")
    text = flatten(html)
    lines = text.splitlines()
    longest = max(range(len(lines)), key=lambda n: len(lines[n]))
    changed = "\n".join(lines[: longest + 1] + [ADDED] + lines[longest + 1 :])
    return [
        {"url": URL, "fetched_at": "2024-11-22T08:00:00Z", "html": html},
        {"url": URL + "?utm_source=twitter&utm_medium=social", "fetched_at": "2024-11-22T09:00:00Z", "text": text},
        {"url": URL + "?utm_source=newsletter", "fetched_at": "2024-11-22T10:00:00Z", "text": text},
        {"url": URL, "fetched_at": "2024-11-22T11:00:00Z", "text": changed},
    ]


def test_a_page_recrawled_as_text_is_a_duplicate_and_a_changed_text_an_update():
    first, recrawl, again, update = outcomes(crawls())
    assert first["dedup"] == {"status": "unique", "duplicate_of": None, "cluster_id": first["id"], "similarity": 0.0}
    assert recrawl["id"] == first["id"]
    assert recrawl["dedup"]["status"] == "duplicate" and recrawl["dedup"]["duplicate_of"] == first["id"]
    assert 0.8 <= recrawl["dedup"]["similarity"] < 1.0  # the page text keeps some of the page's furniture
    assert again["dedup"] == {"status": "duplicate", "duplicate_of": first["id"], "cluster_id": first["id"], "similarity": 1.0}
    assert update["dedup"]["status"] == "update" and update["dedup"]["cluster_id"] == first["id"]
    assert 0.5 < update["dedup"]["similarity"] <= 1.0
    assert ADDED in update["text"]


def test_below_the_threshold_a_recrawl_in_the_other_format_is_an_update_with_its_similarity():
    first, recrawl, _, _ = outcomes(crawls(), COPYDESK_RECRAWL_THRESHOLD="1.01")
    assert recrawl["dedup"]["status"] == "update" and recrawl["dedup"]["cluster_id"] == first["id"]
    assert 0.8 <= recrawl["dedup"]["similarity"] <= 1.0
