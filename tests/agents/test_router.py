"""The shell's routing without a broker: each message goes through an agent's own loop body
(`streams.agents.batching.BatchingAgent`: take it, then send its batch), with fake topics,
events and dict tables (`FakeTable`) in place of faust's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import orjson
from aiokafka.errors import KafkaTimeoutError
from prometheus_client import generate_latest

from processors import pipeline
from processors.options import StageOptions
from schemas.internal import items_of
from schemas.models import SourceRef
from processors import neardup
from streams.agents.batching import BatchingAgent
from streams.agents.chain import Router
from streams.band_index import BandIndex
from streams.metrics import Metrics
from streams.settings import Settings
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
    settings: Settings = field(default_factory=lambda: Settings.from_env({"COPYDESK_PARTITIONS": "1"}))


@dataclass(eq=False)
class FakeMessage:
    topic: str
    partition: int
    offset: int
    timestamp: float | None

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


@dataclass(eq=False)
class FakeEvent:
    message: FakeMessage
    value: bytes | None


class FakeManual:
    """The agent's no-ack stream, as far as the loop body uses it."""

    def __init__(self) -> None:
        self.acked: list[FakeEvent] = []

    async def ack(self, event: FakeEvent) -> None:
        self.acked.append(event)


class FakeTable(dict):
    """A table as the agents use it: read with `get`, a batch's writes stored with `store_all`
    (`streams.tables.DayKeyedTable`, which also sends their changelog records together); each
    batch's writes kept in `batches`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[dict] = []

    async def store_all(self, writes, store) -> None:
        self.batches.append(dict(writes))
        store(self, writes)


class BandDict(FakeTable):
    """The band table as a dict: the index is derived from it on each read (`index_of`), so an
    entry indexed ahead of its batch's store needs nothing here."""

    def index_pending(self, key, value) -> None:
        pass

    def store_indexed(self, key, value) -> None:
        self[key] = value


def agent(b, steps=None, table=None, *, envelopes_in: bool = True, budget_s: float = 0.0) -> BatchingAgent:
    """An agent on the fakes; `steps(get)` as `streams.agents.chain.register` gives them."""
    a = BatchingAgent(b, Router(b, budget_s), table, envelopes_in=envelopes_in)
    a.manual = FakeManual()
    if steps is not None:
        a.steps = steps(a.get)
    return a


async def deliver(a: BatchingAgent, here: SourceRef, value: bytes | None) -> list[pipeline.StepResult]:
    """One consumed message through the agent's loop body, its batch sent at once; its results."""
    ts = here.timestamp_ms / 1000 if here.timestamp_ms else None
    event = FakeEvent(FakeMessage(here.topic, here.partition, here.offset, ts), value)
    batch = a._take(None, event)
    results = [r for r, _ in batch.results]
    await a._flush(None)
    assert a.manual.acked[-1] is event  # acked once its batch was sent
    return results


def observations(bundle, stage: str) -> float | None:
    """How many durations the stage's histogram observed (one per message it ran)."""
    return bundle.metrics.registry.get_sample_value("copydesk_stage_duration_seconds_count", {"stage": stage})


def bundle() -> FakeBundle:
    roles = ["cleaned", "extracted", "content", "bands", "gather", "enrich", "enriched", "duplicates", "dead_letter"]
    return FakeBundle(FakeTopics({r: FakeTopic(f"t.{r}") for r in roles}), Metrics("test", registry=None))


async def run_chain(b: FakeBundle, payload: bytes, offset: int, tables: dict[str, dict]) -> None:
    """What the agents do for one raw message, with the fakes: each agent takes what the one
    before it sent (envelopes on the internal topics), in turn."""
    opts, now = StageOptions(), clock()
    here = SourceRef("t.raw", 0, offset, 1_700_000_000_000)
    agents = {
        "raw": agent(b, lambda get: [
            ("cleaning", lambda v, here, now: pipeline.clean_step(v, here, opts, now)),
            ("extraction", lambda v, _, now: pipeline.extract_step(v, opts, now)),
        ], envelopes_in=False),
        "extracted": agent(b, lambda get: [("dedup_url", lambda v, _, now: pipeline.dedup_url_step(v, get, opts, now, "t"))],
                           tables["urls"]),
        "content": agent(b, lambda get: [("dedup_content", lambda v, _, now: pipeline.dedup_content_step(
            v, get, opts, now, "t", lambda key: 0))], tables["contents"]),
        "bands": agent(b, lambda _: [("dedup_bands", lambda v, _, now: pipeline.dedup_bands_step(
            v, index_of(tables["bands"]).lookup, opts, now))], tables["bands"]),
        "gather": agent(b, lambda get: [("dedup_gather", lambda v, _, now: pipeline.dedup_gather_step(v, get, opts, now, "t"))],
                        tables["gather"]),
        "enrich": agent(b, lambda _: [("enrichment", lambda v, _, now: pipeline.enrich_step(v, opts, now))]),
    }
    topics = b.topics.topics
    seen = {role: len(topics[role].sent) for role in agents if role != "raw"}
    queue = [("raw", payload)]
    while queue:
        role, value = queue.pop(0)
        await deliver(agents[role], here, value)
        for next_role in agents:
            if next_role != "raw":
                queue += [(next_role, v) for _, v in topics[next_role].sent[seen[next_role]:]]
                seen[next_role] = len(topics[next_role].sent)


async def test_routes_each_outcome_to_its_topic_and_applies_table_writes():
    b = bundle()
    tables: dict[str, dict] = {"urls": FakeTable(), "contents": FakeTable(), "bands": BandDict(), "gather": FakeTable()}
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
    entries = [neardup.index_entries(k, v) for k, v in tables["bands"].items()]
    assert len(tables["bands"]) == 2 and sum(len(e) for e in entries) == 42
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
    (result,) = await deliver(agent(b, lambda get: steps, envelopes_in=False), here, message)

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


class RecordingTable(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.sets: list[tuple[str, dict]] = []

    def __setitem__(self, key, value) -> None:
        self.sets.append((key, value))
        super().__setitem__(key, value)


async def gather(parts: list[bytes], order: list[int], opts: StageOptions):
    b, table = bundle(), RecordingTable()
    gatherer = agent(b, lambda get: [("dedup_gather", lambda v, _, now: pipeline.dedup_gather_step(v, get, opts, now, "t"))],
                     table)
    for i in order:
        await deliver(gatherer, SourceRef("t.gather", 0, i, None), parts[i])
    return b, table


def assert_published_unique(b) -> None:
    """A unique article goes on to enrichment, which publishes it on enriched."""
    (request,) = [item for _, v in b.topics.topics["enrich"].sent for item in items_of(v)]
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


async def test_a_message_goes_straight_to_faust_producer_asked_once():
    """With faust's producer (`App.maybe_start_producer`), a message is the call faust's
    `Topic.send` of raw bytes ends in: the topic's name, the key, the value and the partition,
    no timestamp or headers; the producer is asked for once, and the topic's own send is unused."""
    sent, asked = [], []

    class Producer:
        async def send(self, topic, key, value, partition, timestamp, headers):  # noqa: ANN001, ANN201
            sent.append((topic, key, value, partition, timestamp, headers))
            delivered = asyncio.get_running_loop().create_future()
            delivered.set_result(None)
            return delivered

    async def producer() -> Producer:
        asked.append(True)
        return Producer()

    b = bundle()
    router = Router(b, 0.0, producer)
    assert await router.send("duplicates", b"id-1", b'{"status":"duplicate"}') == "t.duplicates"
    assert await router.send("gather", None, b'{"items":[]}', 3) == "t.gather"
    assert sent == [("t.duplicates", b"id-1", b'{"status":"duplicate"}', None, None, None),
                    ("t.gather", None, b'{"items":[]}', 3, None, None)]
    assert asked == [True]
    assert b.topics.for_role("duplicates").sent == [] and b.topics.for_role("gather").sent == []
    assert b.metrics.registry.get_sample_value("copydesk_messages_produced_total", {"topic": "t.gather"}) == 1


async def test_a_message_the_producer_did_not_deliver_is_logged_with_its_topic(caplog):
    failed = []

    class Producer:
        async def send(self, topic, key, value, partition, timestamp, headers):  # noqa: ANN001, ANN201
            failed.append(asyncio.get_running_loop().create_future())
            return failed[-1]

    async def producer() -> Producer:
        return Producer()

    router = Router(bundle(), 0.0, producer)
    with caplog.at_level("WARNING", logger="copydesk.agents"):
        await router.send("gather", None, b'{"items":[]}', 5)
        await router.send("duplicates", b"id-2", b"{}")
        failed[0].set_exception(KafkaTimeoutError())
        failed[1].set_result(None)
        await asyncio.sleep(0)
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [(r.getMessage().split(":")[0], r.partition) for r in warnings] == [("message to t.gather not sent", 5)]
