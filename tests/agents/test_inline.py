"""The next agent's step run inline (`streams.agents.batching.Hop`) where an article stays on its
partition, on the fakes of `test_router`: what it sends, what it writes, what it counts, and that
an article taken inline and one that came over the topic read each other's writes."""

from __future__ import annotations

import orjson
from prometheus_client import generate_latest

from processors import pipeline
from processors.options import StageOptions
from schemas.internal import dumps, items_of
from schemas.models import SourceRef
from streams.agents.batching import Hop, PendingWrites
from tests.agents.test_router import SEED, FakeEvent, FakeMessage, agent, bundle, deliver

OPTS = StageOptions()


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
    a = agent(b, steps, {}, envelopes_in=False)
    a.hops = {"extracted": hop}
    a._group_of = groups.__getitem__
    return a


def raw(url: str, text: str = SEED) -> bytes:
    return orjson.dumps({"url": url, "fetched_at": "2016-02-24T14:00:00Z", "text": text})


GROUPS = {"t.raw": 0, "t.extracted": 0, "t.urls-changelog": 0}


async def test_an_article_that_stays_on_its_partition_goes_through_the_url_step_without_a_hop():
    b = bundle()  # one partition: every article stays on its partition
    urls = PendingWrites({})
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
    urls = PendingWrites({})
    a = prepare(b, urls, {**GROUPS, "t.extracted": 1})  # another partition count
    (extraction,) = await deliver(a, SourceRef("t.raw", 0, 7, None), raw("https://www.rt.com/news/1/"))
    t = b.topics.topics
    (items,) = [items_of(v) for _, v in t["extracted"].sent]
    # the bytes the hop would have sent when the step ran with no in-process hand-on
    assert extraction.handed is None and items == [orjson.loads(extraction.value)]
    assert t["content"].sent == [] and urls.table == {}
    assert 'copydesk_inline_steps_total{stage="dedup_url"}' not in generate_latest(b.metrics.registry).decode()


async def test_an_inline_write_and_one_that_came_over_the_topic_see_each_other_before_either_batch_goes_out():
    b = bundle()
    urls = PendingWrites({})
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
