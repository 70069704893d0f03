"""`copydesk replay-dead-letters` on the real broker: only the chosen kinds go back, once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import orjson

from streams.kafka_io import produce, read_outputs
from streams.settings import Settings
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    distinct_articles,
    input_coordinates,
)
from tests.integration.workers import REPO_ROOT, WorkerProcess, unique_env


def replay_cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay-dead-letters", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


async def test_replay_sends_only_the_chosen_kind_once_and_it_comes_out_again(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state")
    settings = Settings.from_env(env)
    good = [orjson.dumps(m) for m in distinct_articles(3)]
    short = [
        orjson.dumps({"url": f"https://short.example.org/brief/{i}", "fetched_at": "2024-05-03T10:00:00Z",
                      "text": f"Brief {i}: markets closed higher."})
        for i in range(2)
    ]
    other = [b"{not json at all", orjson.dumps({"url": "https://t.example.org/x", "fetched_at": "yesterday", "text": "x"})]
    first = good + short + other

    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        await produce(settings, first)
        records = await read_outputs(settings, expect=len(first), timeout_s=180)
    finally:
        assert worker.stop() == 0, worker.tail()
    outputs = by_role(settings, records)
    assert_each_input_accounted(outputs, settings.topics.raw, len(first))
    kinds = Counter(r["error"]["kind"] for r in outputs["dead_letter"])
    assert kinds == {"empty_body": 2, "invalid_json": 1, "invalid_time": 1}
    original_offsets = {input_coordinates(r) for r in outputs["dead_letter"] if r["error"]["kind"] == "empty_body"}

    # A dry run prints what it would send and commits nothing.
    dry = replay_cli(env, "--kind", "empty_body", "--dry-run")
    print(dry)
    assert last_line(dry).startswith("would send 2 of 4 dead letters read"), dry
    assert sum(line.startswith("would send ") and "cleaning/empty_body https://short.example.org/brief/" in line
               for line in dry.splitlines()) == 2, dry

    # The "fix": the worker now accepts short bodies; replaying empty_body makes them articles.
    worker = WorkerProcess({**env, "COPYDESK_MIN_BODY_CHARS": "10"}, tmp_path / "worker.log").start()
    try:
        sent = replay_cli(env, "--kind", "empty_body", "--stage", "cleaning")
        print(sent)
        assert last_line(sent).startswith("sent 2 of 4 dead letters read"), sent
        again = replay_cli(env, "--kind", "empty_body", "--stage", "cleaning")
        assert last_line(again).startswith("sent 0 of 0 dead letters read"), again  # the group remembers
        records = await read_outputs(settings, expect=len(first) + 2, timeout_s=180)
    finally:
        assert worker.stop() == 0, worker.tail()
    outputs = by_role(settings, records)
    assert_conforms(outputs)
    assert_each_input_accounted(outputs, settings.topics.raw, len(first) + 2)
    assert Counter(r["error"]["kind"] for r in outputs["dead_letter"]) == kinds, "other kinds are not replayed"
    replayed = [r for r in outputs["enriched"] if r["url"].startswith("https://short.example.org/")]
    assert sorted(r["url"] for r in replayed) == [f"https://short.example.org/brief/{i}" for i in range(2)]
    assert not {input_coordinates(r) for r in replayed} & original_offsets, "a replay is a new input offset"
    assert all(r["text"].startswith("Brief") for r in replayed)

    # The raw topic got the original bytes again, keyed by url.
    raw = await read_outputs(settings, expect=len(first) + 2, timeout_s=60, topics=[settings.topics.raw])
    resent = Counter(value for *_, value in raw)
    assert all(resent[p] == 2 for p in short) and all(resent[p] == 1 for p in good + other)
    assert {key for *_, key, value in raw if value in short} == {f"https://short.example.org/brief/{i}".encode() for i in range(2)}


async def test_a_later_stage_letter_is_replayed_from_the_raw_topic_or_said_gone(kafka_bootstrap, tmp_path):
    """A letter of a stage after extraction carries no bytes, only the raw input's coordinates:
    replay reads the original there; once retention deleted it, replay says so and exits 1."""
    from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
    from aiokafka import TopicPartition

    from processors.errors import StageError
    from processors.records import dead_letter_record
    from schemas.models import SourceRef
    from streams.kafka_io import client_options, ensure_topics, send_keyed

    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_PARTITIONS="1")
    settings = Settings.from_env(env)
    await ensure_topics(settings)
    old, kept = (orjson.dumps(m) for m in distinct_articles(2))
    await produce(settings, [old, kept])
    raw = await read_outputs(settings, expect=2, timeout_s=60, topics=[settings.topics.raw])
    offsets = {value: offset for _t, _p, offset, _k, value in raw}
    letters = [
        dead_letter_record(StageError("internal_error", "a bug"), "dedup_url",
                           SourceRef(settings.topics.raw, 0, offsets[value], None), None, "2024-05-03T10:00:00Z",
                           orjson.loads(value)["url"])
        for value in (old, kept)
    ]
    assert all(letter["payload"] is None for letter in letters)
    await send_keyed(settings, settings.topics.dead_letter, [(None, orjson.dumps(letter)) for letter in letters])
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:  # what retention does to an old segment: the first record is gone
        await admin.delete_records({TopicPartition(settings.topics.raw, 0): RecordsToDelete(offsets[kept])})
    finally:
        await admin.close()

    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay-dead-letters", "--kind", "internal_error"],
        cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180, check=False,
    )
    assert proc.returncode == 8, proc.stderr[-3000:]  # Exit.ORIGINAL_GONE
    assert f"its original {settings.topics.raw}[0]@{offsets[old]} is no longer in Kafka" in proc.stderr
    assert "sent 1 of 2 dead letters read" in proc.stdout and "1 whose original Kafka no longer has" in proc.stdout
    raw = await read_outputs(settings, expect=2, timeout_s=60, topics=[settings.topics.raw])
    assert [value for *_, value in raw] == [kept, kept]  # the original bytes again, after the deleted one
