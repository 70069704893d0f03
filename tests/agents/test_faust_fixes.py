"""The shell's fixes to faust (streams/faust_fixes.py) and the gather table's partitions, without a
broker: what a worker's fetcher hands aiokafka, where a table entry's changelog record goes, and in
exactly_once mode which transaction an output joins and which offsets a commit takes; which of a
global table's partitions a recovery leaves paused."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import pytest
from faust.streams import _current_event
from faust.types import TP

from processors import dedup
from streams.app import create_app
from streams.faust_fixes import RecoveryTimeout
from streams.settings import Settings
from streams.tables import partition_of


class RecordingThread:
    def __init__(self) -> None:
        self.asked: list = []
        self.fetches = 0
        self.positions_after_fetch: dict = {}

    async def getmany(self, active_partitions, timeout):
        self.asked.append(active_partitions)
        return {}


@dataclass
class FakeRecord:
    offset: int


class FetchingThread(RecordingThread):
    """Hands out one prepared fetch per call: records by partition and aiokafka's positions after
    it; a fetch can be held until released, or fail."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches_to_give: list = []
        self.release = asyncio.Event()
        self.release.set()

    async def getmany(self, active_partitions, timeout):
        await self.release.wait()
        records, positions = self.fetches_to_give.pop(0)
        if records is None:
            raise RuntimeError("fetch failed")
        self.positions_after_fetch = positions
        self.fetches += 1
        return records


def bundle(**env: str):
    return create_app(Settings.from_env({"COPYDESK_STORE": "memory://", "COPYDESK_PARTITIONS": "4", **env}))


async def test_aiokafka_gets_a_copy_of_the_active_partitions_and_never_an_empty_set():
    consumer = bundle().app.consumer
    thread = consumer._thread = RecordingThread()
    live = {TP("t", 0), TP("t", 1)}
    await consumer._getmany(live, 1.0)
    asked = thread.asked[-1]
    assert asked == live and asked is not live  # aiokafka re-reads its argument while it waits
    live.clear()  # faust pausing every partition meanwhile must not turn it into "every partition"
    assert asked == {TP("t", 0), TP("t", 1)}
    assert await consumer._getmany(live, 1.0) == {} and len(thread.asked) == 1


def test_a_gather_reply_is_changelogged_on_its_inputs_partition():
    gather = bundle().tables.gather
    for offset in range(200):
        source_id = f"news.articles.raw/{offset % 4}/{offset}"
        article = dedup.state_key(source_id, 19846)
        reply = dedup.state_key(f"{source_id}#7:0a217defc721", 19846)
        assert gather.partition_for_key(reply) == gather.partition_for_key(article) == partition_of(source_id, 4)


@dataclass(eq=False)
class FakeMessage:
    tp: TP
    acked: bool = False
    offset: int = 0


@dataclass(eq=False)
class FakeEvent:
    message: FakeMessage


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None, str | None]] = []
        self.committed: list[dict] = []
        self.begun: list[str] = []

    async def send(self, topic, key, value, partition, timestamp, headers, *, transactional_id=None):
        self.sent.append((topic, partition, transactional_id))

    async def commit_transactions(self, by_transactional_id, group_id, start_new_transaction=True):
        self.committed.append({tid: dict(offsets) for tid, offsets in by_transactional_id.items()})

    async def maybe_begin_transaction(self, transactional_id):
        self.begun.append(transactional_id)


def transactions():
    """The transaction manager of an exactly_once worker that consumes raw and extracted (their
    partitions' producers in group 0), with a producer that records, and key 2 on extracted."""
    copydesk = bundle(COPYDESK_PROCESSING_GUARANTEE="exactly_once")
    app, t = copydesk.app, copydesk.settings.topics
    app.assignor._topic_groups = {t.raw: 0, t.extracted: 0}
    manager = app.consumer.transactions
    manager.producer = producer = RecordingProducer()
    consumed = set(app.assignor._topic_groups)
    manager.consumer.key_partition = lambda topic, key, partition: 2 if topic in consumed else None
    return copydesk, manager, producer


async def send_while_processing(copydesk, manager, message: FakeMessage, role: str) -> None:
    event = FakeEvent(message)
    token = _current_event.set(weakref.ref(event))
    try:
        topic = copydesk.topics.for_role(role).get_topic_name()
        await manager.send(topic, b"k", b"v", None, None, None)
    finally:
        _current_event.reset(token)


async def test_an_output_joins_the_transaction_of_the_input_being_processed():
    copydesk, manager, producer = transactions()
    t = copydesk.settings.topics
    raw_1 = FakeMessage(TP(t.raw, 1))
    await send_while_processing(copydesk, manager, raw_1, "enriched")
    await send_while_processing(copydesk, manager, raw_1, "extracted")
    app_id = copydesk.app.conf.id
    # faust 0.15.3 sent the first with its plain producer (enriched is not consumed, no partition)
    # and the second in the transaction of its destination partition.
    assert producer.sent == [(t.enriched, None, f"{app_id}-0-1"), (t.extracted, 2, f"{app_id}-0-1")]


async def test_a_commit_leaves_out_a_transaction_holding_an_output_of_an_input_it_does_not_cover():
    copydesk, manager, producer = transactions()
    t = copydesk.settings.topics
    in_flight = FakeMessage(TP(t.extracted, 1), offset=5)
    await send_while_processing(copydesk, manager, in_flight, "enriched")
    offsets = {TP(t.raw, 0): 10, TP(t.raw, 1): 7, TP(t.extracted, 3): 4}
    # Partition 1's transaction holds the output of an input not acked yet: raw 1's offset waits.
    assert manager.committable(offsets) == {TP(t.raw, 0): 10, TP(t.extracted, 3): 4}
    in_flight.acked = True
    # Acked, but this commit would not cover it (faust left its partition out, or stopped short
    # of it below a transaction marker): its output would be committed without its offset.
    assert manager.committable(offsets) == {TP(t.raw, 0): 10, TP(t.extracted, 3): 4}
    assert manager.committable({**offsets, TP(t.extracted, 1): 5}) == {TP(t.raw, 0): 10, TP(t.extracted, 3): 4}
    covering = {**offsets, TP(t.extracted, 1): 6}
    assert manager.committable(covering) == covering
    # Once a commit covered it, it holds nothing back any more.
    manager.consumer._committed_offset[TP(t.extracted, 1)] = 6
    assert manager.committable(offsets) == offsets


async def test_after_the_transactions_end_no_input_sends_until_they_begin_again():
    copydesk, manager, producer = transactions()
    t = copydesk.settings.topics
    app_id = copydesk.app.conf.id
    async with manager.between_inputs(end=True):
        await manager.commit({TP(t.raw, 0): 5}, start_new_transaction=False)
    assert producer.committed == [{f"{app_id}-0-0": {TP(t.raw, 0): 5}}]
    # An ended transaction takes no offsets (faust's second end raised IllegalOperation).
    assert manager.committable({TP(t.raw, 0): 9, TP(t.raw, 1): 3}) == {TP(t.raw, 1): 3}
    sending = asyncio.create_task(send_while_processing(copydesk, manager, FakeMessage(TP(t.raw, 1)), "enriched"))
    for _ in range(20):  # let it run as far as it can
        await asyncio.sleep(0)
    assert not sending.done() and producer.sent == []
    await manager._start_transactions([f"{app_id}-0-0"])
    await asyncio.wait_for(sending, 5)
    assert producer.sent == [(t.enriched, None, f"{app_id}-0-1")]
    assert manager.committable({TP(t.raw, 0): 9}) == {TP(t.raw, 0): 9}


def test_exactly_once_commits_past_the_offsets_no_consumer_sees_but_never_past_a_taken_message():
    copydesk, manager, producer = transactions()
    consumer = copydesk.app.consumer
    consumer.in_transaction = True  # as in a worker (faust reads it from app.in_worker)
    tp = TP(copydesk.settings.topics.gather, 0)
    consumer._committed_offset[tp] = 5  # 5 and 7 are transaction markers: no message has them
    for offset in (6, 8, 9):
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)
    # faust's own rule stops at the marker it did not record: 7, below acked inputs
    assert consumer._new_offset(tp) == 10
    assert consumer._new_offset(tp) is None  # nothing new acked
    taken = FakeMessage(tp, offset=12)  # an agent took it and has not acked it
    consumer._unacked_messages.add(taken)
    for offset in (11, 13):  # 13 cannot be acked before 12 by one agent; the rule must still hold
        consumer._acked[tp].append(offset)
        consumer._acked_index[tp].add(offset)
    assert consumer._new_offset(tp) == 12


async def test_after_a_recovery_the_worker_reads_no_global_partition_of_its_own_back():
    """faust_fixes C: faust resumes a global table's partitions that are only active (the worker's
    own: buffers of one record) after their recovery; they are paused again, and the other owners'
    (standbys too) and the other tables' partitions are left as faust set them."""
    copydesk = bundle()
    app, tables = copydesk.app, copydesk.tables
    recovery = app.tables.recovery
    lines = tables.sitelines.changelog_topic.get_topic_name()
    urls = tables.urls.changelog_topic.get_topic_name()
    for p in range(4):
        recovery.add_active(tables.sitelines, TP(lines, p))
        recovery.add_active(tables.urls, TP(urls, p))
    for p in (0, 2, 3):  # partition 1 is this worker's own
        recovery.add_standby(tables.sitelines, TP(lines, p))
    paused: list[set] = []
    app.consumer.pause_partitions = lambda tps: paused.append(set(tps))
    app.consumer.assignment = set
    app.consumer_generation_id = 2  # another rebalance began: it returns before the seek
    await recovery.on_recovery_completed(generation_id=1)
    assert paused == [{TP(lines, 1)}]


async def test_a_changelog_counts_as_read_to_its_high_water_once_its_last_fetched_record_is_applied():
    """faust_fixes D: the changelog partition's records below its high water (offset 8, a commit
    marker) are read once a position noted after a fetch that began after the recovery's seek is
    past it, and only when the last record any fetch returned has been applied."""
    consumer = bundle().app.consumer
    thread = consumer._thread = FetchingThread()
    tp = TP("t.changelog", 0)
    consumer.forget_positions()  # the recovery's seek
    thread.fetches_to_give = [({tp: [FakeRecord(5), FakeRecord(6)]}, {tp: 7}), ({tp: [FakeRecord(7)]}, {tp: 9})]
    await consumer._getmany({tp}, 1.0)
    assert not consumer.read_to(tp, 9, applied=6)  # the position is short of the marker
    await consumer._getmany({tp}, 1.0)
    assert not consumer.read_to(tp, 9, applied=6)  # record 7 is on its way to the changelog queue
    assert consumer.read_to(tp, 9, applied=7)
    assert not consumer.read_to(TP("t.changelog", 1), 9, applied=7)  # no fetch noted its position

    consumer.forget_positions()  # a new seek: the old positions no longer count
    assert not consumer.read_to(tp, 9, applied=7)
    thread.release.clear()  # a fetch that began before the seek and returns after it
    thread.fetches_to_give = [({}, {tp: 9})]
    fetch = asyncio.ensure_future(consumer._getmany({tp}, 1.0))
    await asyncio.sleep(0)
    consumer.forget_positions()
    thread.release.set()
    await fetch
    assert not consumer.read_to(tp, 9, applied=7)

    thread.fetches_to_give = [(None, {}), ({}, {tp: 9})]  # a fetch whose records never reached faust
    try:
        await consumer._getmany({tp}, 1.0)
    except RuntimeError:
        pass
    await consumer._getmany({tp}, 1.0)
    assert not consumer.read_to(tp, 9, applied=7)  # its records may be below that position
    consumer.forget_positions()
    thread.fetches_to_give = [({tp: [FakeRecord(7)]}, {tp: 9})]
    await consumer._getmany({tp}, 1.0)
    assert consumer.read_to(tp, 9, applied=7)


async def test_under_exactly_once_recovery_needs_no_more_once_a_changelog_is_read_to_its_high_water():
    copydesk = bundle(COPYDESK_PROCESSING_GUARANTEE="exactly_once")
    app, tables = copydesk.app, copydesk.tables
    app.in_worker = True  # faust's app.in_transaction needs it
    recovery = app.tables.recovery
    urls = tables.urls.changelog_topic.get_topic_name()
    read, unread = TP(urls, 0), TP(urls, 1)
    recovery.add_active(tables.urls, read)
    recovery.add_active(tables.urls, unread)
    for tp in (read, unread):
        recovery.active_highwaters[tp], recovery.active_offsets[tp] = 8, 7  # 8: a commit marker
    recovery._set_recovery_started()
    app.consumer.read_to = lambda tp, end, applied: tp == read and end == 9 and applied == 7
    assert recovery.need_recovery()
    assert recovery.active_offsets == {read: 8, unread: 7}
    app.consumer.read_to = lambda tp, end, applied: True
    assert not recovery.need_recovery()


async def test_under_exactly_once_the_high_water_to_restore_to_is_asked_of_the_broker():
    """faust_fixes E: the changelog high waters recovery restores to come from a read_committed
    ListOffsets (`end_offsets`), not from `last_stable_offset`, which is None before a fetch."""

    class Aiokafka:
        def __init__(self) -> None:
            self.asked: list = []

        def last_stable_offset(self, tp):
            return None

        async def end_offsets(self, partitions):
            self.asked.append(list(partitions))
            return {tp: 9 for tp in partitions}

    tps = [TP("t.changelog", 0), TP("t.changelog", 1)]
    for guarantee, expected in (("exactly_once", {tp: 9 for tp in tps}), ("at_least_once", {tp: 9 for tp in tps})):
        copydesk = bundle(COPYDESK_PROCESSING_GUARANTEE=guarantee)
        copydesk.app.in_worker = True  # faust's app.in_transaction needs it
        thread = copydesk.app.consumer._thread
        thread._consumer = aiokafka = Aiokafka()
        assert await thread._highwaters(tps) == expected
        assert aiokafka.asked == [tps]


async def test_under_exactly_once_recovery_ends_once_the_records_fetched_again_after_a_rebalance_are_applied():
    """faust_fixes D, the consumer's fetch bookkeeping and the recovery's test together: records a
    fetch returned and that a rebalance dropped before they were applied are fetched again after
    the recovery's new seek, and the changelog counts as read to its high water (9, a commit
    marker) only once the last of them is applied, whatever the positions say meanwhile."""
    copydesk = bundle(COPYDESK_PROCESSING_GUARANTEE="exactly_once")
    app, tables = copydesk.app, copydesk.tables
    app.in_worker = True  # faust's app.in_transaction needs it
    recovery, consumer = app.tables.recovery, app.consumer
    thread = consumer._thread = FetchingThread()
    tp = TP(tables.urls.changelog_topic.get_topic_name(), 0)
    recovery.add_active(tables.urls, tp)
    recovery.active_highwaters[tp], recovery.active_offsets[tp] = 9, 4
    recovery._set_recovery_started()

    consumer.forget_positions()  # the recovery's seek
    thread.fetches_to_give = [({tp: [FakeRecord(o) for o in (5, 6, 7, 8)]}, {tp: 10})]
    await consumer._getmany({tp}, 1.0)
    recovery.active_offsets[tp] = 6  # 5 and 6 applied, 7 and 8 still in the changelog queue
    assert recovery.need_recovery() and recovery.active_offsets[tp] == 6

    consumer.forget_positions()  # a rebalance cleared the queue; the new recovery seeks to 6
    thread.fetches_to_give = [({tp: [FakeRecord(7)]}, {tp: 8}), ({tp: [FakeRecord(8)]}, {tp: 10})]
    await consumer._getmany({tp}, 1.0)
    recovery.active_offsets[tp] = 7
    assert recovery.need_recovery() and recovery.active_offsets[tp] == 7  # the position is short of 10
    await consumer._getmany({tp}, 1.0)
    assert recovery.need_recovery() and recovery.active_offsets[tp] == 7  # 8 is on its way
    recovery.active_offsets[tp] = 8
    assert not recovery.need_recovery() and recovery.active_offsets[tp] == 9


def recovery_asking_brokers_that_never_answer(request_timeout_s: float):
    """A worker's recovery of one changelog partition, started as after a rebalance, whose request
    for the high waters gets no answer (the brokers are down); returns it and the requests made."""
    copydesk = bundle()
    app, tables = copydesk.app, copydesk.tables
    app.conf.broker_request_timeout = request_timeout_s
    recovery = app.tables.recovery
    recovery.recovery_delay = 0
    tp = TP(tables.urls.changelog_topic.get_topic_name(), 0)
    recovery.add_active(tables.urls, tp)
    asked: list = []

    async def no_answer(*tps):
        asked.append(tps)
        await asyncio.Event().wait()

    app.consumer.highwaters = no_answer
    recovery.signal_recovery_start.set()
    return recovery, asked, tp


async def test_a_recovery_step_without_an_answer_from_the_brokers_ends_the_worker():
    """faust_fixes F: faust's recovery loop took a step's timeout for a stop and ended for good,
    leaving a worker that lives on and is never ready. The timeout now raises out of the loop (a
    Service task, so mode crashes the worker) and names the step; a real stop still ends it quietly."""
    recovery, asked, tp = recovery_asking_brokers_that_never_answer(0.05)
    with pytest.raises(RecoveryTimeout, match=r"Recovery\._build_highwaters got no answer .* in 0\.05 s"):
        await asyncio.wait_for(type(recovery)._restart_recovery.fun(recovery), 60)
    assert asked == [(tp,)]
    # run as faust runs it, a task of the recovery service: the app crashes with that cause
    recovery, asked, tp = recovery_asking_brokers_that_never_answer(0.05)
    await asyncio.wait_for(recovery._execute_task(type(recovery)._restart_recovery.fun(recovery)), 60)
    assert isinstance(recovery.app.crash_reason, RecoveryTimeout) and recovery.app._crashed.is_set()

    recovery, asked, tp = recovery_asking_brokers_that_never_answer(600)
    loop = asyncio.ensure_future(type(recovery)._restart_recovery.fun(recovery))
    while not asked:
        await asyncio.sleep(0.01)
    recovery._stopped.set()  # the worker stops while the step waits
    assert await asyncio.wait_for(loop, 60) is None
