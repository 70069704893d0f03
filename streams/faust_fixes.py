"""Fixes to faust-streaming 0.15.3 (pinned below 0.16). Hand-written because no
faust release has them; drop this module when one does.

A. Two fixes that together lost an input after a recovery from the changelogs.

What happened (a worker whose local state was deleted, traced with per-offset logs; the lost
input was the last band answer on `.gather` partition 0, offset 50, committed offset 43):

1. `Recovery.on_recovery_completed` (faust/tables/recovery.py) resumes the stream partitions
   *before* "Seek stream partitions to committed offsets" (`Consumer.perform_seek`), while the
   fetcher still runs from reading the changelogs. Records 43..50 were fetched and put into the
   agents' queues during the seek; the agent processed up to 46.
2. `perform_seek` asks for each partition's committed offset one request at a time and resets
   faust's read offsets to them (43) only after the last answer, while records of the earlier
   fetch were still being delivered: the read offset rose past 50 again.
3. Then `app.flow_control.resume()` clears every channel queue (mode's `FlowControlEvent.resume`;
   faust's channel queues are made with `clear_on_resume=True`): offset 50, queued but not yet
   processed, was gone.
4. aiokafka, sought back to 43, fetched 43..50 again, and `Consumer._drain_messages` discarded
   them as already read ("DROPPED MESSAGE ROFF 50"). The agent then acked 51..56, and faust
   committed 57: `Consumer._new_offset` lets a single missing offset at the head pass
   (faust-streaming issue 606).

faust-streaming issue 216 (fixed by PR 217) was this ordering in `Recovery._resume_streams`, the
path for apps without tables; `on_recovery_completed` kept it.

The fixes: the stream partitions are sought to their committed offsets while still paused, and
resumed only then, so nothing is delivered before the queues are cleared and the seek is done.
And aiokafka gets a copy of the active partitions, never the empty set (read in the code, not
seen in the traces, but the reordering makes the window longer): faust hands it its live
set (`AIOKafkaConsumerThread._fetch_records`), aiokafka's `Fetcher.fetched_records` reads it
again while it waits for data and takes an empty set as "every partition", and the set is empty
exactly during that seek (changelogs done, stream partitions still paused): a fetch in flight would
drain the paused stream partitions, and faust drops records of partitions that are not active.

B. exactly_once: each output in the transaction that commits its input's offset.

Kafka's exactly-once needs a record sent while processing an input and that input's offset commit
in one transaction. faust keeps one transactional producer per partition number
(`{app id}-{topic group}-{partition}`) and commits a source partition's offsets through the
producer of that partition (`TransactionManager.commit`, faust/transport/consumer.py), but
`TransactionManager.send` picks the producer by the *destination* partition, which it asks of
its consumer's metadata (`Consumer.key_partition`, faust/transport/drivers/aiokafka.py). A topic
the worker does not consume (enriched, duplicates, dead-letter) is not in that metadata, so the
partition is None and faust sends with its plain producer, outside any transaction
(faust-streaming issues 177 and 517: duplicates despite exactly_once). And an output to a consumed
topic joined the transaction of its destination partition, not of its input's.

`SourceTransactionManager.send` sends a record produced while an event is processed through the
producer of that event's partition (faust's `current_event`, set for the agent's task by the stream
iterator); sends outside an event (the table changelogs, sent from the producer buffer with the
partition of the event that wrote them) keep faust's rule.

That alone leaves a race: faust commits from its own task every `broker_commit_interval`, while
agents run. An input whose output is already in its transaction but which is not yet acked would
see the transaction commit with its output and without its offset: a repeat after a crash. So a
commit (`ExactlyOnceConsumer.force_commit`) first stops inputs from starting to send, waits a
little for the inputs that already sent to be acked, flushes the producer buffer (table changelog
records of acked inputs join their transaction), and leaves out the partitions whose transaction
still holds the output of an input that the commit would not cover: they commit next time. An
input is covered when the offset committed for its partition is past it; an acked one can still
be left out, because faust commits a partition only as far as the acked offsets run without a gap,
and an offset it has not seen (a transaction marker of the topic) is such a gap until it fetches
past it. Committing that transaction ended the outputs' journey while their inputs stayed
uncommitted: after a restart they were processed again, and their outputs committed twice.

On a stop, faust 0.15.3 ends the transactions twice: `App._stop_consumer` waits for the streams,
whose `Consumer.wait_empty` ends with `commit_and_end_transactions`, and `Consumer.on_stop` does
it again, with the agents still running in between. The second commit's
`send_offsets_to_transaction` raised `IllegalOperation: Not in the middle of a transaction` (exit
code 1), and an agent's send after the first one `Can't send messages while not in transaction`. Here, once a transaction has ended, no input starts sending until faust begins
the transactions again (`_start_transactions`, after a rebalance), and an ended transaction's
partitions are left out of later commits: their inputs are read again by the next owner.

C. A global table's own partitions are not read back.

faust gives every worker all of a global table's changelog partitions as actives (so that it
restores them all before it processes) and those it does not own as standbys too; a partition in
both is read as an active one, its records applied `recovery_buffer_size` at a time, so after the
restore another owner's writes would wait for a thousand records or the next rebalance, unless
that size is 1 (`streams.tables.declare` sets it, as faust's GlobalTable docstring advises). With
a size of 1, `Recovery._restart_recovery` also resumes the partitions that are only active, the
worker's own, meant for a global table of one partition that every worker writes: the worker
would read its own writes back from the changelog, and a record committed after a later write of
the same key would overwrite it with the older value. `SeekBeforeResumeRecovery` pauses those
again: one writer per key, which already holds its own writes.

D. Recovery under exactly_once ends when the changelogs are read, not two timeouts later.

Under exactly_once faust's high water of a changelog partition is one below its last stable
offset, and the record there is a transaction marker (commit or abort), which no consumer sees:
the offsets recovery applied stay one short, and `Recovery._slurp_changelogs` ends only after two empty
5-second waits for a record, when aiokafka's position has passed the high water
("Aborted tx until highwater"). The two waits let records already fetched (so the position is past
them) reach the changelog queue and be applied. Here that is known instead: the aiokafka thread
notes each partition's position the moment a fetch returns (every record below it was returned
by that fetch or an earlier one), faust's fetch loop hands one fetch's records to the changelog
queue before it starts the next, and the queue is applied in order. So once a position noted
after the recovery's own seek is past the high water and the last record any fetch returned for the
partition is applied, no record below the high water is still on its way: recovery ends then, at
the high water, as faust's check would.

E. Under exactly_once the high water to restore to is asked of the broker.

faust reads it from aiokafka's `last_stable_offset`, which only a fetch response sets: before the
first fetch of a changelog partition it is None, which faust counts as -1, nothing to restore. A
worker restarted after a kill -9 (its state dropped as unclean) then started with empty tables
while the changelogs held committed records. A read_committed ListOffsets request (aiokafka's
`end_offsets`) answers the same last stable offset at any time.

F. A recovery step that outlasts its timeout ends the worker, not the recovery alone.

Each step of `Recovery._restart_recovery` that asks the brokers (high waters, offsets, seeks, the
seek to the committed offsets) waits at most `broker_request_timeout` (`Recovery._wait`), and mode's
`Service.wait_first` reports a timeout as it reports a stop. So a broker outage longer than that
during a recovery raised `ServiceStopped`, and `_restart_recovery` left its loop for good: the
worker went on living with its partitions paused, never ready, and recovered nothing after
the brokers came back, nor after the next rebalance. Here a timed-out step raises
`RecoveryTimeout`, which crashes the worker (mode's `Service.crash`): the CLI says why and exits 3,
and the restart recovers the tables and resumes from the committed offsets.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Iterable, Iterator, Mapping, Optional, Set, cast

import faust
from faust.streams import _current_event, current_event
from faust.transport.consumer import TransactionManager
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery, ServiceStopped
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class PositionedFetchThread(faust_aiokafka.AIOKafkaConsumerThread):
    """The aiokafka consumer thread, noting each fetched partition's position as the fetch returns,
    before anything else runs on the thread: every record below it came with this fetch or an
    earlier one (D)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fetches = 0
        self.positions_after_fetch: dict[TP, int] = {}

    async def _fetch_records(
        self,
        consumer: Any,
        active_partitions: Set[TP],
        timeout: Optional[float] = None,
        max_records: Optional[int] = None,
    ) -> Any:
        records = await super()._fetch_records(consumer, active_partitions, timeout=timeout, max_records=max_records)
        positions: dict[TP, int] = {}
        subscription = consumer._subscription.subscription
        assignment = subscription.assignment if subscription is not None else None
        for tp in active_partitions if assignment is not None else ():
            state = assignment.state_value(tp)
            if state is not None and state.has_valid_position:
                positions[tp] = state.position
        self.positions_after_fetch = positions
        self.fetches += 1
        return records

    async def _highwaters(self, partitions: Any) -> Any:
        """Under exactly_once faust takes a partition's high water from the last stable offset
        that aiokafka read off fetch responses: None, counted as -1 ("nothing to restore"), for a
        changelog partition not fetched yet, so a worker that dropped its state after a kill -9
        could start with empty tables (E). The broker is asked instead: a ListOffsets request at
        read_committed answers the same last stable offset, fetched or not."""
        if self.consumer.in_transaction:
            return await self._ensure_consumer().end_offsets(list(partitions))
        return await super()._highwaters(partitions)


class SnapshotFetchConsumer(faust_aiokafka.Consumer):
    _thread: PositionedFetchThread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # D: positions noted after fetches that began after the last `forget_positions`, and the
        # highest offset any fetch returned per partition (never forgotten: a record returned
        # before a seek may still be on its way to the changelog queue).
        self._positions: dict[TP, int] = {}
        self._returned: dict[TP, int] = {}
        self._epoch = 0
        self._lost_epoch = -1

    def _new_consumer_thread(self) -> PositionedFetchThread:
        return PositionedFetchThread(self, loop=self.loop, beacon=self.beacon)

    async def _getmany(self, active_partitions: Optional[Set[TP]], timeout: float) -> Any:
        if active_partitions is None:  # client-only apps fetch everything; workers never are
            return await super()._getmany(None, timeout)
        snapshot = set(active_partitions)
        if not snapshot:
            return {}
        epoch, fetches = self._epoch, self._thread.fetches
        try:
            records = await super()._getmany(snapshot, timeout)
        except BaseException:
            # Its records may be past aiokafka's position and never reach faust: until the next
            # seek, no later position proves anything.
            self._lost_epoch = self._epoch
            self._positions.clear()
            raise
        for tp, batch in records.items():
            if batch:  # a partition's records come in offset order: the last is the highest
                self._returned[tp] = max(self._returned.get(tp, -1), batch[-1].offset)
        if epoch == self._epoch != self._lost_epoch and self._thread.fetches == fetches + 1:
            self._positions.update(self._thread.positions_after_fetch)
        return records

    def forget_positions(self) -> None:
        """Called once a seek is done: positions noted before it say nothing about the records
        after it."""
        self._epoch += 1
        self._positions.clear()

    def read_to(self, tp: TP, end: int, applied: int) -> bool:
        """True when every record of `tp` below offset `end` has been fetched since the last seek and
        handed on, and no record any fetch returned for `tp` is past `applied`: none is still in
        faust's fetch loop or the changelog queue (D)."""
        position = self._positions.get(tp)
        last = self._returned.get(tp)
        return position is not None and position >= end and (last is None or last <= applied)


@contextmanager
def acting_for(event: Any) -> Iterator[None]:
    """Run the block as if `event` were the event being processed (faust's `current_event`):
    what an agent sends and writes for a batch after it took its next event, or from a timer,
    belongs to the batch's source partition, its changelog partitions and its transaction."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class SourceTransactionManager(TransactionManager):
    #: How long a commit waits for the inputs that already sent to be acked; those still unacked
    #: then keep their partition's transaction open until the next commit (never a wrong commit).
    drain_timeout_s = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(message) -> (message, transactional id, task that processes it): inputs that sent.
        self._sending: dict[int, tuple[Any, str, Optional[asyncio.Task]]] = {}
        self._ended: Set[str] = set()
        self._may_send = asyncio.Event()
        self._may_send.set()

    @property
    def may_send(self) -> bool:
        """False while a commit is under way: an input that has not begun then waits in `begin`."""
        return self._may_send.is_set()

    async def begin(self, message: Any) -> None:
        """Count `message` as an input whose output may already be in its partition's transaction,
        before its step writes a table (a changelog record joins the transaction at once) or its
        batch sends: a commit holds that transaction until the message is acked and covered."""
        if id(message) not in self._sending:
            await self._may_send.wait()
            self._sending[id(message)] = (message, self.transactional_id_for(message.tp), asyncio.current_task())

    def transactional_id_for(self, tp: TP) -> str:
        return f"{self.app.conf.id}-{self.app.assignor.group_for_topic(tp.topic)}-{tp.partition}"

    async def send(
        self,
        topic: str,
        key: Optional[bytes],
        value: Optional[bytes],
        partition: Optional[int],
        timestamp: Optional[float],
        headers: Any,
        *,
        transactional_id: Optional[str] = None,
    ) -> Any:
        event = current_event()
        if event is None or topic in self.app.tables.changelog_topics:
            return await super().send(topic, key, value, partition, timestamp, headers)
        message = event.message
        tid = self.transactional_id_for(message.tp)
        if id(message) not in self._sending:
            await self._may_send.wait()
            self._sending[id(message)] = (message, tid, asyncio.current_task())
        known = self.consumer.key_partition(topic, key, partition)
        return await self.producer.send(
            topic,
            key,
            value,
            partition if known is None else known,
            timestamp,
            headers,
            transactional_id=tid,
        )

    def _uncommitted(self) -> list[tuple[Any, str, Optional[asyncio.Task]]]:
        """Inputs that sent and whose offset is not committed yet. An acked one is kept until a
        commit covers it: faust may commit a partition short of its acked offsets (below a
        transaction marker it has not seen past yet). One whose agent was cancelled stays: its
        partial output is in its transaction, which must then never commit (the next owner
        aborts it)."""
        committed = self.consumer._committed_offset  # the next offset to read, per partition
        for key, (message, _, _) in list(self._sending.items()):
            done = committed.get(message.tp)
            if message.acked and done is not None and message.offset < done:
                del self._sending[key]
        return list(self._sending.values())

    def _still_processing(self) -> bool:
        return any(not m.acked and (task is None or not task.done()) for m, _, task in self._uncommitted())

    @asynccontextmanager
    async def between_inputs(self, end: bool) -> AsyncIterator[None]:
        """No input starts sending meanwhile; those that already sent get a moment to be acked."""
        self._may_send.clear()
        try:
            deadline = time.monotonic() + self.drain_timeout_s
            while self._still_processing() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            buffer = self.app.producer.buffer
            if buffer.size:
                await buffer.flush()
            yield
        finally:
            if not end and not self._ended:
                self._may_send.set()

    def committable(self, offsets: Mapping[TP, int]) -> dict[TP, int]:
        """The offsets whose transaction has not ended and holds only outputs of inputs that this
        commit covers: an input that sent is covered when the offset committed for its partition
        (here or before) is past it. An unacked input never is (faust commits no further than the
        first unacked offset); nor is an acked one that faust leaves out, which would otherwise see
        its output committed without its offset, and be processed again after a restart."""
        committed = self.consumer._committed_offset
        held = set(self._ended)
        for message, tid, _ in self._uncommitted():
            target = offsets.get(message.tp, committed.get(message.tp))
            if target is None or message.offset >= target:
                held.add(tid)
        return {tp: offset for tp, offset in offsets.items() if self.transactional_id_for(tp) not in held}

    async def commit(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        committed = await super().commit(offsets, start_new_transaction=start_new_transaction)
        if not start_new_transaction:
            self._ended |= {self.transactional_id_for(tp) for tp in offsets}
        return committed

    async def _stop_transactions(self, tids: Iterable[str]) -> None:
        tids = list(tids)
        await super()._stop_transactions(tids)
        self._ended -= set(tids)
        self._sending = {k: v for k, v in self._sending.items() if v[1] not in tids}

    async def _start_transactions(self, tids: Iterable[str]) -> None:
        tids = list(tids)
        await super()._start_transactions(tids)
        self._ended -= set(tids)
        if not self._ended:
            self._may_send.set()


class ExactlyOnceConsumer(SnapshotFetchConsumer):
    def _new_offset(self, tp: TP) -> Optional[int]:
        """Under exactly_once, the offset to commit for `tp`: one past its highest acked offset,
        but never past a message an agent took and has not acked.

        faust's own rule commits only as far as the acked offsets run without a gap, and fills the
        gaps it saw while fetching. A topic written in transactions has an offset no consumer
        sees after each transaction (its commit marker), and faust's fetch loop leaves some of
        them unrecorded (a gap at the committed offset itself, or after offset 0), so the commit
        stopped below acked inputs whose outputs were already in the transaction. Each agent
        takes a partition's messages in order and acks them in that order once their batch is
        sent, so every offset below its highest acked one is acked, a marker, or taken and not
        acked yet."""
        if not self.in_transaction:
            return super()._new_offset(tp)
        acked = self._acked[tp]
        if not acked:
            return None
        top = max(acked) + 1
        taken = [m.offset for m in list(self._unacked_messages) if m.tp == tp]
        if taken:
            top = min(top, min(taken))
        done = [o for o in acked if o < top]
        acked[:] = [o for o in acked if o >= top]
        self._acked_index[tp].difference_update(done)
        committed = self._committed_offset[tp]
        if committed is not None and top <= committed:
            return None
        return top

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        if not self.in_transaction:
            return await super().force_commit(topics, start_new_transaction=start_new_transaction)
        transactions = cast(SourceTransactionManager, self.transactions)
        async with transactions.between_inputs(end=not start_new_transaction):
            return await super().force_commit(topics, start_new_transaction=start_new_transaction)

    async def _commit_offsets(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        if self.in_transaction:
            offsets = cast(SourceTransactionManager, self.transactions).committable(offsets)
            if not offsets:
                return False
        return await super()._commit_offsets(offsets, start_new_transaction=start_new_transaction)


class SnapshotFetchTransport(faust_aiokafka.Transport):
    Consumer = ExactlyOnceConsumer
    TransactionManager = SourceTransactionManager


class RecoveryTimeout(Exception):
    """A step of a table recovery got no answer from the brokers in time: the worker must restart (F)."""


class SeekBeforeResumeRecovery(Recovery):
    async def _wait(self, coro: Any, timeout: Any = None) -> None:
        """faust's wait for one step of a recovery, but a step that times out while the worker runs
        raises `RecoveryTimeout`: faust's `ServiceStopped` would end the recovery loop for good (F)."""
        step = getattr(coro, "__qualname__", type(coro).__name__)
        try:
            await super()._wait(coro, timeout=timeout)
        except ServiceStopped:
            if timeout is None or self.should_stop or self.app.should_stop:
                raise
            raise RecoveryTimeout(
                f"table recovery stopped: its step {step} got no answer from the Kafka brokers in "
                f"{float(timeout):g} s; the worker exits, and its restart recovers the tables and resumes "
                "from the committed offsets"
            ) from None

    async def _seek_offsets(self, consumer: Any, tps: Set[TP], offsets: Any, title: str) -> None:
        await super()._seek_offsets(consumer, tps, offsets, title)
        if isinstance(consumer, SnapshotFetchConsumer):
            consumer.forget_positions()

    def need_recovery(self) -> bool:
        """faust's test, after marking read to its high water each active changelog partition whose
        records below it are all fetched and applied (D): under exactly_once the last offset below
        the high water is a commit marker, which faust would wait two empty 5-second polls for."""
        consumer = self.app.consumer
        if self.in_recovery and self.app.in_transaction and isinstance(consumer, SnapshotFetchConsumer):
            offsets = self.active_offsets
            for tp, highwater in self.active_highwaters.items():
                applied = offsets[tp]
                if highwater is None or applied is None or applied >= highwater:
                    continue
                if consumer.read_to(tp, highwater + 1, applied):
                    self.log.info(
                        "Changelog %r read to its high water %r (last record applied: %r)", tp, highwater, applied
                    )
                    offsets[tp] = highwater
        return super().need_recovery()

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """faust 0.15.3's `Recovery.on_recovery_completed` with two changes: a global table's own
        partitions paused (C), and `perform_seek` before `resume_partitions`, as PR 217 ordered
        `_resume_streams` (A)."""
        consumer = self.app.consumer
        own = {tp for tp in self.active_tps - self.standby_tps if self.tp_to_table[tp].is_global}
        if own:  # C: resumed by `_restart_recovery` for a buffer of one record
            consumer.pause_partitions(own)
        self.log.info("Restore complete!")
        await self.app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callback_coros = [
            asyncio.ensure_future(
                table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table])
            )
            for table in self.tables.values()
        ]
        if callback_coros:
            await asyncio.wait(callback_coros)
        assignment = consumer.assignment()
        if self.app.consumer_generation_id != generation_id:
            self.log.warning(
                f"Recovery rebalancing again app id {self.app.consumer_generation_id} param {generation_id}"
            )
            return
        if assignment:
            self.log.info("Seek stream partitions to committed offsets (still paused).")
            await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        self.completed.set()
        self.log.dev("Resume stream partitions")
        self.app.flow_control.resume()
        consumer.resume_flow()
        await cast(Any, self.app)._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not self.app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        self.app.on_rebalance_end()
        self.log.info("Worker ready")


class SeekBeforeResumeTableManager(TableManager):
    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekBeforeResumeRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


class App(faust.App):
    """faust.App with these fixes; `create_app` builds this one."""

    def _new_transport(self) -> Any:
        return SnapshotFetchTransport(self.conf.broker_consumer, self)
