"""The shell's routing without a broker: fake topics and a dict table stand in for faust's."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from prometheus_client import generate_latest

from processors import pipeline
from processors.options import StageOptions
from schemas.models import SourceRef
from streams.agents.chain import Router
from streams.band_index import BandIndex
from streams.metrics import Metrics
from streams.steps import clock, run_guarded
from streams.tables import partition_of

SEED = open("tests/data/seed.txt", encoding="utf-8").read()


@dataclass
class FakeTopic:
    name: str
    sent: list = field(default_factory=list)

    async def send(self, key=None, value=None, partition=None):
        self.sent.append((key, value))

    def get_topic_name(self) -> str:
        return self.name


@dataclass
class FakeTopics:
    topics: dict

    def for_role(self, role: str) -> FakeTopic:
        return self.topics[role]


@dataclass
class FakeBundle:
    topics: FakeTopics
    metrics: Metrics


def observations(bundle, stage: str) -> float | None:
    """How many durations the stage's histogram observed (one per message it ran)."""
    return bundle.metrics.registry.get_sample_value("copydesk_stage_duration_seconds_count", {"stage": stage})


def bundle() -> FakeBundle:
    roles = ["cleaned", "extracted", "content", "bands", "gather", "enrich", "enriched", "duplicates", "dead_letter"]
    return FakeBundle(FakeTopics({r: FakeTopic(f"t.{r}") for r in roles}), Metrics("test", registry=None))


async def run_chain(b: FakeBundle, payload: bytes, offset: int, tables: dict[str, dict]) -> None:
    """What the agents do for one raw message, with the fakes, each message in turn."""
    router, opts, now = Router(b), StageOptions(), clock()
    here = SourceRef("t.raw", 0, offset, 1_700_000_000_000)
    prepare = [
        ("cleaning", lambda v, here, now: pipeline.clean_step(v, here, opts, now)),
        ("extraction", lambda v, _, now: pipeline.extract_step(v, opts, now)),
    ]
    steps = {
        "extracted": ("dedup_url", lambda v: pipeline.dedup_url_step(v, tables["urls"].get, opts, now, "t"), "urls"),
        "content": (
            "dedup_content",
            lambda v: pipeline.dedup_content_step(v, tables["contents"].get, opts, now, "t", lambda key: 0),
            "contents",
        ),
        "bands": ("dedup_bands", lambda v: pipeline.dedup_bands_step(v, index_of(tables["bands"]).lookup, opts, now), "bands"),
        "gather": (
            "dedup_gather",
            lambda v: pipeline.dedup_gather_step(v, tables["gather"].get, opts, now, "t"),
            "gather",
        ),
        "enrich": ("enrichment", lambda v: pipeline.enrich_step(v, opts, now), None),
    }
    result = router.run_steps(prepare, here, payload)
    await router.emit(result, here)
    queue = [(result.role, result.value)] + [(e.role, e.value) for e in result.more]
    while queue:
        role, value = queue.pop(0)
        if role not in steps:
            continue
        stage, step, table = steps[role]
        result = router.run(stage, here, value, lambda _clock: step(value))
        await router.emit(result, here, tables[table] if table else None)
        queue += [(result.role, result.value)] + [(e.role, e.value) for e in result.more]


async def test_routes_each_outcome_to_its_topic_and_applies_table_writes():
    b = bundle()
    tables: dict[str, dict] = {"urls": {}, "contents": {}, "bands": {}, "gather": {}}
    message = orjson.dumps({"url": "https://www.rt.com/news/1/", "fetched_at": "2016-02-24T14:00:00Z", "text": SEED})
    near_copy = orjson.dumps(
        {"url": "https://copy.example.org/x", "fetched_at": "2016-02-24T15:00:00Z", "text": SEED.replace("43 people", "forty-three people")}
    )
    await run_chain(b, message, 0, tables)
    await run_chain(b, message, 1, tables)
    await run_chain(b, b"{oops", 2, tables)
    await run_chain(b, near_copy, 3, tables)

    t = b.topics.topics
    assert [orjson.loads(v)["dedup"]["status"] for _, v in t["enriched"].sent] == ["unique"]
    copies = [orjson.loads(v) for _, v in t["duplicates"].sent]
    assert [c["dedup"]["status"] for c in copies] == ["duplicate", "near_duplicate"]
    original = orjson.loads(t["enriched"].sent[0][1])["id"]
    assert copies[1]["dedup"]["duplicate_of"] == original and 0.8 <= copies[1]["dedup"]["similarity"] <= 1.0
    dead = [orjson.loads(v) for _, v in t["dead_letter"].sent]
    assert [(d["error"]["kind"], d["offset"], d["payload"]) for d in dead] == [("invalid_json", 2, "{oops")]
    assert len(tables["urls"]) == 2 and len(tables["contents"]) == 2  # day-keyed: one key per article
    assert tables["gather"] == {}  # each gathered article is deleted once published
    # one band message each (one partition) for the two stored articles, naming their 21 band keys
    assert len(tables["bands"]) == 2 and sum(len(v["seqs"]) for v in tables["bands"].values()) == 42
    assert t["enriched"].sent[0][0] == orjson.loads(t["enriched"].sent[0][1])["id"].encode()
    # cleaning hands on to extraction in the same agent: nothing travels between them
    assert t["cleaned"].sent == [] and len(t["extracted"].sent) == 3

    text = generate_latest(b.metrics.registry).decode()
    assert 'copydesk_dedup_verdicts_total{status="unique"} 1.0' in text
    assert 'copydesk_dead_letters_total{reason="invalid_json",stage="cleaning"} 1.0' in text
    assert 'copydesk_messages_produced_total{topic="t.duplicates"} 2.0' in text
    for stage in ("cleaning", "extraction", "dedup_url", "dedup_content", "dedup_bands", "dedup_gather"):
        assert f'copydesk_in_flight_messages{{stage="{stage}"}} 0.0' in text
    # both steps of `prepare` are observed apart: how many observations each histogram holds
    # (a count of messages, no timing is asserted)
    assert observations(b, "cleaning") == 4
    assert observations(b, "extraction") == 3
    assert 'copydesk_stage_messages_total{outcome="ok",stage="cleaning"} 3.0' in text
    assert 'copydesk_stage_messages_total{outcome="ok",stage="extraction"} 3.0' in text
    assert 'copydesk_dedup_verdicts_total{status="near_duplicate"} 1.0' in text
    assert "process_resident_memory_bytes" in text


async def test_steps_in_one_agent_count_the_message_once_and_a_later_step_dead_letters_under_its_stage():
    b, opts = bundle(), StageOptions()
    here = SourceRef("t.raw", 1, 5, None)
    message = orjson.dumps({"url": "https://www.rt.com/news/1/", "fetched_at": "2016-02-24T14:00:00Z", "text": SEED})

    def broken(value, here, now):
        raise ZeroDivisionError("a bug")

    steps = [("cleaning", lambda v, here, now: pipeline.clean_step(v, here, opts, now)), ("extraction", broken)]
    result = Router(b).run_steps(steps, here, message)
    await Router(b).emit(result, here)

    record = orjson.loads(result.value)
    assert record["error"]["stage"] == "extraction" and record["error"]["kind"] == "internal_error"
    # the dead letter names the raw input and carries its bytes, not the handed-on value
    assert (record["topic"], record["partition"], record["offset"]) == ("t.raw", 1, 5)
    assert record["payload"] == message.decode()
    text = generate_latest(b.metrics.registry).decode()
    assert 'copydesk_messages_consumed_total{topic="t.raw"} 1.0' in text
    assert 'copydesk_stage_messages_total{outcome="ok",stage="cleaning"} 1.0' in text
    assert 'copydesk_stage_messages_total{outcome="internal_error",stage="extraction"} 1.0' in text
    for stage in ("cleaning", "extraction"):
        assert observations(b, stage) == 1
        assert f'copydesk_in_flight_messages{{stage="{stage}"}} 0.0' in text


def test_an_unexpected_error_in_a_later_stage_becomes_an_internal_dead_letter_naming_the_raw_input():
    here = SourceRef("t.extracted", 3, 42, None)
    now = clock()
    inner = orjson.dumps({"source": {"topic": "t.raw", "partition": 1, "offset": 9}, "article": {}})

    def broken():
        raise ZeroDivisionError("a bug")

    result = run_guarded("dedup_url", broken, inner, here, now)
    record = orjson.loads(result.value)
    assert result.role == "dead_letter" and result.error_kind == "internal_error"
    assert record["error"] == {"kind": "internal_error", "message": "ZeroDivisionError: a bug", "stage": "dedup_url"}
    # accounted to the raw input, not to the intermediate message; its bytes stay in the raw topic
    assert (record["topic"], record["partition"], record["offset"]) == ("t.raw", 1, 9)
    assert (record["payload"], record["payload_encoding"]) == (None, "none")


def index_of(table: dict[str, dict]) -> BandIndex:
    """The band index derived from the band table, as a worker builds it after a recovery."""
    index = BandIndex()
    index.add_all(table.items())
    return index


def gather_part(opts: StageOptions, tables: dict[str, dict], payload: bytes, offset: int) -> bytes:
    """An article's message to the gather step, as the content step and the probe's band steps
    make it (four partitions): the article with the replies of all its bands."""
    now, here = clock(), SourceRef("t.raw", 0, offset, None)
    extracted = pipeline.extract_step(pipeline.clean_step(payload, here, opts, now).handed, opts, now)
    probe = pipeline.dedup_url_step(extracted.value, tables["urls"].get, opts, now, "t")
    content = pipeline.dedup_content_step(probe.value, tables["contents"].get, opts, now, "t", lambda key: partition_of(key, 4))
    assert content.role == "none" and content.value == b""
    (emission,) = content.more
    stops, band_keys = [], []
    while True:
        stops.append(emission.partition)
        band_keys += orjson.loads(emission.value)["band_keys"]
        assert all(partition_of(k, 4) == emission.partition for k in orjson.loads(emission.value)["band_keys"])
        reply = pipeline.dedup_bands_step(emission.value, index_of(tables["bands"]).lookup, opts, now)
        tables["bands"].update(reply.writes)
        if reply.role == "gather":
            break
        assert reply.role == "none" and reply.value == b""
        (emission,) = reply.more
    # the probe went to each partition that owns some of the 21 band keys, once, in order
    assert stops == sorted(set(stops)) and len(band_keys) == len(set(band_keys)) == 21
    complete = orjson.loads(reply.value)
    assert complete["kind"] == "complete" and len(complete["replies"]) == 21
    assert complete["article"]["url"] == "https://www.rt.com/news/1/"
    return reply.value


class RecordingTable(dict):
    def __init__(self) -> None:
        super().__init__()
        self.sets: list[tuple[str, dict]] = []

    def __setitem__(self, key, value) -> None:
        self.sets.append((key, value))
        super().__setitem__(key, value)


async def gather(parts: list[bytes], order: list[int], opts: StageOptions):
    b, table = bundle(), RecordingTable()
    router = Router(b)
    for i in order:
        value = parts[i]
        result = router.run("dedup_gather", SourceRef("t.gather", 0, i, None), value,
                            lambda now: pipeline.dedup_gather_step(value, table.get, opts, now, "t"))
        await router.emit(result, SourceRef("t.gather", 0, i, None), table)
    return b, table


def assert_published_unique(b) -> None:
    """A unique article goes on to enrichment, which publishes it on enriched."""
    (request,) = [orjson.loads(v) for _, v in b.topics.topics["enrich"].sent]
    record = request["record"]
    assert record["dedup"]["status"] == "unique" and record["source"]["offset"] == 0
    assert b.topics.topics["enriched"].sent == []


MESSAGE = orjson.dumps({"url": "https://www.rt.com/news/1/", "fetched_at": "2016-02-24T14:00:00Z", "text": SEED})


async def test_the_gather_decides_the_probes_complete_part_at_once_and_stores_nothing():
    opts = StageOptions()
    part = gather_part(opts, {"urls": {}, "contents": {}, "bands": {}}, MESSAGE, 0)
    b, table = await gather([part], [0], opts)
    assert_published_unique(b)
    assert table == {} and table.sets == []


async def test_the_gather_still_collects_an_older_workers_parts_in_any_order_and_leaves_nothing_behind():
    """An older worker sent the article to the gather and each band partition's replies apart."""
    opts = StageOptions()
    complete = orjson.loads(gather_part(opts, {"urls": {}, "contents": {}, "bands": {}}, MESSAGE, 0))
    part = complete["replies"][0]["band_key"]
    pending = {"kind": "pending", "source": complete["source"], "article": complete["article"],
               "candidate": complete["candidate"], "sketch": complete["sketch"], "parts": [part]}
    replies = {"kind": "replies", "part": part, "replies": complete["replies"], "source": complete["source"],
               "fetched_at": complete["article"]["fetched_at"]}
    parts = [orjson.dumps(pending), orjson.dumps(replies)]
    for order in ([0, 1], [1, 0]):
        b, table = await gather(parts, order, opts)
        assert_published_unique(b)
        assert table == {}
        # the first part is written once and the last one not at all
        assert [("article" in value) for _, value in table.sets] == [order[0] == 0]


def test_a_probe_of_the_scatter_gather_layout_still_gets_its_reply_to_the_gather():
    """A probe an older worker left on the band topic (no route, no replies) replies alone, as
    the part its article's pending entry waits for (its first band key)."""
    old = orjson.dumps({"gather_key": "t.raw/0/7", "article_id": "a", "fetched_at": "2016-02-24T14:00:00Z",
                        "sketch": "AAAA" * 43, "band_keys": ["3:0a0b0c0d0e0f", "9:aaaaaaaaaaaa"],
                        "source": {"topic": "t.raw", "partition": 0, "offset": 7}})
    result = pipeline.dedup_bands_step(old, BandIndex().lookup, StageOptions(), clock())
    reply = orjson.loads(result.value)
    assert (result.role, result.key) == ("gather", b"t.raw/0/7")
    assert reply["part"] == "3:0a0b0c0d0e0f" and [r["band_key"] for r in reply["replies"]] == ["3:0a0b0c0d0e0f", "9:aaaaaaaaaaaa"]
