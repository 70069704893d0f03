"""Enrichment runs after dedup: a published article has keywords, entities and quotes; a copy
has none and costs the entity model nothing."""

from __future__ import annotations

from dataclasses import replace

import orjson

from schemas import contracts
from streams.offline import OfflineRun
from streams.settings import Settings
from tests.unit.test_entities import FakeRecogniser

BODY = (
    "Steve Warren, the coalition spokesman, said on Tuesday that fighters were moving to Libya. "
    "“We believe this failure is due to several factors,” Colonel Warren said in Baghdad. "
    "The coalition has struck targets near Sirte for three weeks and plans to continue."
)


def message(url: str, fetched_at: str, body: str = BODY) -> bytes:
    return orjson.dumps({"url": url, "fetched_at": fetched_at, "text": "Fighters move to Libya\n\n" + body})


def test_copies_are_not_enriched_and_pay_no_entity_model():
    fake = FakeRecogniser([("person", "Steve Warren"), ("place", "Libya")])
    base = Settings.from_env({"COPYDESK_SITELINES_MIN_ARTICLES": "0"})
    run = OfflineRun(replace(base, stage=replace(base.stage, entities=fake)))
    first = run.run_one(message("https://a.example.com/libya", "2024-05-03T10:00:00Z"), 0)
    recrawl = run.run_one(message("https://a.example.com/libya?utm_source=x", "2024-05-03T11:00:00Z"), 1)
    copy = run.run_one(message("https://b.example.org/syndicated", "2024-05-03T12:00:00Z"), 2)

    assert [first.role, recrawl.role, copy.role] == ["enriched", "duplicates", "duplicates"]
    assert len(fake.seen) == 1  # the entity model read the published article only
    published = orjson.loads(first.value)
    assert published["entities"]["people"] == ["Steve Warren"]
    assert published["quotes"][0]["speaker"] == "Steve Warren"
    assert "Libya" in published["keywords"]
    assert contracts.errors("enriched", published) == []
    for result in (recrawl, copy):
        record = orjson.loads(result.value)
        assert not {"entities", "keywords", "quotes"} & record.keys()
        assert record["schema_version"] == "2.1"
        assert record["dedup"]["duplicate_of"] == published["id"]
        assert contracts.errors("duplicates", record) == []
    # the contracts tell the two apart: a duplicate with enrichment, an enriched record without
    assert contracts.errors("duplicates", published | {"dedup": orjson.loads(copy.value)["dedup"]})
    assert contracts.errors("enriched", {k: v for k, v in published.items() if k != "keywords"})


def test_a_record_says_why_it_has_no_publication_time():
    # A dateline read in UTC on a site of no country, after the crawl: not published, set aside.
    run = OfflineRun(Settings.from_env({"COPYDESK_SITELINES_MIN_ARTICLES": "0", "COPYDESK_ENTITIES": "off"}))
    dated = "Updated 12 June 2024, 14:05\n\n" + BODY
    early = orjson.loads(run.run_one(message("https://a.example.com/libya", "2024-06-12T13:00:00Z", dated), 0).value)
    assert early["published_at"] is None
    assert early["published_at_after_fetch"] == "2024-06-12T14:05:00+00:00"
    assert early["schema_version"] == "2.1"
    assert contracts.errors("enriched", early) == []
    late = orjson.loads(run.run_one(message("https://b.example.com/libya", "2024-06-12T15:00:00Z", dated), 1).value)
    assert late["published_at"] == "2024-06-12T14:05:00+00:00"
    assert "published_at_after_fetch" not in late
