"""What a routed result leaves behind besides its messages: metrics, a log line for dead letters.

Shared by the router (one result at a time) and the batching loop (a batch's results, once it
is sent)."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from processors.pipeline import StepResult
from schemas.models import SourceRef
from streams.metrics import Metrics

log = logging.getLogger("copydesk.agents")


def account(metrics: Metrics, result: StepResult, here: SourceRef) -> None:
    """The metrics and the log line of a routed result (`here`: the consumed message)."""
    m = metrics
    if result.role == "dead_letter":
        outcome = "internal_error" if result.error_kind == "internal_error" else "dead_letter"
        m.stage_messages_of[result.stage, outcome].inc()
        m.dead_letters_of[result.stage, result.error_kind].inc()
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
        m.stage_messages_of[result.stage, "ok"].inc()
    if result.verdict:
        m.verdicts_of[result.verdict].inc()
    corrections = sum(1 for e in result.more if e.role == "duplicates")
    if corrections:
        m.corrections.inc(corrections)
    if result.role in ("enriched", "duplicates", "dead_letter"):
        _observe_latency(m, result)
    m.in_flight_of[result.stage].dec()


def _observe_latency(metrics: Metrics, result: StepResult) -> None:
    now = time.time()
    source = result.source
    if source is not None and source.timestamp_ms:
        metrics.latency_ingest_of[result.role].observe(max(0.0, now - source.timestamp_ms / 1000))
    if result.fetched_at:
        fetched = datetime.fromisoformat(result.fetched_at.replace("Z", "+00:00")).timestamp()
        metrics.latency_fetched_of[result.role].observe(max(0.0, now - fetched))


def coordinates(event: Any) -> SourceRef:
    message = event.message
    return SourceRef(message.topic, message.partition, message.offset, message.timestamp and int(message.timestamp * 1000))
