"""The enrichment role: decided articles in, enriched records out, in batches.

Dedup sends each article it publishes as new (unique or update) to the `.to-enrich` topic, in
envelopes (`schemas.internal.pack`) as between the agents; this loop reads up to
`COPYDESK_ENRICH_BATCH` messages at once (waiting at most `COPYDESK_ENRICH_LINGER_MS`), and
since a message can carry thousands of articles under a backlog, takes each partition's in runs
of about `COPYDESK_ENRICH_BATCH` articles, whole messages each (`runs`): a run goes through
`processors.pipeline.enrich_steps` (one call of the entity model per `COPYDESK_ENRICH_BATCH`
articles), its records are published on enriched and its offsets marked for commit before the
next run starts. Duplicates never reach it.

It is a plain aiokafka consumer loop with a consumer group of its own (`<app id>.enrich`), not a
faust agent: it keeps no table and needs no co-partitioning, a faust message costs several times
an aiokafka one, and its own group lets an operator run it in separate processes
(`COPYDESK_ROLES=enrich`) beside workers that run the chain (`COPYDESK_ROLES=pipeline`), or
inside one worker with everything (`all`, the default). The model runs in a thread, so that in a
worker with everything the chain's agents keep the event loop between the model's batches; with
the model off, a run's keywords and quotes (pure Python, holding the interpreter either way) run
on the loop, without a thread's hand-offs and wake-ups for each call.

Delivery: at-least-once commits a partition's offsets once the broker acknowledged every record
of its runs, on the agents' commit interval (`COPYDESK_COMMIT_INTERVAL_MS`: at a moderate rate a
run holds an article or two, and committing each would cost a request per run), and before a
partition is revoked or the loop stops; a worker killed meanwhile has that long enriched again.
exactly_once gives each input partition a transactional producer of its own
(`<app id>-enrich-<topic>-<partition>`, the same after a restart, so a new one fences the old;
under the prefix `<app id>-` of the transactional ids a copydesk principal may use)
and commits a run's offsets inside the transaction that carries its records. A lock keeps a
rebalance from revoking partitions while a read is in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from processors import pipeline
from processors.pipeline import StepResult
from schemas.internal import Item, items_of
from schemas.models import SourceRef
from streams.agents.accounting import account
from streams.kafka_io import client_options, start
from streams.metrics import Metrics
from streams.settings import Settings
from streams.steps import TimeBudgetExceeded, clock, run_guarded, time_budget

log = logging.getLogger("copydesk.enrich")


class Enricher:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.options = settings.stage
        self.exactly_once = settings.processing_guarantee == "exactly_once"
        self.names = settings.topics.outputs()
        self.lock = asyncio.Lock()
        self.producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self.consumer: AIOKafkaConsumer | None = None
        #: at-least-once: each partition's next offset, sent and acknowledged, not committed yet;
        #: and when they are due.
        self.pending: dict[TopicPartition, int] = {}
        self.commit_due = 0.0

    async def run_forever(self) -> None:
        """`run`, started again after an error that stopped it (a lost broker, a fenced producer),
        with a growing pause: enrichment must not end silently inside a worker that goes on."""
        pause = 1.0
        while True:
            started = time.monotonic()
            try:
                await self.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - logged, then the loop starts again
                log.exception("enrichment stopped by an error; starting again in %.0f s", pause)
            pause = 1.0 if time.monotonic() - started > 60 else min(30.0, pause * 2)
            await asyncio.sleep(pause)

    async def run(self) -> None:
        """Consume until cancelled; a batch in flight when cancelled is neither committed nor
        (exactly_once) its transaction."""
        s = self.settings
        consumer = AIOKafkaConsumer(
            group_id=s.enrich_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed" if self.exactly_once else "read_uncommitted",
            max_partition_fetch_bytes=s.stage.max_record_bytes,
            fetch_max_bytes=max(s.stage.max_record_bytes, 52428800),
            session_timeout_ms=int(s.consumer_session_timeout_s * 1000),
            heartbeat_interval_ms=int(min(3.0, s.consumer_session_timeout_s / 3) * 1000),
            **client_options(s),
        )
        self.consumer = consumer
        await start(consumer, s)
        shared = None
        try:
            if not self.exactly_once:
                shared = self._producer(None)
                await start(shared, s)
            consumer.subscribe([s.topics.enrich], listener=_Listener(self))
            while True:
                batches = await consumer.getmany(timeout_ms=max(1, s.enrich_linger_ms), max_records=s.enrich_batch)
                await self._sample_lag(consumer)
                async with self.lock:
                    for tp, records in batches.items():
                        await self._batch(tp, records, shared)
                    if self.pending and time.monotonic() >= self.commit_due:
                        await self.commit(self.pending)
        finally:
            if self.pending:
                uncommitted = len(self.pending)
                try:
                    await self.commit(self.pending)
                except Exception:  # noqa: BLE001 - logged; the error that stopped the loop goes on up
                    log.warning("enrichment offsets of %d partitions not committed at the stop: their"
                                " last batches are enriched again", uncommitted, exc_info=True)
            self.pending.clear()
            await consumer.stop()
            for producer in [shared, *self.producers.values()]:
                if producer is not None:
                    await producer.stop()
            self.producers.clear()

    async def _sample_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is not None:
                self.metrics.enrich_lag.labels(partition=str(tp.partition)).set(max(0, end - await consumer.position(tp)))

    def _producer(self, tp: TopicPartition | None) -> AIOKafkaProducer:
        s = self.settings
        options: dict[str, Any] = dict(
            acks="all",
            enable_idempotence=True,
            linger_ms=s.producer_linger_ms,
            max_batch_size=256 * 1024,
            max_request_size=s.stage.max_record_bytes,
            **client_options(s),
        )
        if tp is not None:
            options["transactional_id"] = f"{s.app_id}-enrich-{tp.topic}-{tp.partition}"
        return AIOKafkaProducer(**options)

    async def _batch(self, tp: TopicPartition, records: list[Any], shared: AIOKafkaProducer | None) -> None:
        """A partition's messages in runs of about `COPYDESK_ENRICH_BATCH` articles, whole
        messages each (`runs`): a run is enriched, sent and its offsets marked (exactly_once:
        committed in its transaction) before the next is enriched, so that a read of thousands
        of articles sends and commits as it goes rather than after all of them."""
        m = self.metrics
        m.consumed.labels(topic=tp.topic).inc(len(records))
        messages = []
        for record in records:
            m.payload_bytes_of[tp.topic].observe(len(record.value or b""))
            messages.append((record, items_of(record.value)))
        for run in runs([len(items) for _, items in messages], self.settings.enrich_batch):
            if not await self._run(tp, messages[run], shared):
                # The rest of the read is the partition's next owner's: should the partition
                # stay here, it is read again from the failed run's first message.
                try:
                    self.consumer.seek(tp, messages[run][0][0].offset)  # type: ignore[union-attr]
                except IllegalStateError:
                    pass
                return
            if self.pending and time.monotonic() >= self.commit_due:
                await self.commit(self.pending)

    async def _run(self, tp: TopicPartition, messages: list[tuple[Any, list[Item]]], shared: AIOKafkaProducer | None) -> bool:
        """One run of whole messages: enriched `COPYDESK_ENRICH_BATCH` articles per model call,
        each call's records sent as they come, the last message's offset marked (or committed in
        the transaction that holds them all) after the last send. False if it was not committed."""
        m = self.metrics
        producer = self.producers.get(tp) if self.exactly_once else shared
        assert self.consumer is not None
        if producer is None or tp not in self.consumer.assignment():
            # Revoked between the read and the lock: the next owner reads it. Under at-least-once
            # its offset would otherwise join `pending`, and a commit naming a partition this
            # member no longer has fails as a whole, the other partitions' offsets with it.
            return False
        values: list[Item] = []
        heres: list[SourceRef] = []
        for record, items in messages:
            values += items
            heres += [SourceRef(tp.topic, tp.partition, record.offset, record.timestamp)] * len(items)
        m.in_flight.labels(stage="enrichment").inc(len(values))
        offsets = {tp: messages[-1][0].offset + 1}
        coordinates = {"topic": tp.topic, "partition": tp.partition, "offset": messages[0][0].offset}
        results: list[StepResult] = []
        try:
            if self.exactly_once:
                async with producer.transaction():
                    results = await self._enrich_and_send(producer, values, heres)
                    await producer.send_offsets_to_transaction(offsets, self.settings.enrich_group)
            else:
                results = await self._enrich_and_send(producer, values, heres)
                if not self.pending:
                    self.commit_due = time.monotonic() + self.settings.commit_interval_ms / 1000
                self.pending.update(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partition went to another member meanwhile: it reads the run again (a repeat
            # under at-least-once; exactly_once fenced this transaction and aborted it).
            log.warning("enrichment batch of %d not committed: %s", len(values), exc, extra=coordinates)
            m.in_flight.labels(stage="enrichment").dec(len(values))
            return False
        except BaseException:
            # Cancelled (a stop), or a failure run_forever logs; exactly_once: an aborted
            # transaction, which the read's later runs must not commit past, so run_forever
            # starts again from the committed offsets with new producers.
            m.in_flight.labels(stage="enrichment").dec(len(values))
            raise
        for result, here in zip(results, heres):
            account(m, result, here)
        return True

    async def _enrich_and_send(self, producer: AIOKafkaProducer, values: list[Item], heres: list[SourceRef]) -> list[StepResult]:
        """The articles through the model `COPYDESK_ENRICH_BATCH` at a time (one message can hold
        many more), each call's records sent before the next call; all sends acknowledged."""
        m = self.metrics
        size = self.settings.enrich_batch
        results: list[StepResult] = []
        sent: list[Any] = []
        try:
            for start in range(0, len(values), size):
                chunk, where = values[start : start + size], heres[start : start + size]
                m.enrich_batch.observe(len(chunk))
                started = time.perf_counter()
                if self.options.entities is None:  # no model: nothing to keep off the loop
                    made = self._enrich_one_call(chunk, where)
                else:
                    made = await asyncio.get_running_loop().run_in_executor(None, self._enrich_one_call, chunk, where)
                per_article = (time.perf_counter() - started) / len(chunk)
                for _ in chunk:
                    m.stage_duration_of["enrichment"].observe(per_article)
                for result in made:
                    topic = self.names[result.role]
                    sent.append(await producer.send(topic, result.value, key=result.key))
                    m.produced_of[topic].inc()
                results += made
        except BaseException:
            # The run is not committed and is read again. The sends already queued are not
            # waited for (a stop must not wait on a broker), but their outcome is still taken,
            # so that a failed one is not reported as a future nobody awaited.
            for future in sent:
                future.add_done_callback(_take_outcome)
            raise
        await asyncio.gather(*sent)
        return results

    async def commit(self, partitions: Any) -> None:
        """Commit the pending offsets of `partitions` (at-least-once). A partition that went to
        another member meanwhile is read again there from its last commit: repeats, no loss."""
        offsets = {tp: self.pending.pop(tp) for tp in list(partitions) if tp in self.pending}
        if not offsets:
            return
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("enrichment offsets of %d partitions not committed: %s", len(offsets), exc)

    def _enrich_one_call(self, values: list[Item], heres: list[SourceRef]) -> list[StepResult]:
        """The run's articles enriched in one call; if it fails, or overruns the stages' time
        budget for that many articles, each article alone, within the budget: the one that fails
        or overruns is a dead letter. The budget's alarm reaches only a call on the loop (the
        model off): in the executor's thread nothing can stop the call, as with any C call."""
        now = clock()
        budget_s = self.settings.stage_time_budget_s
        try:
            with time_budget(budget_s * len(values)):
                return pipeline.enrich_steps(values, self.options, now)
        except (Exception, TimeBudgetExceeded):  # noqa: BLE001 - each article is tried alone below
            return [
                run_guarded(
                    "enrichment", lambda v=v: pipeline.enrich_step(v, self.options, now), v, here, now, budget_s
                )
                for v, here in zip(values, heres)
            ]


def _take_outcome(future: asyncio.Future[Any]) -> None:
    """Retrieves a send's outcome that nobody awaits (a run left midway), so that a failed send is
    not logged as an exception never retrieved."""
    if not future.cancelled():
        future.exception()


class _Listener(ConsumerRebalanceListener):
    """Holds a rebalance until the batch in flight is sent and committed (at-least-once: commits
    the revoked partitions' pending offsets); in exactly_once mode, starts and stops the
    transactional producer of each assigned partition."""

    def __init__(self, enricher: Enricher) -> None:
        self.enricher = enricher

    async def on_partitions_revoked(self, revoked: Any) -> None:
        e = self.enricher
        async with e.lock:
            await e.commit(revoked)
            for tp in revoked:
                producer = e.producers.pop(tp, None)
                if producer is not None:
                    await producer.stop()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        e = self.enricher
        e.metrics.rebalances.inc()
        if not e.exactly_once:
            return
        for tp in assigned:
            if tp not in e.producers:
                producer = e._producer(tp)
                await start(producer, e.settings)
                e.producers[tp] = producer


def runs(sizes: list[int], bound: int) -> list[slice]:
    """Consecutive messages (`sizes`: the articles of each) cut into runs of at most `bound`
    articles, whole messages each; a message of more than `bound` is a run alone."""
    cuts: list[slice] = []
    start = count = 0
    for i, n in enumerate(sizes):
        if i > start and count + n > bound:
            cuts.append(slice(start, i))
            start, count = i, 0
        count += n
    if start < len(sizes):
        cuts.append(slice(start, len(sizes)))
    return cuts
