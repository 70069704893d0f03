"""The time budget of a step (`streams.steps.run_guarded`): an overrun is a dead letter with the
original bytes, the next message is processed normally, and the timer never outlives its step."""

from __future__ import annotations

import os
import signal
import time

import orjson
import pytest
from prometheus_client import generate_latest

from processors import pipeline
from processors.options import StageOptions
from processors.records import decode_payload
from schemas import contracts
from schemas.models import SourceRef
from streams.offline import OfflineRun
from streams.settings import Settings, SettingsError
from streams.steps import TimeBudgetExceeded, clock, run_guarded, time_budget
from tests.agents.test_router import SEED, agent, bundle, deliver

BUDGET_S = 0.05
#: For a router or run that also processes a normal message: wall-clock time on a shared noisy
#: machine, so ~100x what cleaning or extracting the seed takes once warm.
ROOMY_BUDGET_S = 2.0
#: Not a timing threshold: how long a runaway step loops before giving up if the budget never
#: stops it, so that a broken budget fails the test instead of hanging it.
RUNAWAY_LIMIT_S = 120.0
GOOD = orjson.dumps({"url": "https://news.example.com/a", "fetched_at": "2024-05-03T10:00:00Z", "text": SEED})
SLOW = orjson.dumps({"url": "https://news.example.com/slow", "fetched_at": "2024-05-03T10:00:00Z", "text": SEED})


def runaway(result_if_never_stopped: pipeline.StepResult) -> pipeline.StepResult:
    """Python code that spins, catching `Exception` as library code often does."""
    deadline = time.monotonic() + RUNAWAY_LIMIT_S
    while time.monotonic() < deadline:
        try:
            sum(range(1000))
        except Exception:  # noqa: BLE001 - what a library might do; the budget must get through
            pass
    return result_if_never_stopped


def warm_up() -> None:
    """Load what the stages load on first use (language model, ...) outside any budget."""
    assert OfflineRun(Settings.from_env({"COPYDESK_STAGE_TIME_BUDGET_SECONDS": "0"})).run_one(GOOD, 0).role == "enriched"


def timer_is_clear() -> bool:
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


async def test_a_step_over_its_budget_is_a_dead_letter_and_the_next_message_goes_on():
    b, opts = bundle(), StageOptions()
    warm_up()

    def clean(value, here, now):
        cleaned = pipeline.clean_step(value, here, opts, now)
        return runaway(cleaned) if value is SLOW else cleaned

    prepare = agent(b, lambda get: [
        ("cleaning", clean),
        ("extraction", lambda v, _, now: pipeline.extract_step(v, opts, now)),
    ], envelopes_in=False, budget_s=ROOMY_BUDGET_S)
    first = SourceRef("t.raw", 2, 7, 1_700_000_000_000)
    await deliver(prepare, first, SLOW)
    assert timer_is_clear()

    second = SourceRef("t.raw", 2, 8, 1_700_000_000_000)
    (result,) = await deliver(prepare, second, GOOD)

    t = b.topics.topics
    (key, value), = t["dead_letter"].sent
    record = orjson.loads(value)
    assert contracts.errors("dead_letter", record) == []
    assert record["error"]["kind"] == "time_budget_exceeded" and record["error"]["stage"] == "cleaning"
    assert "2 s" in record["error"]["message"]
    assert decode_payload(record) == SLOW
    assert (record["topic"], record["partition"], record["offset"]) == ("t.raw", 2, 7)
    assert key == b"https://news.example.com/slow" and record["url"] == "https://news.example.com/slow"
    # the next message went on: cleaned, and handed on in-process to extraction
    assert result.stage == "extraction" and result.role == "extracted" and result.source.offset == 8
    text = generate_latest(b.metrics.registry).decode()
    assert 'copydesk_dead_letters_total{reason="time_budget_exceeded",stage="cleaning"} 1.0' in text
    assert 'copydesk_stage_messages_total{outcome="ok",stage="cleaning"} 1.0' in text


def test_a_later_stage_over_its_budget_is_accounted_to_the_raw_input():
    here = SourceRef("t.cleaned", 0, 3, None)
    inner = orjson.dumps({"source": {"topic": "t.raw", "partition": 1, "offset": 9}, "article": {}})
    now = clock()
    result = run_guarded("dedup_url", lambda: runaway(None), inner, here, now, BUDGET_S)
    record = orjson.loads(result.value)
    assert result.role == "dead_letter" and result.error_kind == "time_budget_exceeded"
    # the original bytes stay in the raw topic: the letter names where they are
    assert (record["topic"], record["partition"], record["offset"]) == ("t.raw", 1, 9)
    assert decode_payload(record) is None and record["payload_encoding"] == "none"
    assert record["error"]["stage"] == "dedup_url"


def test_the_timer_is_cleared_when_the_step_returns_or_raises_and_a_late_alarm_is_harmless():
    here, now = SourceRef("t.raw", 0, 0, None), clock()
    ok = pipeline.clean_step(GOOD, here, StageOptions(), now)
    assert run_guarded("cleaning", lambda: ok, GOOD, here, now, 30.0) is ok
    assert timer_is_clear()

    def broken():
        raise ZeroDivisionError("a bug")

    assert run_guarded("cleaning", broken, GOOD, here, now, 30.0).error_kind == "internal_error"
    assert timer_is_clear()
    # An alarm that arrives after the step (as one pending at its end would) stops nothing.
    os.kill(os.getpid(), signal.SIGALRM)
    time.sleep(0.01)
    assert sum(range(100)) == 4950


def test_no_budget_means_no_timer():
    with time_budget(0):
        assert timer_is_clear()
    with time_budget(30.0):
        assert not timer_is_clear()
    assert timer_is_clear()


def test_the_budget_interrupts_with_its_own_exception():
    with pytest.raises(TimeBudgetExceeded):
        with time_budget(BUDGET_S):
            runaway(None)
    assert timer_is_clear()


def test_a_step_takes_sigalrm_back_from_whoever_took_it():
    previous = signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        with pytest.raises(TimeBudgetExceeded):
            with time_budget(BUDGET_S):
                runaway(None)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert timer_is_clear()


def test_the_offline_mode_enforces_the_budget_from_settings(monkeypatch):
    warm_up()
    settings = Settings.from_env({"COPYDESK_STAGE_TIME_BUDGET_SECONDS": str(ROOMY_BUDGET_S)})
    assert settings.stage_time_budget_s == ROOMY_BUDGET_S and Settings.from_env({}).stage_time_budget_s == 10.0
    real = pipeline.extract_step
    monkeypatch.setattr(pipeline, "extract_step", lambda value, *a, **kw: runaway(real(value, *a, **kw)))
    run = OfflineRun(settings)
    record = orjson.loads(run.run_one(SLOW, 4).value)
    assert record["error"]["kind"] == "time_budget_exceeded" and record["error"]["stage"] == "extraction"
    assert decode_payload(record) == SLOW and record["offset"] == 4
    monkeypatch.setattr(pipeline, "extract_step", real)
    assert run.run_one(GOOD, 5).role == "enriched"


def test_a_negative_budget_is_refused():
    with pytest.raises(SettingsError):
        Settings.from_env({"COPYDESK_STAGE_TIME_BUDGET_SECONDS": "-1"})
