"""The chained agents: raw -> (clean, extract) -> extracted -> by-content -> (by-band -> gather)
-> enriched | duplicates, with dead letters from any of them.

Each agent is the same loop (`streams.agents.batching`): read a message's coordinates, run its
steps from `processors.pipeline` (guarded) on each article it carries, and route the results,
batched into one envelope per partition of the next topic. Decisions live in `processors/`;
here are only I/O, metrics and logs. Concurrency stays at 1 per agent: faust commits past
in-flight messages with more, and one partition's order is what keeps dedup decisions
deterministic.

Each agent also holds the later steps as hops (`streams.agents.batching.Hop`): where an article's
next partition is the one being processed, it runs the next step itself (by default only with one
partition, `Settings.inline_steps`).

Cleaning and extraction run in one agent (`prepare`), one step after the other: both are
stateless and need no re-keying between them, so a topic between them bought nothing but a
produce, a fetch and faust's per-message cost (bench/README.md). Each keeps its stage name in
the metrics and in dead letters.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Sequence

import orjson

from processors import pipeline
from processors.pipeline import Clock, Lookup, Stage, StepResult
from schemas.internal import BandProbe, Cleaned, Item, dumps
from schemas.models import SourceRef
from streams.agents.batching import BatchingAgent, Hop, PendingWrites
from streams.steps import run_guarded
from streams.tables import partition_of, producer_of, undelivered

if TYPE_CHECKING:
    from streams.app import Copydesk

log = logging.getLogger("copydesk.agents")

#: A step as an agent runs it: the consumed value (or an envelope's item), its coordinates and
#: the clock reading.
Step = Callable[[Any, SourceRef, Clock], StepResult]


class Router:
    """Runs an agent's steps on one article (guarded, timed, counted in flight) and sends a message
    to a role's topic; the batching loop (`streams.agents.batching`) applies and routes the results."""

    def __init__(
        self, bundle: Copydesk, budget_s: float = 0.0, producer: Callable[[], Awaitable[Any]] | None = None
    ) -> None:
        self.bundle = bundle
        self.metrics = bundle.metrics
        self.budget_s = budget_s  # each step's time budget (0: none), see streams.steps
        #: How to get faust's producer (`streams.tables.producer_of`): a message goes straight to
        #: it, as a batch's changelog records do (`DayKeyedTable.store_all`); without, `Topic.send`.
        self.producer = producer
        self._producer: Any = None  # the answer, kept: asking costs an await per message

    def run_steps(
        self, steps: Sequence[tuple[Stage, Step]], here: SourceRef, value: Item | None, now: Clock
    ) -> StepResult:
        """Run `steps` in turn on one article (a consumed message or one item of an envelope;
        the message itself is counted by the agent's loop) with `now`, the clock as read for the
        consumed message: each next step takes what the previous result hands on in-process
        (`pipeline.HANDED_ON`, its `handed` value); the first other result is what must be sent."""
        (stage, step), *rest = steps
        result = self._step(stage, here, value, step, now)
        m = self.metrics
        for stage, step in rest:
            if result.role != pipeline.HANDED_ON:
                break
            m.stage_messages_of[result.stage, "ok"].inc()
            m.in_flight_of[result.stage].dec()
            result = self._step(stage, here, result.handed, step, now)
        return result

    def run_step(self, stage: Stage, step: Step, here: SourceRef, value: Any, now: Clock) -> StepResult:
        """One step on one article (guarded, timed, counted in flight): the next agent's step run
        inline (`streams.agents.batching.Hop`), on what the step before handed on."""
        return self._step(stage, here, value, step, now)

    def _step(self, stage: Stage, here: SourceRef, value: Item | Cleaned | None, step: Step, now: Clock) -> StepResult:
        m = self.metrics
        m.in_flight_of[stage].inc()
        started = time.perf_counter()
        result = run_guarded(stage, lambda: step(value, here, now), value, here, now, self.budget_s)
        m.stage_duration_of[stage].observe(time.perf_counter() - started)
        return result

    async def send(self, role: str, key: bytes | None, value: bytes, partition: int | None = None) -> str:
        """Send one message to the topic of `role`; the topic's name.

        faust's `Topic.send` of raw bytes ends in the same producer call (under exactly_once the
        transaction manager's, which puts it in the current event's transaction) after a
        FutureMessage, its sensors, a publish callback and a pass of the event loop, which let
        aiokafka's sender go with the few records queued so far: a batch's messages now reach the
        producer together."""
        topic = self.bundle.topics.for_role(role)
        name = topic.get_topic_name()
        if self.producer is None:
            await topic.send(key=key, value=value, partition=partition)
        else:
            producer = self._producer
            if producer is None:
                producer = self._producer = await self.producer()
            sent = await producer.send(name, key, value, partition, None, None)
            sent.add_done_callback(partial(_log_undelivered, name, partition))
        self.metrics.produced_of[name].inc()
        return name

def _log_undelivered(topic: str, partition: int | None, sent: Any) -> None:
    """faust's `Topic._on_published` for a message `Router.send` gave the producer: one not
    delivered is logged with its topic and partition (else only asyncio's "Future exception was
    never retrieved" would tell, when the future is collected)."""
    failed = undelivered(sent)
    if failed is not None:
        log.warning("message to %s not sent: %r", topic, failed, extra={"topic": topic, "partition": partition})


def register(bundle: Copydesk) -> None:
    app, topics, tables, options = bundle.app, bundle.topics, bundle.tables, bundle.options
    version = bundle.version
    router = Router(bundle, bundle.settings.stage_time_budget_s, partial(producer_of, app))
    prefix = bundle.settings.app_id
    partitions = bundle.settings.partitions

    def band_partition(band_key: str) -> int:
        return partition_of(band_key, partitions)

    #: Each table's writes waiting in open batches, shared by the agents that run its step.
    pending: dict[Any, PendingWrites] = {}

    def pending_of(table: Any) -> PendingWrites:
        return pending.setdefault(table, PendingWrites(table))

    def chained(
        topic: Any,
        name: str,
        steps: Callable[[Lookup], Sequence[tuple[Stage, Step]]],
        table: Any = None,
        hops: Sequence[Hop] = (),
    ) -> None:
        """An agent on `topic` running `steps(get)`, where `get` reads the agent's table as the
        open batches left it (`BatchingAgent.get`), and the `hops` where an article stays on its
        partition."""
        envelopes_in = topic is not topics.raw

        @app.agent(topic, name=f"{prefix}.{name}", concurrency=1)
        async def agent(stream: Any) -> None:
            # Acks are ours, after the results are sent: faust acks an event when its iterator
            # moves on or is closed, so an agent cancelled mid-message (a rebalance, a recovery,
            # a shutdown) would have its message acked unprocessed, and that input lost. Not
            # faust's `take_events`, which acks a whole batch in a `finally` (the same loss).
            runner = BatchingAgent(bundle, router, table, envelopes_in=envelopes_in, pending=pending_of(table), hops=hops)
            runner.steps = steps(runner.get)
            await runner.run(stream)

    # The url and content steps hand their message on as the object (as offline); it is encoded
    # (the hop's `encode`) only when it goes to its topic. The band and gather steps take and send
    # bytes: a probe's replies in-process are objects that only the gather reads.
    def url_step(get: Lookup) -> Step:
        return lambda v, _, now: pipeline.dedup_url_step(v, get, options, now, version, in_process=True)

    def content_step(get: Lookup) -> Step:
        return lambda v, _, now: pipeline.dedup_content_step(
            v, get, options, now, version, band_partition, in_process=True
        )

    bands = tables.bands

    def bands_step(_: Lookup) -> Step:
        return lambda v, _, now: pipeline.dedup_bands_step(v, bands.lookup_bands, options, now)

    def gather_step(get: Lookup) -> Step:
        return lambda v, _, now: pipeline.dedup_gather_step(v, get, options, now, version)

    def hop(role: str, stage: Stage, step: Callable[[Lookup], Step], table: Any, encode: Callable[[Any], bytes]) -> Hop:
        shared = pending_of(table)
        return Hop(
            role,
            topics.for_role(role).get_topic_name(),
            stage,
            step(shared.get),
            shared,
            encode,
            (table.changelog_topic.get_topic_name(),),
        )

    # Each agent runs every later step of the chain inline where the article stays on its
    # partition (every step, with one partition); each step's own agent takes the others.
    to_gather = hop("gather", "dedup_gather", gather_step, tables.gather, orjson.dumps)
    to_bands = hop("bands", "dedup_bands", bands_step, bands, BandProbe.to_bytes)
    to_content = hop("content", "dedup_content", content_step, tables.contents, dumps)
    to_url = hop("extracted", "dedup_url", url_step, tables.urls, dumps)
    chained(
        topics.raw,
        "prepare",
        lambda get: [
            ("cleaning", lambda v, here, now: pipeline.clean_step(v, here, options, now)),
            ("extraction", lambda v, _, now: pipeline.extract_step(v, options, now, get, in_process=True)),
        ],
        tables.sitelines,
        hops=[to_url, to_content, to_bands, to_gather],
    )
    chained(topics.extracted, "dedup-url", lambda get: [("dedup_url", url_step(get))], tables.urls, [to_content, to_bands, to_gather])
    chained(topics.content, "dedup-content", lambda get: [("dedup_content", content_step(get))], tables.contents, [to_bands, to_gather])
    chained(topics.bands, "dedup-bands", lambda get: [("dedup_bands", bands_step(get))], bands, [to_bands, to_gather])
    chained(topics.gather, "dedup-gather", lambda get: [("dedup_gather", gather_step(get))], tables.gather)
