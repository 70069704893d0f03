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


# --- at-least-once replays: windows processed again, each table ahead of or behind them --------

TABLES = ("urls", "contents", "gather", "sitelines", "bands")


def snapshot(run: OfflineRun) -> dict[str, dict]:
    """Every table of the run as it is now (values are never changed in place: copies of the
    dicts are the state)."""
    tables = {name: dict(getattr(run, name)) for name in TABLES if name != "bands"}
    tables["bands"] = dict(run.band_index._db)
    return tables


def restore(run: OfflineRun, tables: dict[str, dict], names: list[str]) -> None:
    for name in names:
        target = run.band_index._db if name == "bands" else getattr(run, name)
        target.clear()
        target.update(tables[name])


def stream(rng: random.Random, articles: int = 90, resends: int = 24) -> list[bytes]:
    """A site's articles over two days, each with some of the site's lines (the first ones in
    most articles, the later ones in few), and identical resends a few inputs after their page."""
    lines = [f"{w.capitalize()} desk: more from the {v} pages of the Harbour Gazette" for w in WORDS[:6] for v in WORDS[6:9]]
    pages = []
    for n in range(articles):
        chosen = tuple(line for k, line in enumerate(lines) if rng.random() < 0.7 / (1 + k / 3))
        pages.append(page(n, day=2 + min(1, max(0, n * 2 // articles + rng.choice((-1, 0, 0, 1)))), furniture=chosen))
    out = list(pages)
    for original in sorted(rng.sample(range(articles - 10), resends), reverse=True):
        out.insert(out.index(pages[original]) + rng.randint(3, 12), pages[original])
    return out


def outcomes(messages: list[bytes], crashes: dict[int, tuple[int, list[str], int]]) -> dict[int, list[str]]:
    """Each input's verdicts, the first and those of its replays. `crashes[k] = (start, behind,
    lost)`: after input k - 1, the inputs from `start` are processed again, with the tables named
    in `behind` as they were before `start` (without the window's writes; the site-lines table
    also without the `lost` inputs before it, whose offsets were committed) and the others as
    they are (with them)."""
    run = OfflineRun(settings())
    states: list[dict[str, dict]] = []
    got: dict[int, list[str]] = {}
    for k, message in enumerate(messages):
        if k in crashes:
            start, behind, lost = crashes[k]
            restore(run, states[start], behind)
            if lost and "sitelines" in behind:
                restore(run, states[start - lost], ["sitelines"])
            for j in range(start, k):
                got[j].append(verdict(run.run_one(messages[j], j).value))
        states.append(snapshot(run))
        got[k] = [verdict(run.run_one(message, k).value)]
    return got


def test_replays_with_tables_ahead_or_behind_change_no_verdict_and_resends_stay_duplicates():
    rng = random.Random(14)
    messages = stream(rng)
    resends = {k for k, m in enumerate(messages) if m in messages[:k]}
    plain = outcomes(messages, {})
    assert [plain[k] for k in sorted(resends)] == [["duplicate"]] * len(resends)
    crashes, last = {}, 0
    for k in range(12, len(messages), 9):
        start = max(last, k - rng.randint(4, 12))
        behind = [name for name in TABLES if rng.random() < 0.5]
        crashes[k] = (start, behind, min(start - last, rng.randint(0, 6)))
        last = k
    replayed = outcomes(messages, crashes)
    wrong = {k: (plain[k], v) for k, v in replayed.items() if set(v) != set(plain[k])}
    assert not wrong, wrong
    assert sum(len(v) - 1 for v in replayed.values()) > 50  # inputs processed again
