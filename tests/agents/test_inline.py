"""The next agent's step run inline (`streams.agents.batching.Hop`) where an article stays on its
partition, on the fakes of `test_router`: what it sends, what it writes, what it counts, and that
an article taken inline and one that came over the topic read each other's writes."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from prometheus_client import generate_latest

from processors import pipeline
from processors.options import StageOptions
from schemas.internal import BandProbe, dumps, items_of
from schemas.models import SourceRef
from streams.agents.batching import BatchingAgent, Hop, PendingWrites
from streams.band_index import BandIndex
from streams.offline import process_into
from streams.settings import Settings
from streams.tables import partition_of
from tests.agents.test_router import SEED, FakeEvent, FakeMessage, FakeTable, agent, bundle, deliver

OPTS = StageOptions()
REPO = Path(__file__).resolve().parents[2]


def url_step(get):
    return lambda v, _, now: pipeline.dedup_url_step(v, get, OPTS, now, "t")


def prepare(b, urls: PendingWrites, groups: dict[str, int]):
    """`prepare` with the url step as its hop; `groups`: the topic group of each topic (faust's
    assignor's), by which the hop is taken only where the topics are assigned together."""
    hop = Hop("extracted", "t.extracted", "dedup_url", url_step(urls.get), urls, dumps, ("t.urls-changelog",))
    steps = lambda get: [  # noqa: E731
        ("cleaning", lambda v, here, now: pipeline.clean_step(v, here, OPTS, now)),
        ("extraction", lambda v, _, now: pipeline.extract_step(v, OPTS, now, get, in_process=True)),
    ]
    a = agent(b, steps, FakeTable(), envelopes_in=False)
    a.hops = {"extracted": hop}
    a._group_of = groups.__getitem__
    return a


def raw(url: str, text: str = SEED) -> bytes:
    return orjson.dumps({"url": url, "fetched_at": "2016-02-24T14:00:00Z", "text": text})


GROUPS = {"t.raw": 0, "t.extracted": 0, "t.urls-changelog": 0}


async def test_an_article_that_stays_on_its_partition_goes_through_the_url_step_without_a_hop():
    b = bundle()  # one partition: every article stays on its partition
    urls = PendingWrites(FakeTable())
    a = prepare(b, urls, GROUPS)
    (extraction, url) = await deliver(a, SourceRef("t.raw", 0, 7, None), raw("https://www.rt.com/news/1/"))
    t = b.topics.topics
    assert t["extracted"].sent == []  # no hop
    (content,) = [items_of(v) for _, v in t["content"].sent]
    assert len(content) == 1 and content[0]["article"]["url"] == "https://www.rt.com/news/1/"
    assert (extraction.stage, url.stage, url.role) == ("extraction", "dedup_url", "content")
    assert len(urls.table) == 1 and urls.values == {} and urls.holders == {}  # stored once sent
    text = generate_latest(b.metrics.registry).decode()
    assert 'copydesk_inline_steps_total{stage="dedup_url"} 1.0' in text
    for stage in ("cleaning", "extraction", "dedup_url"):  # each counted as its stage
        assert f'copydesk_stage_messages_total{{outcome="ok",stage="{stage}"}} 1.0' in text
        assert f'copydesk_in_flight_messages{{stage="{stage}"}} 0.0' in text
    assert 'topic="t.extracted"' not in text  # neither produced nor consumed

    # the same URL again, inline: a re-crawl of the same body, decided on the stored entry
    await deliver(a, SourceRef("t.raw", 0, 8, None), raw("https://www.rt.com/news/1/"))
    (record,) = [orjson.loads(v) for _, v in t["duplicates"].sent]
    assert record["dedup"]["status"] == "duplicate" and record["source"]["offset"] == 8


async def test_an_article_goes_to_the_topic_where_its_topics_are_not_assigned_together():
    b = bundle()
    urls = PendingWrites(FakeTable())
    a = prepare(b, urls, {**GROUPS, "t.extracted": 1})  # another partition count
    here = SourceRef("t.raw", 0, 7, None)
    await deliver(a, here, raw("https://www.rt.com/news/1/"))
    t = b.topics.topics
    (items,) = [items_of(v) for _, v in t["extracted"].sent]
    # the bytes the step sends when it runs with no in-process hand-on
    alone = pipeline.extract_step(pipeline.clean_step(raw("https://www.rt.com/news/1/"), here, OPTS, None).handed, OPTS, None)
    assert alone.handed is None and items == [orjson.loads(alone.value)]
    assert t["content"].sent == [] and urls.table == {}
    assert 'copydesk_inline_steps_total{stage="dedup_url"}' not in generate_latest(b.metrics.registry).decode()


async def test_an_inline_write_and_one_that_came_over_the_topic_see_each_other_before_either_batch_goes_out():
    b = bundle()
    urls = PendingWrites(FakeTable())
    a = prepare(b, urls, GROUPS)
    u = agent(b, lambda get: [("dedup_url", url_step(get))], urls.table)
    u.pending = urls  # as `chain.register` shares one table's pending writes
    same = raw("https://www.rt.com/news/1/")

    # the article inline on raw partition 0; its batch not sent yet
    a._take(None, FakeEvent(FakeMessage("t.raw", 0, 1, None), same))
    assert list(urls.holders.values()) == [1] and urls.table == {}
    # the same URL from another raw partition, over the topic, to the url agent: it reads the
    # pending write and knows the article
    extracted = pipeline.extract_step(pipeline.clean_step(same, SourceRef("t.raw", 3, 2, None), OPTS, None).handed, OPTS, None)
    batch = u._take(None, FakeEvent(FakeMessage("t.extracted", 0, 0, None), b'{"items":[' + extracted.value + b"]}"))
    (second,) = [r for r, _ in batch.results]
    assert second.verdict == "duplicate"
    latest = dict(urls.values)
    assert list(urls.holders.values()) == [2]
    # whichever batch goes out first, the table ends with the latest value, and nothing is left
    await u._flush(None)
    assert urls.table == latest and list(urls.holders.values()) == [1]
    await a._flush(None)
    assert urls.table == latest and urls.values == {} and urls.holders == {}
    assert urls.table.batches == [latest, latest]  # each batch stored the latest value, once


class IndexedBands(FakeTable):
    """The band table as a dict with its index beside it, as `streams.tables.BandTable` keeps
    it: an entry is indexed as its step returns it, stored when its batch goes out."""

    def __init__(self) -> None:
        super().__init__()
        self.index = BandIndex()

    def index_pending(self, key, value) -> None:
        self.index.add(key, value)

    def store_indexed(self, key, value) -> None:
        self[key] = value


def whole_chain(b, tables: dict) -> BatchingAgent:
    """`prepare` with every later step as its hops, on one partition (as `chain.register`)."""
    def hop(role, stage, step, table, encode):
        return Hop(role, f"t.{role}", stage, step(table.get), table, encode, (f"t.{role}-changelog",))

    urls, contents, bands, gather = (PendingWrites(tables[k]) for k in ("urls", "contents", "bands", "gather"))
    hops = [
        hop("extracted", "dedup_url", lambda get: lambda v, _, now: pipeline.dedup_url_step(v, get, OPTS, now, "t", in_process=True), urls, dumps),
        hop("content", "dedup_content", lambda get: lambda v, _, now: pipeline.dedup_content_step(
            v, get, OPTS, now, "t", lambda key: 0, in_process=True), contents, dumps),
        hop("bands", "dedup_bands", lambda _: lambda v, _, now: pipeline.dedup_bands_step(
            v, tables["bands"].index.lookup, OPTS, now), bands, BandProbe.to_bytes),
        hop("gather", "dedup_gather", lambda get: lambda v, _, now: pipeline.dedup_gather_step(v, get, OPTS, now, "t"), gather, orjson.dumps),
    ]
    a = prepare(b, urls, {})
    a.hops = {h.role: h for h in hops}
    a._group_of = lambda topic: 0
    return a


def verdicts(records: list[dict]) -> list[tuple]:
    """Each record's input, article, verdict and original (a correction names no input)."""
    return [((r.get("source") or {}).get("offset"), r["id"], r["dedup"]["status"], r["dedup"].get("duplicate_of")) for r in records]


async def test_with_one_partition_the_whole_chain_runs_in_prepare_and_reaches_the_offline_verdicts():
    messages = [line for line in (REPO / "samples" / "raw.jsonl").read_bytes().splitlines() if line.strip()]
    copies = [messages[i] for i in (0, 3, 5)]
    near = [raw("https://www.rt.com/news/1/"), raw("https://copy.example.org/x", SEED.replace("43 people", "forty-three people"))]
    inputs = messages + copies + near + copies
    b = bundle()
    tables = {"urls": FakeTable(), "contents": FakeTable(), "bands": IndexedBands(), "gather": FakeTable()}
    a = whole_chain(b, tables)
    # two batches, each many messages (a step reads the writes its batch has not stored yet)
    for start, end in ((0, len(inputs) // 2), (len(inputs) // 2, len(inputs))):
        for offset in range(start, end):
            a._take(None, FakeEvent(FakeMessage("t.raw", 0, offset, None), inputs[offset]))
        await a._flush(None)
    t = b.topics.topics
    for role in ("cleaned", "extracted", "content", "bands", "gather"):
        assert t[role].sent == [], role  # no internal hop at all
    new = [item["record"] for _, v in t["enrich"].sent for item in items_of(v)]
    copied = [orjson.loads(v) for _, v in t["duplicates"].sent]
    dead = [orjson.loads(v) for _, v in t["dead_letter"].sent]

    settings = Settings.from_env({"COPYDESK_PARTITIONS": "1", "COPYDESK_ENTITIES": "off"})
    offline: dict[str, list[dict]] = {}
    process_into(inputs, settings, lambda role, value: offline.setdefault(role, []).append(orjson.loads(value)))
    assert verdicts(new) == verdicts(offline.get("enriched", []))
    assert verdicts(copied) == verdicts(offline.get("duplicates", []))
    assert [(d["offset"], d["error"]["kind"]) for d in dead] == [(d["offset"], d["error"]["kind"]) for d in offline.get("dead_letter", [])]
    statuses = Counter(r["dedup"]["status"] for r in copied)
    assert statuses["duplicate"] >= 6 and statuses["near_duplicate"] >= 1, statuses
    text = generate_latest(b.metrics.registry).decode()
    for stage in ("dedup_url", "dedup_content", "dedup_bands", "dedup_gather"):
        taken = b.metrics.registry.get_sample_value("copydesk_inline_steps_total", {"stage": stage})
        ran = sum(
            b.metrics.registry.get_sample_value("copydesk_stage_messages_total", {"stage": stage, "outcome": o}) or 0
            for o in ("ok", "dead_letter", "internal_error")
        )
        assert taken and taken == ran, (stage, taken, ran)
    assert 'copydesk_in_flight_messages{stage="dedup_gather"} 0.0' in text
    assert all(not p.values and not p.holders for p in (h.pending for h in a.hops.values()))


async def test_with_several_partitions_a_hop_that_stays_is_run_inline_only_when_the_setting_says_always():
    url = "https://www.rt.com/news/1/"
    here = SourceRef("t.raw", 0, 7, None)
    extracted = pipeline.extract_step(pipeline.clean_step(raw(url), here, OPTS, None).handed, OPTS, None)
    own = partition_of(extracted.key.decode(), 2)  # the raw partition on which the hop stays
    for setting, inline in (("one-partition", False), ("always", True), ("never", False)):
        b = bundle()
        b.settings = Settings.from_env({"COPYDESK_PARTITIONS": "2", "COPYDESK_INLINE_STEPS": setting})
        urls = PendingWrites(FakeTable())
        a = prepare(b, urls, GROUPS)
        await deliver(a, SourceRef("t.raw", own, 7, None), raw(url))
        t = b.topics.topics
        assert (len(t["extracted"].sent), len(t["content"].sent)) == ((0, 1) if inline else (1, 0)), setting
        if not inline:  # the extraction's object, encoded as the hop encodes it, its key the article's id
            ((key, value),) = t["extracted"].sent
            assert key == extracted.key and items_of(value) == [orjson.loads(extracted.value)], setting


class CancelledAfterOne:
    """A no-ack stream that hands over one message, then is cancelled (a rebalance, a stop)."""

    def __init__(self, event: FakeEvent) -> None:
        self.event = event
        self.acked: list[FakeEvent] = []

    def noack(self) -> CancelledAfterOne:
        return self

    async def events(self):
        yield self.event
        raise asyncio.CancelledError

    async def ack(self, event: FakeEvent) -> None:
        self.acked.append(event)


async def test_a_batch_never_sent_leaves_nothing_in_flight_and_no_pending_write():
    """Its messages are read again by the next owner: here, its steps (the inline one too) are no
    longer in flight, and its writes are no one's to read."""
    b = bundle()
    urls = PendingWrites(FakeTable())
    a = prepare(b, urls, GROUPS)
    b.app = SimpleNamespace(consumer=SimpleNamespace(highwater=lambda tp: 100))  # more to come: no send yet
    stream = CancelledAfterOne(FakeEvent(FakeMessage("t.raw", 0, 7, None), raw("https://www.rt.com/news/1/")))
    with pytest.raises(asyncio.CancelledError):
        await a.run(stream)
    assert stream.acked == [] and urls.table == {} and urls.values == {} and urls.holders == {}
    text = generate_latest(b.metrics.registry).decode()
    assert 'copydesk_inline_steps_total{stage="dedup_url"} 1.0' in text
    for stage in ("cleaning", "extraction", "dedup_url"):
        assert f'copydesk_in_flight_messages{{stage="{stage}"}} 0.0' in text, stage
