"""SIGTERM while messages flow: the worker exits 0 and leaves its consumer group, and after a
restart every input has exactly one outcome (or, at-least-once, an identical repeat)."""

from __future__ import annotations

import asyncio
import signal
import time

import orjson
from aiokafka.admin import AIOKafkaAdminClient

from streams.kafka_io import client_options, produce, read_outputs
from streams.settings import Settings
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    distinct_articles,
    read_accounted,
)
from tests.integration.workers import WorkerProcess, unique_env

TOTAL = 300


async def group_members(settings: Settings) -> tuple[str, int]:
    """(state, number of members) of the worker's consumer group, as the broker sees it."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([settings.app_id])
        (group,) = response.groups
        error_code, _group_id, state, _protocol_type, _protocol, members = group[:6]
        assert error_code == 0, group
        return state, len(members)
    finally:
        await admin.close()


async def test_sigterm_while_flowing_exits_cleanly_and_restart_accounts_for_every_input(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state")
    settings = Settings.from_env(env)
    messages = [orjson.dumps(m) for m in distinct_articles(TOTAL)]
    worker = WorkerProcess(env, tmp_path / "worker.log").start()

    # Messages keep arriving while the worker runs; SIGTERM once some outcomes are out.
    producing = asyncio.create_task(produce(settings, messages[: TOTAL // 2]))
    seen = await read_outputs(settings, expect=30, timeout_s=120)
    assert len(seen) >= 30, worker.tail()
    stopping = time.monotonic()
    exit_code = await asyncio.to_thread(worker.stop, signal.SIGTERM, 120.0)
    stop_s = time.monotonic() - stopping
    await producing
    assert exit_code == 0, worker.tail()
    # It left the group on the way out: the broker has no member of it any more (a worker that
    # only vanished would stay a member until the session timeout, 10 s here).
    state, members = await group_members(settings)
    assert members == 0, (state, members)
    await produce(settings, messages[TOTAL // 2 :])

    restarting = time.monotonic()
    worker = WorkerProcess(env, tmp_path / "worker.log")
    await asyncio.to_thread(worker.start, 180.0)
    ready_s = time.monotonic() - restarting
    try:
        records = await read_accounted(settings, TOTAL, timeout_s=240)
    finally:
        assert worker.stop() == 0, worker.tail()

    outputs = by_role(settings, records)
    assert_conforms(outputs)
    repeats = assert_each_input_accounted(outputs, settings.topics.raw, TOTAL, repeats_allowed=True)
    # Distinct articles, each enriched once; a replayed one is not "a duplicate of itself".
    assert not outputs["duplicates"] and not outputs["dead_letter"]
    assert len({r["id"] for r in outputs["enriched"]}) == TOTAL
    print(
        f"\n{len(seen)} outcomes before SIGTERM; SIGTERM to exit {stop_s:.1f}s (exit code {exit_code}); "
        f"group after exit: {state}, {members} members; restart to ready {ready_s:.1f}s "
        f"(session timeout {settings.consumer_session_timeout_s:.0f}s); repeats after restart: {repeats}; "
        f"worker log {worker.log_path}"
    )
