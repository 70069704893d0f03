"""A story as its site printed it, with paragraphs a copy lacks (lists, teasers), and the story
alone on another URL, through the offline mode (the workers' steps): on another site the shorter
body is a near duplicate by the share of it found in the longer one; on the story's own site, it
is an article of its own (the site's other version), as it is when the other-site bound is set
to the one-site bound."""

from __future__ import annotations

import random
import re
from pathlib import Path

import orjson

from streams.offline import process_into
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
_SEED = (ROOT / "tests" / "data" / "seed.txt").read_text(encoding="utf-8").lower()
WORDS = sorted({w for w in re.findall(r"[a-z]{3,}", _SEED) if not w.endswith("icon")})
TITLE = "Harbour authority approves the new ferry terminal"


def _paragraphs(seed: str, n: int) -> list[str]:
    rng = random.Random(seed)
    sentence = lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 12))).capitalize() + "."  # noqa: E731
    return [" ".join(sentence() for _ in range(6)) for _ in range(n)]


STORY = _paragraphs("story", 10)
OWN = _paragraphs("own", 4)


def _page(url: str, paragraphs: list[str], fetched_at: str) -> dict:
    return {"url": url, "fetched_at": fetched_at, "text": TITLE + "\n\n" + "\n\n".join(paragraphs)}


def _verdicts(copy_url: str, **env: str) -> tuple[dict, dict]:
    settings = Settings.from_env({"COPYDESK_ENTITIES": "off", **env})
    messages = [
        _page("https://harbour-news.example.com/news/ferry", STORY + OWN, "2024-05-03T08:00:00Z"),
        _page(copy_url, STORY, "2024-05-03T09:00:00Z"),
    ]
    records: list[dict] = []
    process_into((orjson.dumps(m) for m in messages), settings, lambda _role, value: records.append(orjson.loads(value)))
    original, copy = (r for r in records if "correction" not in r)
    return original, copy


def test_another_sites_shorter_copy_is_a_near_duplicate_the_sites_own_shorter_version_is_not():
    original, copy = _verdicts("https://wire-digest.example.io/copied/ferry")
    assert original["dedup"]["status"] == "unique"
    assert copy["dedup"]["status"] == "near_duplicate" and copy["dedup"]["duplicate_of"] == original["id"]
    assert 0.9 <= copy["dedup"]["similarity"] <= 1.0
    _, own_site = _verdicts("https://harbour-news.example.com/news/ferry-short")
    assert own_site["dedup"]["status"] == "unique"
    _, strict = _verdicts(
        "https://wire-digest.example.io/copied/ferry", COPYDESK_NEAR_DUPLICATE_OTHER_SITE_MIN_LENGTH_RATIO="0.8"
    )
    assert strict["dedup"]["status"] == "unique"
