"""Nothing lost, nothing stuck: workers killed with SIGKILL, a broker restart, a rebalance, lost state.

Each test sends page-text articles while the faults happen, then waits (bounded) until every
input offset has an outcome and checks: none lost, repeats (at-least-once) only as identical
outcomes, every record conforming. A line `FAULTS <test>: ...` gives the figures (pytest -s).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.faults.harness import Ledger, OwnBroker, articles, kill9, pause, restart
from tests.integration.workers import WorkerProcess, unique_env

ROUNDS = int(os.environ.get("COPYDESK_FAULT_ROUNDS", "10"))
PER_ROUND = int(os.environ.get("COPYDESK_FAULT_MESSAGES", "2000")) // ROUNDS
#: Articles resent byte for byte per round, from the round itself and as many from earlier ones.
RESENT_PER_ROUND = max(1, PER_ROUND // 20)


async def test_kill_9_at_random_moments_loses_nothing(kafka_bootstrap, tmp_path):
    """Each round also resends a few of its own articles and of earlier rounds' byte for byte: a
    resend is a `duplicate`, and its original stays `unique`, however the kills cut the windows
    that are processed again."""
    rng = random.Random(int(os.environ.get("COPYDESK_FAULT_SEED", "6")))
    env = unique_env(kafka_bootstrap, tmp_path / "state")
    ledger = Ledger("kill-9", Settings.from_env(env))
    log = tmp_path / "worker.log"
    worker = WorkerProcess(env, log).start(ready_timeout=300)
    originals = 0
    try:
        for round_ in range(ROUNDS):
            fresh = articles(round_ * PER_ROUND, PER_ROUND)
            resent = rng.sample(fresh, RESENT_PER_ROUND) + rng.sample(ledger.sent or fresh, RESENT_PER_ROUND)
            originals += len(fresh)
            await ledger.send(fresh + resent)
            pause(rng)
            kill9(worker)
            ledger.faults += 1
            worker = restart(env, log, ledger, time.monotonic())
        ledger.notes.append(f"rounds={ROUNDS} resent={len(ledger.sent) - originals}")
        outputs = await ledger.settle()
    finally:
        worker.stop()
    assert {role for role, rs in outputs.items() if rs} == {"enriched", "duplicates"}
    assert len({r["url"] for r in outputs["enriched"]}) == originals
    assert_resends_are_duplicates(outputs, originals, len(ledger.sent) - originals)


def assert_resends_are_duplicates(outputs: dict[str, list[dict]], originals: int, resends: int) -> None:
    """Per URL, the first input (the lowest offset: one URL, one raw partition) is `unique` and
    every later one a `duplicate`, in each of its outcomes (repeats included)."""
    by_url: dict[str, dict[int, set[str]]] = {}
    for records in outputs.values():
        for r in records:
            by_url.setdefault(r["url"], {}).setdefault(r["source"]["offset"], set()).add(r["dedup"]["status"])
    assert len(by_url) == originals
    wrong = {}
    for url, inputs in by_url.items():
        first, *later = sorted(inputs)
        statuses = [inputs[first], *(inputs[o] for o in later)]
        if statuses != [{"unique"}] + [{"duplicate"}] * len(later):
            wrong[url] = statuses
    assert sum(len(inputs) - 1 for inputs in by_url.values()) == resends
    assert not wrong, wrong


async def test_broker_stop_and_start_mid_stream(own_broker: OwnBroker, tmp_path):
    rng = random.Random(7)
    env = unique_env(own_broker.bootstrap, tmp_path / "state")
    ledger = Ledger("broker-restart", Settings.from_env(env))
    log = tmp_path / "worker.log"
    worker = WorkerProcess(env, log).start(ready_timeout=300)
    try:
        for round_ in range(2):
            await ledger.send(articles(round_ * 300, 300))
            pause(rng, 1.0, 4.0)
            down = time.monotonic()
            own_broker.stop()
            ledger.faults += 1
            time.sleep(5)
            own_broker.start()
            if worker.proc.poll() is not None:  # the worker gave up while the broker was away
                ledger.notes.append(f"worker-exited-with={worker.proc.returncode}")
                worker = restart(env, log, ledger, down)
            else:
                ledger.recoveries.append(time.monotonic() - down)
        await ledger.send(articles(600, 100))
        outputs = await ledger.settle()
    finally:
        worker.stop()
    assert len(outputs["enriched"]) >= len(ledger.sent)


async def test_two_workers_one_killed_the_other_takes_over(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state-a", COPYDESK_PARTITIONS="4")
    ledger = Ledger("rebalance", Settings.from_env(env))
    a = WorkerProcess(env, tmp_path / "a.log").start(ready_timeout=300)
    b = WorkerProcess({**env, "COPYDESK_DATA_DIR": str(tmp_path / "state-b")}, tmp_path / "b.log").start(ready_timeout=300)
    try:
        await ledger.send(articles(0, 500))
        time.sleep(3)
        killed = time.monotonic()
        kill9(a)
        ledger.faults += 1
        await ledger.send(articles(500, 500))
        outputs = await ledger.settle()
        ledger.recoveries.append(time.monotonic() - killed)  # kill -> everything accounted by b alone
        assert b.proc.poll() is None, b.tail()
        print(f"rebalance: kill -> all accounted by the survivor in {ledger.recoveries[-1]:.1f} s")
    finally:
        b.stop()
        a.stop()
    assert len({r["url"] for r in outputs["enriched"]}) == len(ledger.sent)


def _corrupt(state: Path) -> int:
    """Overwrite every RocksDB file of the worker's state with garbage; returns how many."""
    hit = 0
    for path in state.rglob("*"):
        if path.is_file() and (path.suffix in (".sst", ".log") or path.name.startswith(("MANIFEST", "CURRENT", "OPTIONS"))):
            path.write_bytes(os.urandom(max(64, min(path.stat().st_size, 4096))))
            hit += 1
    return hit


@pytest.mark.parametrize("damage", ["deleted", "corrupted"])
async def test_lost_or_corrupt_local_state_recovers_from_the_changelog(kafka_bootstrap, tmp_path, damage):
    state = tmp_path / "state"
    env = unique_env(kafka_bootstrap, state)
    ledger = Ledger(f"state-{damage}", Settings.from_env(env))
    log = tmp_path / "worker.log"
    first = articles(0, 300)
    worker = WorkerProcess(env, log).start(ready_timeout=300)
    try:
        await ledger.send(first)
        await ledger.settle()  # the state has every article before the damage
        kill9(worker)
        ledger.faults += 1
        if damage == "deleted":
            shutil.rmtree(state)
        else:
            ledger.notes.append(f"files_corrupted={_corrupt(state)}")
        await ledger.send(first[:100] + articles(300, 100))
        since = time.monotonic()
        try:
            worker = restart(env, log, ledger, since)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"the worker does not start on {damage} local state: {exc}")
        outputs = await ledger.settle()
    finally:
        worker.stop()
    # Re-sent articles must be judged copies: the dedup state came back from the changelog.
    unique = {(r["source"]["partition"], r["source"]["offset"]): r for r in outputs["duplicates"]}
    assert len(unique) == 100, Counter(r["dedup"]["status"] for r in unique.values())
