"""exactly_once mode under restarts on the real broker: a SIGTERM and a SIGKILL while messages
flow, then every input's outcomes counted by a read_committed reader (`streams.kafka_io.reader`).

What exactly-once should give: every input has exactly one committed outcome, repeats included
(none), whatever stopped the worker. What at-least-once gives for comparison is in
tests/integration/test_shutdown.py (identical repeats allowed).

Each scenario runs once and its checks are separate tests, so that the result of each claim
shows on its own: no input lost, every outcome conforms and repeats agree, and no repeats at all.
The three scenarios run side by side (a module fixture, each on topics, group and state of its
own): most of a scenario's minute is waiting on the broker, a session timeout and a restart.
"""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.internal import items_of
from streams.kafka_io import client_options, ensure_topics, produce, read_outputs, send_keyed
from streams.settings import Settings
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    distinct_articles,
    input_coordinates,
    read_accounted,
)
from tests.integration.workers import WorkerProcess, unique_env

TOTAL = 240
BAD = [b"{not json", b'{"url": "ftp://x.example/a", "fetched_at": "2024-05-03T10:00:00Z", "text": "x"}']


@dataclass
class Run:
    signal: signal.Signals
    settings: Settings
    total: int
    outputs: dict[str, list[dict]]
    seen_before_stop: int
    exit_code: int
    log: Path
    #: Per topic: offsets that hold no record (transaction markers), out of all offsets.
    markers: dict[str, tuple[int, int]]
    #: Per internal topic: committed records whose bytes an earlier committed record already had.
    internal_repeats: dict[str, int]

    def outcomes_per_input(self) -> dict[tuple, int]:
        counts: dict[tuple, int] = {}
        for records in self.outputs.values():
            for r in records:
                counts[input_coordinates(r)] = counts.get(input_coordinates(r), 0) + 1
        return counts

    def repeated_by_role(self) -> dict[str, int]:
        counts = self.outcomes_per_input()
        return {
            role: sum(1 for r in records if counts[input_coordinates(r)] > 1)
            for role, records in self.outputs.items()
        }


async def stop_mid_stream(bootstrap: str, tmp: Path, sig: signal.Signals, inline: str) -> Run:
    """N inputs, `sig` to the worker once 30 outcomes are out while the first half is still
    being produced, the second half, a restart, and every committed outcome read back."""
    # `inline` "always": steps inline where the hop stays (with 2 partitions, some hops are
    # messages and some not): their table writes and sends must join the transaction of the
    # message being processed. The default ("one-partition") sends every hop at 2 partitions.
    env = unique_env(bootstrap, tmp / "state", COPYDESK_PROCESSING_GUARANTEE="exactly_once", COPYDESK_INLINE_STEPS=inline)
    settings = Settings.from_env(env)
    messages = [orjson.dumps(m) for m in distinct_articles(TOTAL - len(BAD))] + BAD
    half = len(messages) // 2
    log = tmp / "worker.log"
    worker = await asyncio.to_thread(WorkerProcess(env, log).start)
    try:
        producing = asyncio.create_task(produce(settings, messages[:half]))
        seen = await read_outputs(settings, expect=30, timeout_s=180)
        assert len(seen) >= 30, worker.tail()
    finally:  # the signal, or on a failure a plain stop: no worker outlives its scenario
        exit_code = await asyncio.to_thread(worker.stop, sig, 120.0)
    await producing
    await produce(settings, messages[half:])
    worker = WorkerProcess(env, log)
    t = settings.topics
    try:
        await asyncio.to_thread(worker.start, 240.0)
        await read_accounted(settings, TOTAL, timeout_s=300)
        # Outcomes of a repeat would come after the first ones: read them once nothing is in flight.
        await drained(settings)
        records = [m for name in t.outputs().values() for m in (await read_to_end(settings, name, "read_committed"))[0]]
        records = [(m.topic, m.partition, m.offset, m.key, m.value) for m in records]
    finally:
        assert await asyncio.to_thread(worker.stop) == 0, worker.tail()
    markers = {name: await transaction_markers(settings, name) for name in [t.raw, *t.internal(), *t.outputs().values()]}
    repeats = {name: await committed_repeats(settings, name) for name in t.internal()}
    return Run(sig, settings, TOTAL, by_role(settings, records), len(seen), exit_code, log, markers, repeats)


def without_clock(item: Any) -> bytes:
    """An internal message's item (see `schemas.internal.unpack`) without the clock reading that
    a re-send changes (a record's `processed_at` on its way to enrichment)."""
    if isinstance(item, (bytes, type(None))):
        return item or b""
    if isinstance(item.get("record"), dict):
        item = {**item, "record": {k: v for k, v in item["record"].items() if k != "processed_at"}}
    return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)


async def read_to_end(settings: Settings, topic: str, isolation: str) -> tuple[list[Any], int]:
    """Every record of `topic` a reader with `isolation` sees, from the beginning to the end
    offsets, and the number of offsets up to them."""
    consumer = AIOKafkaConsumer(enable_auto_commit=False, isolation_level=isolation, **client_options(settings))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + 60  # a hang guard, not a timing check: it fails, never passes
        while behind := [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            assert time.monotonic() < deadline, f"{topic}: {behind} not read to their end offsets"
            for messages in (await consumer.getmany(timeout_ms=500, max_records=1000)).values():
                records += messages
        return records, sum(end.values())
    finally:
        await consumer.stop()


async def drained(settings: Settings, timeout_s: float = 120.0) -> None:
    """Wait until the worker's groups (the pipeline's and enrichment's) have committed past the
    last committed record of every topic they read: nothing is then in flight, so no outcome,
    first or repeated, can still come.

    The groups' offsets are read before the topics: a transaction that commits in between (an
    input's offset and the record it made) then shows its record behind, where read the other
    way round its input would show consumed and its record not yet there."""
    from aiokafka.admin import AIOKafkaAdminClient

    t = settings.topics
    last: dict[TopicPartition, int] = {}
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        deadline = time.monotonic() + timeout_s  # a hang guard, not a timing check: it fails, never passes
        while True:
            committed: dict[TopicPartition, int] = {}
            for group in (settings.app_id, settings.enrich_group):
                for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                    committed[tp] = max(committed.get(tp, 0), meta.offset)
            for name in [t.raw, *t.internal()]:
                for m in (await read_to_end(settings, name, "read_committed"))[0]:
                    tp = TopicPartition(m.topic, m.partition)
                    last[tp] = max(last.get(tp, 0), m.offset + 1)
            behind = {tp: (committed.get(tp, 0), end) for tp, end in last.items() if committed.get(tp, 0) < end}
            if not behind:
                return
            assert time.monotonic() < deadline, f"still in flight (committed, after the last record): {behind}"
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def test_drained_sees_a_record_committed_while_it_reads(kafka_bootstrap, tmp_path, monkeypatch):
    """An input's transaction that commits while `drained` reads (its offset consumed, its record
    on .extracted, which nobody consumes here) leaves that record in flight: `drained` must not
    return."""
    settings = Settings.from_env(unique_env(kafka_bootstrap, tmp_path / "state"))
    t = settings.topics
    await ensure_topics(settings)
    await produce(settings, [orjson.dumps(distinct_articles(1)[0])])
    (raw,) = [m for m in (await read_to_end(settings, t.raw, "read_committed"))[0]]
    read, committed_meanwhile = read_to_end, []

    async def commit(offset: int) -> None:
        group = AIOKafkaConsumer(group_id=settings.app_id, enable_auto_commit=False, **client_options(settings))
        await group.start()
        try:
            group.assign([TopicPartition(t.raw, raw.partition)])
            await group.commit({TopicPartition(t.raw, raw.partition): offset})
        finally:
            await group.stop()

    async def commit_on_last_read(s: Settings, topic: str, isolation: str) -> tuple[list[Any], int]:
        result = await read(s, topic, isolation)
        if topic == t.internal()[-1] and not committed_meanwhile:
            committed_meanwhile.append(await send_keyed(settings, t.extracted, [(None, b"made of the input")]))
            await commit(raw.offset + 1)
        return result

    await commit(raw.offset)  # the group, before the input is consumed

    monkeypatch.setattr(f"{__name__}.read_to_end", commit_on_last_read)
    with pytest.raises(AssertionError, match="still in flight"):
        await drained(settings, timeout_s=1.0)
    assert committed_meanwhile == [1]


async def committed_repeats(settings: Settings, topic: str) -> int:
    """Committed articles on `topic` that repeat an earlier committed one (but for the clock), in
    whatever envelopes they came: an internal item carries its input's coordinates, so a repeat is
    one article's message committed twice."""
    records, _ = await read_to_end(settings, topic, "read_committed")
    items = [(m.partition, without_clock(item)) for m in records for item in items_of(m.value)]
    return len(items) - len(set(items))


async def transaction_markers(settings: Settings, topic: str) -> tuple[int, int]:
    """(offsets without a record, all offsets) of a topic: a transaction's commit or abort
    marker takes an offset that no consumer sees, a plain send does not."""
    records, total = await read_to_end(settings, topic, "read_uncommitted")
    return total - len(records), total


SCENARIOS = {
    "sigterm-inline": (signal.SIGTERM, "always"),
    "sigkill-inline": (signal.SIGKILL, "always"),
    "sigkill-hops": (signal.SIGKILL, "one-partition"),
}


async def timed(kafka_bootstrap: str, tmp: Path, sig: signal.Signals, inline: str) -> Run:
    """One scenario, and a line with its figures (pytest -s shows it)."""
    started = time.monotonic()
    result = await stop_mid_stream(kafka_bootstrap, tmp, sig, inline)
    counts = result.outcomes_per_input()
    repeats = sum(n - 1 for n in counts.values() if n > 1)
    print(
        f"\nexactly_once, {sig.name} mid-stream (inline steps {inline}): {result.seen_before_stop} outcomes before the signal, "
        f"exit code {result.exit_code}; {len(counts)} of {result.total} inputs with an outcome, "
        f"{repeats} repeated outcomes ({sum(1 for n in counts.values() if n > 1)} inputs; records of repeated "
        f"inputs per topic: {result.repeated_by_role()}); offsets without a record (transaction markers) "
        f"of all offsets, per topic: { {name.rsplit('.', 1)[-1]: m for name, m in result.markers.items()} }; "
        f"internal messages committed twice, per topic: { {n.rsplit('.', 1)[-1]: r for n, r in result.internal_repeats.items()} }; "
        f"{time.monotonic() - started:.0f} s; worker log {result.log}"
    )
    return result


@pytest.fixture(scope="module")
def runs(kafka_bootstrap, tmp_path_factory) -> dict[str, Run]:
    async def all_scenarios() -> list[Run | BaseException]:
        # Each scenario runs to its end, a failed one too, so that every one stops its workers.
        return await asyncio.gather(
            *(
                timed(kafka_bootstrap, tmp_path_factory.mktemp(f"eos-{name}"), sig, inline)
                for name, (sig, inline) in SCENARIOS.items()
            ),
            return_exceptions=True,
        )

    results = dict(zip(SCENARIOS, asyncio.run(all_scenarios())))
    failed = {name: r for name, r in results.items() if isinstance(r, BaseException)}
    if failed:
        name, error = next(iter(failed.items()))
        raise AssertionError(f"scenarios failed: {sorted(failed)}; the first, {name}: {error!r}") from error
    return results


@pytest.fixture(params=list(SCENARIOS))
def run(request, runs: dict[str, Run]) -> Run:
    return runs[request.param]


def test_every_input_has_an_outcome_and_repeats_agree(run: Run):
    assert_conforms(run.outputs)
    assert_each_input_accounted(run.outputs, run.settings.topics.raw, run.total, repeats_allowed=True)
    kinds = {input_coordinates(r): r["error"]["kind"] for r in run.outputs["dead_letter"]}
    assert sorted(kinds.values()) == ["invalid_json", "invalid_url"]
    # Distinct articles: a re-processed input is never "a duplicate of itself".
    assert not run.outputs["duplicates"]


# Both held only with streams/faust_fixes.py's `SourceTransactionManager` (issue 6): faust-streaming
# 0.15.3 alone sends the outcomes outside its transactions (0 transaction markers on the output
# topics, 10 to 25 of 240 inputs repeated) and exits 1 on SIGTERM (`IllegalOperation`).
def test_every_topic_written_by_the_worker_is_written_in_transactions(run: Run):
    t = run.settings.topics
    for name in [*t.internal(), *t.outputs().values()]:
        markers, offsets = run.markers[name]
        assert offsets == 0 or markers > 0, f"{name}: {offsets} offsets, no transaction marker"


def test_a_sigterm_stops_the_worker_with_exit_code_0(run: Run):
    if run.signal is not signal.SIGTERM:
        pytest.skip("a SIGKILL has no exit code of its own")
    assert run.exit_code == 0


def test_no_input_has_more_than_one_committed_outcome(run: Run):
    repeated = {k: n for k, n in run.outcomes_per_input().items() if n > 1}
    assert not repeated, f"{len(repeated)} inputs with more than one committed outcome: {sorted(repeated)[:10]}"


def test_local_tables_are_restored_from_the_changelogs_after_a_sigkill_only(run: Run):
    """A killed worker's local tables may hold writes of transactions that never committed:
    the restart drops them (`streams.local_state`); a SIGTERM stops cleanly and keeps them."""
    restarted = run.log.read_text(encoding="utf-8", errors="replace")
    dropped = "last stop of this worker was not clean" in restarted
    assert dropped is (run.signal is signal.SIGKILL), restarted[-2000:]


def test_no_internal_message_is_committed_twice(run: Run):
    """The stages after the first must not see a message twice either: a later stage that absorbed
    repeats (the gather stores each part under its own key) would hide them from the outcomes."""
    assert all(n == 0 for n in run.internal_repeats.values()), run.internal_repeats
