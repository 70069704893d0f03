"""Enrichment as a role of its own: a worker that runs the chain and one that runs only
enrichment, as an operator runs them in separate processes, account for every input as one
worker with everything does, and only the enrichment worker runs the entity model."""

from __future__ import annotations

import asyncio
import time

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.internal import pack
from streams.kafka_io import client_options, ensure_topics, produce, read_outputs, topic_partitions
from streams.settings import Settings
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    assert_equal_to_offline,
    by_role,
    sample_messages,
)
from tests.integration.workers import WorkerProcess, unique_env


def sample_count(metrics: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def committed_and_end(settings: Settings, group: str, topic: str) -> tuple[int, int]:
    """(offsets `group` committed on `topic`, the topic's end offsets), each summed over its partitions."""
    partitions = await topic_partitions(settings, [topic])
    consumer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    try:
        committed = [await consumer.committed(tp) for tp in partitions]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return sum(c or 0 for c in committed), sum(ends.values())


async def test_pipeline_and_enrichment_workers_apart(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_PARTITIONS="1")
    settings = Settings.from_env(env)
    messages = sample_messages()
    chain = WorkerProcess({**env, "COPYDESK_ROLES": "pipeline"}, tmp_path / "chain.log").start()
    # commits only when it stops (below)
    enrich = WorkerProcess({**env, "COPYDESK_ROLES": "enrich", "COPYDESK_COMMIT_INTERVAL_MS": "600000"}, tmp_path / "enrich.log").start()
    try:
        assert await produce(settings, messages) == len(messages)
        records = await read_outputs(settings, expect=len(messages), timeout_s=120)
        # a batch's metrics are counted once the broker acknowledged it, just after its records
        # can be read: wait (a hang guard, not a timing) until the last one is counted
        deadline = time.monotonic() + 30
        while (
            sample_count(enrich.metrics(), "copydesk_stage_messages_total", outcome="ok", stage="enrichment") < 10
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.2)
        chain_metrics, enrich_metrics = chain.metrics(), enrich.metrics()
    finally:
        assert chain.stop() == 0, chain.tail()
        assert enrich.stop() == 0, enrich.tail()
    outputs = by_role(settings, records)
    assert_conforms(outputs)
    assert_each_input_accounted(outputs, settings.topics.raw, len(messages))
    assert {role: len(r) for role, r in outputs.items()} == {"enriched": 10, "duplicates": 4, "dead_letter": 6}
    seed = next(r for r in outputs["enriched"] if r["site"] == "rt.com" and r["dedup"]["status"] == "unique")
    assert {"Steve Warren", "Vladimir Putin"} <= set(seed["entities"]["people"])
    assert "Islamic State" in seed["keywords"] and seed["quotes"]

    # the chain decided (9 unique, 1 update) and the enrichment worker published those ten
    assert sample_count(chain_metrics, "copydesk_dedup_verdicts_total", status="unique") == 9
    assert sample_count(chain_metrics, "copydesk_stage_messages_total", outcome="ok", stage="enrichment") == 0
    assert sample_count(enrich_metrics, "copydesk_stage_messages_total", outcome="ok", stage="enrichment") == 10
    assert sample_count(enrich_metrics, "copydesk_messages_produced_total", topic=settings.topics.enriched) == 10
    assert sample_count(enrich_metrics, "copydesk_enrich_batch_articles_count") >= 1
    assert sample_count(enrich_metrics, "copydesk_in_flight_messages", stage="enrichment") == 0
    # commits are spaced (COPYDESK_COMMIT_INTERVAL_MS), so a clean stop commits what was sent:
    # nothing is enriched twice after it
    committed, end = await committed_and_end(settings, settings.enrich_group, settings.topics.enrich)
    assert committed == end > 0

    assert_equal_to_offline(settings, messages, outputs, tmp_path / "offline")


def items_to_enrich(settings: Settings, messages: list[bytes], monkeypatch) -> list[bytes]:
    """The requests the chain sends to enrichment for `messages` (the offline chain's, in their
    order), each serialised as an envelope's item."""
    from processors import pipeline
    from streams.offline import OfflineRun

    requests: list[bytes] = []
    enrich_step = pipeline.enrich_step

    def keep(value, options, now):
        requests.append(orjson.dumps(value))
        return enrich_step(value, options, now)

    monkeypatch.setattr(pipeline, "enrich_step", keep)
    OfflineRun(settings).run_many(messages, 0)
    monkeypatch.undo()
    return requests


async def test_enrichment_sends_and_commits_in_runs_of_articles(kafka_bootstrap, tmp_path, monkeypatch):
    """A backlog of envelopes read at once is enriched, sent and committed in runs of about
    COPYDESK_ENRICH_BATCH articles, whole messages each (one of more articles alone), not all of
    the read at once: under exactly_once each run is a transaction of its own, and the enriched
    partition holds one commit marker after each run's records."""
    env = unique_env(
        kafka_bootstrap, tmp_path / "state", COPYDESK_PARTITIONS="1", COPYDESK_ROLES="enrich",
        COPYDESK_PROCESSING_GUARANTEE="exactly_once", COPYDESK_ENRICH_BATCH="3",
    )
    settings = Settings.from_env(env)
    requests = items_to_enrich(settings, sample_messages(), monkeypatch)
    assert len(requests) == 10
    sizes = [2, 2, 5, 1]  # runs of at most 3 articles: [2] [2] [5, in calls of 3 and 2] [1]
    cuts = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    envelopes = [pack(requests[a:b]) for a, b in zip(cuts, cuts[1:])]
    await ensure_topics(settings)
    # the backlog is there before the worker starts: its first read takes three envelopes, nine articles
    assert await produce(settings, envelopes, topic=settings.topics.enrich) == len(envelopes)
    enrich = WorkerProcess(env, tmp_path / "enrich.log").start()
    try:
        records = await read_outputs(settings, expect=10, timeout_s=120)
        deadline = time.monotonic() + 30
        while (
            sample_count(enrich.metrics(), "copydesk_stage_messages_total", outcome="ok", stage="enrichment") < 10
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.2)
        metrics = enrich.metrics()
    finally:
        assert enrich.stop() == 0, enrich.tail()
    outputs = by_role(settings, records)
    ids = [orjson.loads(r)["record"]["id"] for r in requests]
    assert [r["id"] for r in outputs["enriched"]] == ids
    assert not outputs["dead_letter"] and not outputs["duplicates"]
    # four transactions (one a run), each with its commit marker on the enriched partition
    enriched = TopicPartition(settings.topics.enriched, 0)
    committed, end = await committed_and_end(settings, settings.enrich_group, settings.topics.enrich)
    assert committed == end == len(envelopes)
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **client_options(settings))
    await consumer.start()
    try:
        markers = (await consumer.end_offsets([enriched]))[enriched] - len(outputs["enriched"])
    finally:
        await consumer.stop()
    assert markers == 4
    # the model took at most three articles a call: 2, 2, 3 + 2, 1
    assert sample_count(metrics, "copydesk_enrich_batch_articles_count") == 5
    assert sample_count(metrics, "copydesk_enrich_batch_articles_bucket", le="4.0") == 5
