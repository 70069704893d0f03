"""Identical resends and at-least-once replays, offline: the chain's steps as the workers run them
(`streams.offline.OfflineRun`), with the tables as a worker may find them after a kill -9.

A page's body depends on its site's lines (`processors.sitelines`), which the site keeps learning:
the same page, sent twice, may lose a line the second time that it kept the first. The URL check
must still see the same page, and call the second one a `duplicate`.
"""

from __future__ import annotations

import random

import orjson

from streams.offline import OfflineRun
from streams.settings import Settings

SITE = "https://www.harbour-gazette.example/local"
FURNITURE = "Tips for the desk: write to the Harbour Gazette newsroom"
WORDS = ("harbour", "orchard", "museum", "glacier", "stadium", "library", "vineyard", "canal", "tramway",
         "airport", "quarry", "market", "ferry", "bakery", "theatre", "bridge", "tunnel", "meadow")


def paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + "."


def page(n: int, day: int = 3, furniture: tuple[str, ...] = (FURNITURE,)) -> bytes:
    rng = random.Random(n)
    lines = [paragraph(rng), *furniture, paragraph(rng), paragraph(rng)]
    return orjson.dumps(
        {"url": f"{SITE}/story-{n}", "fetched_at": f"2024-05-{day:02d}T10:00:00Z", "text": "\n\n".join(lines)}
    )


def settings() -> Settings:
    return Settings.from_env({"COPYDESK_ENTITIES": "off"})


def verdict(value: bytes) -> str:
    record = orjson.loads(value)
    return record["dedup"]["status"] if "dedup" in record else record["error"]["kind"]


def test_a_resend_is_a_duplicate_after_its_site_learnt_a_line_it_kept():
    """The first time, the line is seen in no other article and stays; then three articles of the
    day before, processed later, print it; the resend loses it, and is still the same page."""
    run = OfflineRun(settings())
    first = run.run_one(page(0), 0)
    assert verdict(first.value) == "unique" and FURNITURE in orjson.loads(first.value)["text"]
    for n in range(1, 4):
        run.run_one(page(n, day=2), n)
    resend = run.run_one(page(0), 4)
    assert verdict(resend.value) == "duplicate", orjson.loads(resend.value)["dedup"]


def test_a_resend_is_a_duplicate_when_the_site_lines_lost_the_first_pass():
    """A worker that took the partition over recovered the site-lines table without the first
    pass's write (its offset committed, its changelog record lost): three later articles then
    count the line without it, and the resend drops it."""
    run = OfflineRun(settings())
    run.run_one(page(0), 0)
    run.sitelines.clear()
    for n in range(1, 4):
        run.run_one(page(n), n)
    resend = run.run_one(page(0), 4)
    assert FURNITURE not in orjson.loads(resend.value)["text"]
    assert verdict(resend.value) == "duplicate", orjson.loads(resend.value)["dedup"]
