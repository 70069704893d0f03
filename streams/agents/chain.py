"""The chained agents: raw -> (clean, extract) -> extracted -> by-content -> (by-band -> gather)
-> enriched | duplicates, with dead letters from any of them.

Each agent body is the same few lines: read the message's coordinates, run its steps from
`processors.pipeline` (guarded), and route the result. Decisions live in `processors/`; here
are only I/O, metrics and logs. Concurrency stays at 1 per agent: faust commits past in-flight
messages with more, and one partition's order is what keeps dedup decisions deterministic.

Cleaning and extraction run in one agent (`prepare`), one step after the other: both are
stateless and need no re-keying between them, so a topic between them bought nothing but a
produce, a fetch and faust's per-message cost (bench/README.md). Each keeps its stage name in
the metrics and in dead letters.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from processors import pipeline
from processors.pipeline import Clock, Stage, StepResult
from schemas.internal import Cleaned
from schemas.models import SourceRef
from streams.metrics import Metrics
from streams.steps import clock, run_guarded
from streams.tables import partition_of

if TYPE_CHECKING:
    import faust

    from streams.app import Copydesk

log = logging.getLogger("copydesk.agents")

#: A step as an agent runs it: the consumed value, its coordinates and the clock reading.
Step = Callable[[bytes, SourceRef, Clock], StepResult]


class Router:
    """Runs a step and applies its result: table writes, the send, metrics, a log line for dead letters."""

    def __init__(self, bundle: Copydesk, budget_s: float = 0.0) -> None:
        self.bundle = bundle
        self.metrics = bundle.metrics
        self.budget_s = budget_s  # each step's time budget (0: none), see streams.steps

    def run(
        self,
        stage: Stage,
        here: SourceRef,
        value: bytes | None,
        call: Callable[[Clock], StepResult],
        now: Clock | None = None,
    ) -> StepResult:
        """Run one step on the consumed message `here` with one reading of the clock; `emit`
        must follow with its result."""
        m = self.metrics
        m.consumed.labels(topic=here.topic).inc()
        m.payload_bytes.labels(topic=here.topic).observe(len(value or b""))
        return self._step(stage, here, value, call, now or clock())

    def run_steps(self, steps: Sequence[tuple[Stage, Step]], here: SourceRef, value: bytes | None) -> StepResult:
        """Run `steps` in turn on one consumed message, with one reading of the clock: each next
        step takes what the previous result hands on in-process (`pipeline.HANDED_ON`, its
        `handed` value); the first other result is what `emit` must send."""
        (stage, step), *rest = steps
        now = clock()
        result = self.run(stage, here, value, lambda now: step(value, here, now), now)
        for stage, step in rest:
            if result.role != pipeline.HANDED_ON:
                break
            self.metrics.stage_messages.labels(stage=result.stage, outcome="ok").inc()
            self.metrics.in_flight.labels(stage=result.stage).dec()
            handed = result.handed
            result = self._step(stage, here, handed, lambda now: step(handed, here, now), now)
        return result

    def _step(
        self, stage: Stage, here: SourceRef, value: bytes | Cleaned | None, call: Callable[[Clock], StepResult], now: Clock
    ) -> StepResult:
        m = self.metrics
        m.in_flight.labels(stage=stage).inc()
        started = time.perf_counter()
        result = run_guarded(stage, lambda: call(now), value, here, now, self.budget_s)
        m.stage_duration.labels(stage=stage).observe(time.perf_counter() - started)
        return result

    async def emit(self, result: StepResult, here: SourceRef, table: faust.Table | None = None) -> None:
        for key, value in result.writes.items():
            assert table is not None, f"stage {result.stage} returned writes but has no table"
            if value is not None:
                table[key] = value
            elif key in table:
                del table[key]
        if result.role != "none":
            await self._send(result.role, result.key, result.value)
        for extra in result.more:
            await self._send(extra.role, extra.key, extra.value, extra.partition)
        account(self.metrics, result, here)

    async def _send(self, role: str, key: bytes | None, value: bytes, partition: int | None = None) -> None:
        topic = self.bundle.topics.for_role(role)
        await topic.send(key=key, value=value, partition=partition)
        self.metrics.produced.labels(topic=topic.get_topic_name()).inc()

def account(metrics: Metrics, result: StepResult, here: SourceRef) -> None:
    """The metrics and the log line of a routed result (`here`: the consumed message)."""
    m = metrics
    if result.role == "dead_letter":
        outcome = "internal_error" if result.error_kind == "internal_error" else "dead_letter"
        m.stage_messages.labels(stage=result.stage, outcome=outcome).inc()
        m.dead_letters.labels(stage=result.stage, reason=result.error_kind).inc()
        log.warning(
            "dead letter from %s: %s",
            result.stage,
            result.error_kind,
            extra={
                "stage": result.stage,
                "kind": result.error_kind,
                "topic": here.topic,
                "partition": here.partition,
                "offset": here.offset,
                "url": result.url,
            },
        )
    else:
        m.stage_messages.labels(stage=result.stage, outcome="ok").inc()
    if result.verdict:
        m.verdicts.labels(status=result.verdict).inc()
    corrections = sum(1 for e in result.more if e.role == "duplicates")
    if corrections:
        m.corrections.inc(corrections)
    if result.role in ("enriched", "duplicates", "dead_letter"):
        _observe_latency(m, result)
    m.in_flight.labels(stage=result.stage).dec()


def _observe_latency(metrics: Metrics, result: StepResult) -> None:
    now = time.time()
    source = result.source
    if source is not None and source.timestamp_ms:
        metrics.latency_ingest.labels(outcome=result.role).observe(max(0.0, now - source.timestamp_ms / 1000))
    if result.fetched_at:
        fetched = datetime.fromisoformat(result.fetched_at.replace("Z", "+00:00")).timestamp()
        metrics.latency_fetched.labels(outcome=result.role).observe(max(0.0, now - fetched))


def coordinates(event: Any) -> SourceRef:
    message = event.message
    return SourceRef(message.topic, message.partition, message.offset, message.timestamp and int(message.timestamp * 1000))


def register(bundle: Copydesk) -> None:
    app, topics, tables, options = bundle.app, bundle.topics, bundle.tables, bundle.options
    version = bundle.version
    router = Router(bundle, bundle.settings.stage_time_budget_s)
    prefix = bundle.settings.app_id
    partitions = bundle.settings.partitions

    def band_partition(band_key: str) -> int:
        return partition_of(band_key, partitions)

    def chained(topic: Any, name: str, steps: Sequence[tuple[Stage, Step]], table: Any = None) -> None:
        @app.agent(topic, name=f"{prefix}.{name}", concurrency=1)
        async def agent(stream: Any) -> None:
            # Acks are ours, after the result is sent: faust acks an event when its iterator
            # moves on or is closed, so an agent cancelled mid-message (a rebalance, a recovery,
            # a shutdown) would have its message acked unprocessed, and that input lost.
            # One event at a time, not batches: faust's `take_events` acks the whole batch in a
            # `finally` (the same loss on cancellation), and `noack_take` with acks after each
            # send measured no cheaper per message than this loop (bench/README.md, issue 7)
            # while adding up to its `within` wait to every hop at low load.
            manual = stream.noack()
            async for event in manual.events():
                here = coordinates(event)
                result = router.run_steps(steps, here, event.value)
                await router.emit(result, here, table)
                await manual.ack(event)

    urls, contents, bands, gather = tables.urls, tables.contents, tables.bands, tables.gather
    chained(
        topics.raw,
        "prepare",
        [
            ("cleaning", lambda v, here, now: pipeline.clean_step(v, here, options, now)),
            ("extraction", lambda v, _, now: pipeline.extract_step(v, options, now, tables.sitelines.get)),
        ],
        tables.sitelines,
    )
    chained(
        topics.extracted,
        "dedup-url",
        [("dedup_url", lambda v, _, now: pipeline.dedup_url_step(v, urls.get, options, now, version))],
        urls,
    )
    chained(
        topics.content,
        "dedup-content",
        [
            (
                "dedup_content",
                lambda v, _, now: pipeline.dedup_content_step(v, contents.get, options, now, version, band_partition),
            )
        ],
        contents,
    )
    chained(
        topics.bands,
        "dedup-bands",
        [("dedup_bands", lambda v, _, now: pipeline.dedup_bands_step(v, bands.lookup_bands, options, now))],
        bands,
    )
    chained(
        topics.gather,
        "dedup-gather",
        [("dedup_gather", lambda v, _, now: pipeline.dedup_gather_step(v, gather.get, options, now, version))],
        gather,
    )
