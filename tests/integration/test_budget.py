"""The time budget inside a real faust worker: the timer runs in the worker's main thread, beside
the event loop, and never fires into faust's own code."""

from __future__ import annotations

import orjson

from processors.records import decode_payload
from schemas import contracts
from streams.kafka_io import produce, read_outputs
from streams.settings import Settings
from tests.integration.test_pipeline import distinct_articles
from tests.integration.workers import WorkerProcess, unique_env


async def test_a_worker_whose_budget_is_spent_at_once_dead_letters_each_input_and_keeps_going(kafka_bootstrap, tmp_path):
    # A budget of one microsecond: every step overruns it (cleaning a page takes milliseconds),
    # so every input must come out as a time_budget_exceeded dead letter, and the worker must
    # still be alive, consuming, and stop cleanly afterwards.
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_STAGE_TIME_BUDGET_SECONDS="0.000001")
    settings = Settings.from_env(env)
    messages = [orjson.dumps(m) for m in distinct_articles(5)]
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        await produce(settings, messages)
        records = await read_outputs(settings, expect=len(messages), timeout_s=120)
        metrics = worker.metrics()
    finally:
        exit_code = worker.stop()
    assert exit_code == 0, worker.tail()
    roles = {name: role for role, name in settings.topics.outputs().items()}
    letters = [orjson.loads(value) for topic, *_, value in records if roles[topic] == "dead_letter"]
    assert len(letters) == len(records) == len(messages), [roles[t] for t, *_ in records]
    assert all(contracts.errors("dead_letter", r) == [] for r in letters)
    assert {(r["error"]["kind"], r["error"]["stage"]) for r in letters} == {("time_budget_exceeded", "cleaning")}
    assert sorted(decode_payload(r) for r in letters) == sorted(messages)
    assert f'copydesk_dead_letters_total{{reason="time_budget_exceeded",stage="cleaning"}} {len(messages)}.0' in metrics
