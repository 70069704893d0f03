"""The original of a set of copies is the one fetched first, whichever dedup decides first: an
article decided after a copy fetched later than it takes the original's place, and the copy gets
a correction on duplicates. Read as tables (an id on duplicates is a copy), the outcome does not
depend on processing order."""

from __future__ import annotations

from dataclasses import replace

import orjson

from schemas import contracts
from streams.cli import summarise
from streams.offline import OfflineRun
from streams.settings import Settings
from tests.unit.test_entities import FakeRecogniser

BODY = (
    "The harbour authority closed the northern pier on Tuesday after inspectors found cracks in two of its "
    "supporting columns. Ferries to the islands will leave from the southern terminal until repairs are done, "
    "which the authority expects to take six weeks. Local traders said the closure came at the worst time, "
    "with the summer season about to begin and the first cruise ships due in port next month."
)
NEAR = BODY.replace("six weeks", "about six weeks") + " Mirrored by a regional portal."
SETTINGS = Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_SITELINES_MIN_ARTICLES": "0"})


def message(url: str, fetched_at: str, body: str) -> bytes:
    return orjson.dumps({"url": url, "fetched_at": fetched_at, "text": "Pier closed after cracks found\n\n" + body})


def run_all(messages: list[bytes]) -> tuple[list, list[dict]]:
    """Each input's outcome (role, record) and the corrections sent, through the offline chain."""
    run = OfflineRun(SETTINGS)
    outcomes, corrections = [], []
    for offset, payload in enumerate(messages):
        result = run.run_one(payload, offset)
        outcomes.append((result.role, orjson.loads(result.value)))
        corrections += [orjson.loads(value) for role, value in run.emitted if role == "duplicates"]
        run.emitted.clear()
    return outcomes, corrections


def table_view(outcomes, corrections) -> dict[str, str]:
    """What a reader of the topics as tables ends with: id -> status (duplicates win)."""
    view = {r["id"]: r["dedup"]["status"] for role, r in outcomes if role == "enriched"}
    view.update({r["id"]: r["dedup"]["status"] for role, r in outcomes if role == "duplicates"})
    view.update({c["id"]: c["dedup"]["status"] for c in corrections})
    return view


def test_a_publisher_decided_after_its_mirror_takes_the_originals_place():
    mirror = message("https://mirror.example.org/pier", "2024-06-12T15:00:00Z", BODY)
    publisher = message("https://harbour-news.example.com/pier", "2024-06-12T13:00:00Z", BODY)
    outcomes, corrections = run_all([mirror, publisher])
    (role_m, m), (role_p, p) = outcomes
    assert (role_m, m["dedup"]["status"]) == ("enriched", "unique")  # nothing fetched earlier was known yet
    assert (role_p, p["dedup"]["status"]) == ("enriched", "unique")  # the publisher is the original
    (correction,) = corrections
    assert correction["id"] == m["id"]
    assert correction["dedup"] == {"status": "duplicate", "duplicate_of": p["id"], "cluster_id": p["id"], "similarity": 1.0}
    assert correction["correction"] == {"reason": "fetched_earlier", "by": {"topic": SETTINGS.topics.raw, "partition": 0, "offset": 1}}
    assert contracts.errors("duplicates", correction) == []
    assert table_view(outcomes, corrections) == {p["id"]: "unique", m["id"]: "duplicate"}
    assert summarise(correction).startswith(f"correction id={m['id'][:12]} is now duplicate duplicate_of={p['id'][:12]}")

    # in the other order there is nothing to correct, and readers end with the same view
    outcomes2, corrections2 = run_all([publisher, mirror])
    assert corrections2 == [] and table_view(outcomes2, corrections2) == table_view(outcomes, corrections)

    # a later copy names the publisher, whose place in the body's state is taken
    third = message("https://aggregator.example.net/pier", "2024-06-12T16:00:00Z", BODY)
    outcomes3, _ = run_all([mirror, publisher, third])
    assert outcomes3[2][1]["dedup"]["duplicate_of"] == p["id"]


def test_a_near_copy_fetched_later_but_decided_first_is_corrected():
    fake = FakeRecogniser([("place", "Harbour")])
    settings = replace(SETTINGS, stage=replace(SETTINGS.stage, entities=fake))
    run = OfflineRun(settings)
    mirror = run.run_one(message("https://mirror.example.org/pier", "2024-06-12T15:00:00Z", NEAR), 0)
    publisher = run.run_one(message("https://harbour-news.example.com/pier", "2024-06-12T13:00:00Z", BODY), 1)
    (role, value), = run.emitted
    m, p, correction = orjson.loads(mirror.value), orjson.loads(publisher.value), orjson.loads(value)
    assert mirror.role == publisher.role == "enriched"
    assert role == "duplicates" and correction["id"] == m["id"]
    assert correction["dedup"]["status"] == "near_duplicate" and correction["dedup"]["duplicate_of"] == p["id"]
    assert 0.8 <= correction["dedup"]["similarity"] < 1.0
    assert len(fake.seen) == 2  # both were published when decided, so both were enriched


def test_copies_fetched_at_the_same_moment_keep_the_input_order():
    first = message("https://a.example.org/pier", "2024-06-12T13:00:00Z", BODY)
    second = message("https://b.example.org/pier", "2024-06-12T13:00:00Z", BODY)
    near = message("https://c.example.org/pier", "2024-06-12T13:00:00Z", NEAR)
    outcomes, corrections = run_all([first, second, near])
    assert corrections == []
    assert [r["dedup"]["status"] for _, r in outcomes] == ["unique", "duplicate", "near_duplicate"]
    assert {r["dedup"]["duplicate_of"] for _, r in outcomes[1:]} == {outcomes[0][1]["id"]}


def test_a_repeated_input_sends_its_correction_again():
    mirror = message("https://mirror.example.org/pier", "2024-06-12T15:00:00Z", BODY)
    publisher = message("https://harbour-news.example.com/pier", "2024-06-12T13:00:00Z", BODY)
    run = OfflineRun(SETTINGS)
    run.run_one(mirror, 0)
    first = run.run_one(publisher, 1)
    sent = list(run.emitted)
    run.emitted.clear()
    again = run.run_one(publisher, 1)  # the same input after a crash (at-least-once)
    assert orjson.loads(again.value)["dedup"] == orjson.loads(first.value)["dedup"]
    assert [(r, orjson.loads(v)["dedup"]) for r, v in run.emitted] == [(r, orjson.loads(v)["dedup"]) for r, v in sent]


def test_a_batch_gives_what_its_messages_give_one_after_the_other(monkeypatch):
    import streams.offline
    from processors.pipeline import Clock

    monkeypatch.setattr(streams.offline, "clock", lambda: Clock(now="2024-06-13T00:00:00Z"))
    messages = [
        message("https://mirror.example.org/pier", "2024-06-12T15:00:00Z", BODY),
        b'{"url": "https://broken.example.org/a", "fetched_at": ',
        message("https://harbour-news.example.com/pier", "2024-06-12T13:00:00Z", BODY),
        message("https://portal.example.net/pier", "2024-06-12T16:00:00Z", NEAR),
        message("https://mirror.example.org/pier", "2024-06-12T15:00:00Z", BODY),
    ]
    one, batch = OfflineRun(SETTINGS), OfflineRun(SETTINGS)
    one_by_one = []
    for offset, payload in enumerate(messages, start=7):
        result = one.run_one(payload, offset)
        one_by_one.append((result.role, result.value, list(one.emitted)))
        one.emitted.clear()
    together = [(result.role, result.value, more) for result, more in batch.run_many(messages, 7)]
    assert together == one_by_one
    assert [role for role, _, _ in together] == ["enriched", "dead_letter", "enriched", "duplicates", "duplicates"]
    assert sum(len(more) for _, _, more in together) == 1  # the mirror's correction
    assert (batch.urls, batch.contents, batch.gather) == (one.urls, one.contents, one.gather)
