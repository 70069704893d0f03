"""Batched hops: an agent sends what it made of the messages at hand as one envelope per
partition of the next topic, and acks those messages after the send.

A Kafka message costs a worker far more CPU than an article's own work (faust's per-message
path, the produce, the fetch), so articles travel between copydesk's agents in envelopes
(`schemas.internal.pack`). An agent takes messages one at a time, in order, runs the steps on
each item, and keeps the results in a `Batch`: the internal sends grouped by destination, the
outcome records, the table writes and the band entries. The batch goes out when none of its
partitions held a later message when it was last read (so a quiet worker adds no delay), when
it holds `max_items` articles, when its oldest has waited `max_s`, or when a commit is waiting
for it. Under load it fills by itself: one envelope then stands for many articles, one
changelog record for a key that many of them wrote. A batch gathers all the agent's source
partitions (faust hands their messages over interleaved, so a batch per partition would hold a
partition's share of the rate), except under exactly_once, where each source partition's outputs
belong to its own transaction and a batch holds one partition.

Why it is correct:
- Order. Items keep their order within a destination partition, and the messages of a source
  partition are taken and sent in order, so the order each partition sees is the one it saw
  with one message per article. A step reads its table through the batch (`get`), which holds
  the batch's writes until it goes out, the last value of each key (a site's lines, which every
  article of the site rewrites, are one changelog record per batch), in one set per table that
  every agent writing the table reads through (`PendingWrites`: the url step runs in two agents,
  see `Hop`); the band entries are indexed at once and stored as one value per batch and day.
  So the next item sees what the ones before it wrote, as with one message per article.
- A step run inline (`Hop`) takes the articles that would have come to it from this source
  partition, in this partition's order, as over the topic; the articles of other source
  partitions still come over the topic, as before.
- Acks. A message is acked only after everything its items produced was sent: a worker that
  stops first never acked it, and it is read again (at-least-once).
- exactly_once. Each message is counted as an input of its partition's transaction before its
  items write a table (`SourceTransactionManager.begin`), so a commit holds that transaction
  until the batch is sent and acked; a commit that waits makes the batch go out at once. The
  batch's writes and sends belong to its source partition's transaction however late they run
  (`faust_fixes.acting_for`).
- A batch never waits on an idle stream: a timer sends one whose messages have waited `max_s`
  while the agent waits for its next message (faust skips the messages of a revoked partition
  without handing them over, so "no more waiting" is not always seen).

Written here because faust's own batching (`Stream.take`) acks a whole batch when it is handed
over, not after its results are sent, and waits out its timer even when nothing else is coming.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from processors import neardup
from processors.pipeline import Stage, StepResult
from schemas.internal import items_of, pack
from schemas.models import SourceRef
from streams.agents.accounting import account, coordinates
from streams.faust_fixes import SourceTransactionManager, acting_for
from streams.steps import apply_writes, clock
from streams.tables import partition_of

if TYPE_CHECKING:
    from streams.agents.chain import Router, Step

#: Roles whose messages go between copydesk's own stages (the agents, and enrichment's loop):
#: these travel in envelopes. Outcomes, read by downstream services, stay one per article.
BATCHED_ROLES = frozenset({"extracted", "content", "bands", "gather", "enrich"})


class PendingWrites:
    """A table's writes that open batches hold until they go out, shared by every agent that runs
    a step on the table: its own, and one that runs the step inline (`Hop`). A step reads the
    latest value of a key whichever batch wrote it, and each batch that wrote a key stores the
    latest value when it goes out, so the last one to go out leaves the table as the steps left
    it (one changelog record per key and batch, as before)."""

    __slots__ = ("table", "values", "holders")

    def __init__(self, table: Any) -> None:
        self.table = table
        self.values: dict[str, Any] = {}
        #: key -> how many open batches wrote it.
        self.holders: Counter[str] = Counter()

    def get(self, key: str) -> Any:
        values = self.values
        if key in values:
            return values[key]
        return self.table.get(key)

    def put(self, held: set[str], key: str, value: Any) -> None:
        """Write `key` for a batch that holds the keys `held`."""
        if key not in held:
            held.add(key)
            self.holders[key] += 1
        self.values[key] = value

    def release(self, held: set[str]) -> dict[str, Any]:
        """The latest values of a batch's keys, which it stores as it goes out (or drops, when it
        never goes out); a key no other open batch holds leaves the pending writes."""
        latest = {}
        values, holders = self.values, self.holders
        for key in held:
            latest[key] = values[key]
            holders[key] -= 1
            if not holders[key]:
                del holders[key]
                del values[key]
        return latest


@dataclass(frozen=True, slots=True)
class Hop:
    """The step of the next agent, run by this one for an article whose partition on that agent's
    topic is the consumed message's own, instead of sending it there: the worker that holds the
    consumed partition holds that one too (faust assigns the partitions of topics with the same
    partition count together: `copartitioned`), with the table partition the step writes, and
    under exactly_once the same transaction (faust's is per topic group and partition number)."""

    role: str  #: the role of the messages the step takes
    topic: str  #: that role's topic
    stage: Stage
    step: Step
    pending: PendingWrites
    #: The message's bytes from the object a step handed on in-process, for when it is sent.
    encode: Callable[[Any], bytes]
    #: Topics whose partitions must be assigned with the consumed one's (the table's changelog).
    with_topics: tuple[str, ...] = ()


@dataclass(slots=True)
class Batch:
    """What an agent made of the messages it took and has not sent yet: from one source
    partition under exactly_once, from any of its partitions otherwise."""

    started: float
    events: list[Any] = field(default_factory=list)
    results: list[tuple[StepResult, SourceRef]] = field(default_factory=list)
    #: (role, partition) -> the serialised items for that destination, in order.
    envelopes: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = field(default_factory=dict)
    singles: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    #: Per source partition (faust keeps a table partition's data where its events come from):
    #: the keys written in each table (their values wait in its `PendingWrites`, the last value
    #: of each key, None to delete it: one changelog record per key and batch however many items
    #: wrote it); and the band entries.
    writes: dict[Any, dict[PendingWrites, set[str]]] = field(default_factory=dict)
    band_writes: dict[Any, dict[PendingWrites, list[tuple[str, Mapping[str, Any]]]]] = field(default_factory=dict)
    #: Per source partition: whether it held later messages when its last one was taken.
    more: dict[Any, bool] = field(default_factory=dict)
    items: int = 0


class BatchingAgent:
    """The loop of one chained agent (see the module docstring)."""

    def __init__(
        self,
        bundle: Any,
        router: Router,
        table: Any = None,
        steps: Sequence[tuple[Stage, Step]] = (),
        *,
        envelopes_in: bool = True,
        pending: PendingWrites | None = None,
        hops: Sequence[Hop] = (),
    ) -> None:
        settings = bundle.settings
        self.bundle = bundle
        self.router = router
        self.metrics = bundle.metrics
        self.steps = steps
        self.table = table
        #: The table's writes not stored yet, shared with any agent that runs this one's step.
        self.pending = pending if pending is not None else PendingWrites(table)
        #: The next agents' steps this one runs itself where the article stays on its partition,
        #: by the role of the messages they take.
        self.hops = {hop.role: hop for hop in hops}
        self.envelopes_in = envelopes_in
        self.partitions = settings.partitions
        #: Whether a hop that stays on the partition is run here (`Hop`, `Settings.inline_steps`).
        self.inline = settings.runs_steps_inline
        self.max_items = settings.batch_max_items
        self.max_s = settings.batch_max_ms / 1000
        # An envelope stays well under the largest message the producer may send.
        self.max_envelope_bytes = max(1, settings.stage.max_record_bytes // 2)
        #: The open batches: one per source partition under exactly_once (a partition's outputs
        #: are in its own transaction), else one for all (key None).
        self.batches: dict[Any, Batch] = {}
        self.lock = asyncio.Lock()
        self.manual: Any = None
        self.transactions: SourceTransactionManager | None = None
        assignor = getattr(getattr(bundle, "app", None), "assignor", None)
        self._group_of = assignor.group_for_topic if assignor is not None else None

    async def run(self, stream: Any) -> None:
        self.manual = manual = stream.noack()
        consumer = self.bundle.app.consumer
        self.transactions = transactions = (
            consumer.transactions if getattr(consumer, "in_transaction", False) else None
        )
        watch = asyncio.ensure_future(self._watch())
        try:
            async for event in manual.events():
                async with self.lock:
                    if transactions is not None:
                        if not transactions.may_send:  # a commit waits for what was taken
                            await self._flush_all()
                        await transactions.begin(event.message)
                    key = event.message.tp if transactions is not None else None
                    batch = self._take(key, event)
                    batch.more[event.message.tp] = self._more_waiting(consumer, event, transactions is not None)
                    now = time.monotonic()
                    if not any(batch.more.values()) or batch.items >= self.max_items or now - batch.started >= self.max_s:
                        await self._flush(key)
                    if transactions is not None and not transactions.may_send:
                        await self._flush_all()
                    else:
                        await self._flush_all(older_than=now - self.max_s)
        finally:
            watch.cancel()
            for batch in self.batches.values():  # never sent: its messages are read again
                for tables in batch.writes.values():
                    for pending, held in tables.items():
                        pending.release(held)
                for result, _ in batch.results:  # no longer in flight here (`account` never runs)
                    self.metrics.in_flight_of[result.stage].dec()
            self.batches.clear()

    @staticmethod
    def _more_waiting(consumer: Any, event: Any, transactional: bool) -> bool:
        """Whether the partition holds messages after `event` (as of the last fetch). faust
        hands messages over one at a time, so its queue says nothing of a backlog; the
        partition's end offset does. A topic written in transactions ends with a commit marker,
        which is no message: one offset more is left for it."""
        message = event.message
        try:
            end = consumer.highwater(message.tp)
        except Exception:  # noqa: BLE001 - no fetch yet: send at once
            return False
        return end is not None and message.offset + (2 if transactional else 1) < end

    def _take(self, key: Any, event: Any) -> Batch:
        """Run the steps on each item of `event` and keep the results in the batch of `key`."""
        here = coordinates(event)
        now = clock()  # one reading for the message (`Clock`), whatever the items it carries
        value = event.value
        m = self.metrics
        m.consumed_of[here.topic].inc()
        m.payload_bytes_of[here.topic].observe(len(value or b""))
        items = items_of(value) if self.envelopes_in else [value]
        batch = self.batches.get(key)
        if batch is None:
            batch = self.batches[key] = Batch(time.monotonic())
        message = event.message
        tp = message.tp
        hops = self.hops if self.inline else None  # else every message goes out (`_keep` encodes it)
        for item in items:
            result = self.router.run_steps(self.steps, here, item, now)
            pending = self.pending
            while hops:
                result, taken = self._split(message, result)
                if taken is None:
                    break
                hop, value = taken
                self._keep(batch, tp, pending, result, here)  # counted as its stage at the send
                self.metrics.inline_steps_of[hop.stage].inc()
                result = self.router.run_step(hop.stage, hop.step, here, value, now)
                pending = hop.pending
            self._keep(batch, tp, pending, result, here)
        batch.events.append(event)
        batch.items += len(items)
        return batch

    def get(self, key: str) -> Any:
        """The table's value of `key` as the open batches left it: a step reads the writes that
        go to the table when their batch goes out. (A table whose values are costly to decode
        keeps them decoded itself: `streams.tables.PartitionScopedTable`.)"""
        return self.pending.get(key)

    def _split(self, message: Any, result: StepResult) -> tuple[StepResult, tuple[Hop, Any] | None]:
        """`result` without the internal message that stays on the consumed message's partition
        (its main message or one in `more`), and the hop to run on it with its value; the
        messages that go out encoded from the objects the step handed on in-process."""
        hops, taken = self.hops, None
        hop = hops.get(result.role)
        if hop is not None:
            partition = None if result.key is None else partition_of(result.key.decode("utf-8"), self.partitions)
            value, result = self._place(message, hop, result, partition)
            if value is not None:
                taken = (hop, value)
                result = replace(result, role="none", key=None, value=b"", handed=None)
        if any(e.role in hops for e in result.more):
            more = []
            for e in result.more:
                hop = hops.get(e.role)
                if hop is not None:
                    partition = e.partition
                    if partition is None and e.key is not None:
                        partition = partition_of(e.key.decode("utf-8"), self.partitions)
                    value, e = self._place(message, hop, e, partition if taken is None else None)
                    if value is not None:
                        taken = (hop, value)
                        continue
                more.append(e)
            result = replace(result, more=tuple(more))
        return result, taken

    def _place(self, message: Any, hop: Hop, out: Any, partition: int | None) -> tuple[Any, Any]:
        """For an internal message `out` (a result or one of its `more`) bound for `partition`
        of `hop`'s topic: its value to run the hop on here when it stays, else None and `out`
        as it goes out (`_keep` encodes an object a step handed on in-process)."""
        if partition is not None and self._stays(message, hop, partition):
            return (out.handed if out.handed is not None else out.value), out
        return None, out

    def _stays(self, message: Any, hop: Hop, partition: int) -> bool:
        """Whether a message for `hop`'s topic on `partition` is the hop's to run here: the
        consumed message's own partition, on a topic assigned with the consumed one."""
        if not self.inline or partition != message.partition:
            return False
        group_of = self._group_of
        if group_of is None:
            return False
        try:
            group = group_of(message.topic)
            return all(group_of(topic) == group for topic in (hop.topic, *hop.with_topics))
        except KeyError:  # a topic this worker was not assigned
            return False

    def _keep(self, batch: Batch, tp: Any, pending: PendingWrites, result: StepResult, here: SourceRef) -> None:
        """Keep a result in the batch: its table writes (in `pending`, those of the table its step
        read) and what it sends."""
        held = batch.writes.setdefault(tp, {}).setdefault(pending, set()) if result.writes else set()
        for key, value in result.writes.items():
            assert pending.table is not None, f"stage {result.stage} returned writes but has no table"
            if result.stage == "dedup_bands" and value is not None:
                pending.table.index_pending(key, value)
                batch.band_writes.setdefault(tp, {}).setdefault(pending, []).append((key, value))
            else:
                pending.put(held, key, value)
        if result.role != "none":
            self._route(batch, result.role, result.key, self._bytes(result), None)
        for extra in result.more:
            self._route(batch, extra.role, extra.key, self._bytes(extra), extra.partition)
        batch.results.append((result, here))

    def _bytes(self, out: Any) -> bytes:
        """An internal message's bytes (a result or one of its `more`): encoded by its hop from
        the object a step handed on in-process, when it carries one."""
        if out.value or out.handed is None:
            return out.value
        hop = self.hops.get(out.role)
        assert hop is not None, f"a message for {out.role} handed on as an object, and no hop to encode it"
        return hop.encode(out.handed)

    def _route(self, batch: Batch, role: str, key: bytes | None, value: bytes, partition: int | None) -> None:
        if role not in BATCHED_ROLES:
            batch.singles.append((role, key, value))
            return
        if partition is None:
            assert key is not None, f"an item for {role} needs a key or a partition"
            partition = partition_of(key.decode("utf-8"), self.partitions)
        batch.envelopes.setdefault((role, partition), []).append((key, value))

    async def _flush_all(self, older_than: float | None = None) -> None:
        for key, batch in list(self.batches.items()):
            if older_than is None or batch.started <= older_than:
                await self._flush(key)

    async def _flush(self, key: Any) -> None:
        """Send a batch (table writes, band entries, envelopes, outcomes), then account for and
        ack it. Each partition's writes are made as one of its own events (faust stores a table
        partition's data by the event's partition)."""
        batch = self.batches.pop(key, None)
        if batch is None:
            return
        router, m = self.router, self.metrics
        last = {event.message.tp: event for event in batch.events}  # each partition's last event
        for tp, event in last.items():
            with acting_for(event):
                for pending, held in batch.writes.get(tp, {}).items():
                    await pending.table.store_all(pending.release(held), apply_writes)
                for bands, entries in batch.band_writes.get(tp, {}).items():
                    await bands.table.store_all(neardup.batch_entries(entries), _store_indexed)
        with acting_for(batch.events[-1]):
            for (role, partition), items in batch.envelopes.items():
                for chunk in _chunks(items, self.max_envelope_bytes):
                    topic = await router.send(role, chunk[0][0], pack([v for _, v in chunk]), partition)
                    m.envelope_items_of[topic].observe(len(chunk))
            for role, k, value in batch.singles:
                await router.send(role, k, value)
        for result, here in batch.results:
            account(m, result, here)
        for event in batch.events:
            await self.manual.ack(event)

    async def _watch(self) -> None:
        """Send the batches whose messages have waited `max_s`, or all of them when a commit waits
        for them, while the agent waits for its next message."""
        while True:
            await asyncio.sleep(self.max_s)
            if not self.batches or self.lock.locked():
                continue
            async with self.lock:
                waited_for = self.transactions is not None and not self.transactions.may_send
                await self._flush_all(older_than=None if waited_for else time.monotonic() - self.max_s)


def _store_indexed(table: Any, entries: Mapping[str, Any]) -> None:
    for key, value in entries.items():
        table.store_indexed(key, value)


def _chunks(items: list[tuple[bytes | None, bytes]], limit: int) -> list[list[tuple[bytes | None, bytes]]]:
    """`items` in runs whose envelopes stay within `limit` bytes (an item larger than that alone)."""
    chunks: list[list[tuple[bytes | None, bytes]]] = [[]]
    size = 0
    for item in items:
        if chunks[-1] and size + len(item[1]) + 1 > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item[1]) + 1
    return chunks
