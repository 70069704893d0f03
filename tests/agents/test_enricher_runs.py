"""How enrichment cuts a read into runs (whole messages, about `COPYDESK_ENRICH_BATCH` articles),
and what it does with the sends of a run it left midway."""

from __future__ import annotations

import asyncio
import gc
import threading
from types import SimpleNamespace

import orjson
import pytest

from processors import pipeline
from processors.options import StageOptions
from schemas.models import SourceRef
from streams.enricher import _take_outcome, runs


@pytest.mark.parametrize(
    ("sizes", "bound", "expected"),
    [
        ([], 3, []),
        ([1, 1, 1, 1], 2, [[1, 1], [1, 1]]),
        ([2, 2, 5, 1], 3, [[2], [2], [5], [1]]),
        ([40], 32, [[40]]),
        ([1, 40, 1], 32, [[1], [40], [1]]),
        ([0, 0, 3, 0], 3, [[0, 0, 3, 0]]),
        ([10, 10, 10, 3], 32, [[10, 10, 10], [3]]),
    ],
)
def test_runs_hold_whole_messages_up_to_the_bound(sizes, bound, expected):
    assert [sizes[run] for run in runs(sizes, bound)] == expected


@pytest.mark.parametrize("taken", [True, False])
def test_a_failed_send_left_behind_is_not_reported_as_never_retrieved(taken):
    """When a run stops midway, the sends it had queued get `_take_outcome`: a failed one is then
    not logged as an exception nobody retrieved (without it, it is)."""
    reported: list[str] = []

    async def leave_a_failed_send() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: reported.append(ctx["message"]))
        future = asyncio.get_running_loop().create_future()
        if taken:
            future.add_done_callback(_take_outcome)
        future.set_exception(RuntimeError("the broker said no"))
        await asyncio.sleep(0)
        del future
        gc.collect()

    asyncio.run(leave_a_failed_send())
    assert (reported == []) is taken
    if not taken:
        assert "never retrieved" in reported[0]


@pytest.mark.parametrize(("entities", "on_loop"), [("off", True), ("on", False)])
def test_a_run_is_enriched_on_the_loop_only_without_the_model(entities, on_loop, monkeypatch):
    """With the entity model off a run's call is pure Python that holds the interpreter anyway,
    and it runs on the loop; with the model on, in the executor's thread, so that the agents keep
    the loop meanwhile. The records come out the same either way."""
    from streams.enricher import Enricher
    from streams.metrics import Metrics
    from streams.settings import Settings
    from tests.agents.test_router import SEED

    # a model for no language: nothing loaded, no article sent to it
    monkeypatch.setattr("streams.entities_model.recogniser",
                        lambda value, **_: None if value == "off" else SimpleNamespace(languages=frozenset()))
    enricher = Enricher(Settings.from_env({"COPYDESK_ENTITIES": entities}), Metrics("t"))
    threads: list[bool] = []
    call = enricher._enrich_one_call

    def recorded(values, heres):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread() is threading.main_thread())
        return call(values, heres)

    enricher._enrich_one_call = recorded
    raw = orjson.dumps({"url": "https://www.rt.com/news/1/", "fetched_at": "2016-02-24T14:00:00Z", "text": SEED})
    here = SourceRef("t.raw", 0, 3, None)
    extracted = pipeline.extract_step(pipeline.clean_step(raw, here, StageOptions(), None).handed, StageOptions(), None)
    article = orjson.loads(extracted.value)["article"]
    record = {**article, "source": {"topic": "t.raw", "partition": 0, "offset": 3}}
    sent: list[tuple] = []

    class Producer:
        async def send(self, topic, value, key=None):  # noqa: ANN001, ANN202
            sent.append((topic, key, orjson.loads(value)))
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done

    results = asyncio.run(enricher._enrich_and_send(Producer(), [{"record": record, "timestamp_ms": None}], [here]))
    assert threads == [on_loop]
    assert [r.role for r in results] == ["enriched"]
    ((topic, key, value),) = sent
    assert topic.endswith(".enriched") and key == article["id"].encode() and value["id"] == article["id"]
    assert value["keywords"] and value["processed_at"]


def test_an_article_that_overruns_the_budget_on_the_loop_is_a_dead_letter_and_the_run_goes_on(monkeypatch):
    """With the model off the run's call is on the loop, where the stages' time budget can stop
    it: the article that overruns is a dead letter, the others of its run are enriched."""
    import time

    from streams.enricher import Enricher
    from streams.metrics import Metrics
    from streams.settings import Settings
    from tests.agents.test_router import SEED

    monkeypatch.setattr("streams.entities_model.recogniser", lambda value, **_: None)
    settings = Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_STAGE_TIME_BUDGET_SECONDS": "0.2"})
    enricher = Enricher(settings, Metrics("t"))
    values, heres = [], []
    for offset, url in enumerate(["https://www.rt.com/news/1/", "https://www.rt.com/news/2/"]):
        raw = orjson.dumps({"url": url, "fetched_at": "2016-02-24T14:00:00Z", "text": SEED})
        here = SourceRef("t.raw", 0, offset, None)
        cleaned = pipeline.clean_step(raw, here, StageOptions(), None).handed
        extracted = pipeline.extract_step(cleaned, StageOptions(), None)
        article = orjson.loads(extracted.value)["article"]
        values.append({"record": {**article, "source": {"topic": "t.raw", "partition": 0, "offset": offset}},
                       "timestamp_ms": None})
        heres.append(here)
    slow_url = values[1]["record"]["url"]
    enrich_many = pipeline.enrich_many

    def pathological(articles, options):  # noqa: ANN001, ANN202 - an article whose enrichment never ends
        if any(a.url == slow_url for a in articles):
            time.sleep(5)
        return enrich_many(articles, options)

    monkeypatch.setattr(pipeline, "enrich_many", pathological)
    results = enricher._enrich_one_call(values, heres)
    assert [r.role for r in results] == ["enriched", "dead_letter"]
    letter = orjson.loads(results[1].value)
    assert letter["error"]["kind"] == "time_budget_exceeded"
    assert (letter["topic"], letter["partition"], letter["offset"]) == ("t.raw", 0, 1)  # the raw input, to replay
