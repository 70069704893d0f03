"""Every Prometheus metric copydesk exposes, declared in one place.

Names follow the Prometheus guide: prefix `copydesk_`, base units in the name, counters end in
`_total`, histograms in seconds (faust's own sensor reports milliseconds; the dashboard uses
these). Labels are bounded: stage, topic, outcome, status, reason (an error kind); never a URL
or an id. The metrics live on a `CollectorRegistry` owned by the `Metrics` object, not on the
library's global one, so a test can build as many as it likes.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)

_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
_SIZE_BUCKETS = tuple(float(2**k) for k in range(8, 26, 2))  # 256 B .. 32 MiB


class Children(dict):
    """A labelled metric's children by their label values (a tuple when there are several), each
    made on its first use and kept. `labels()` checks its arguments and takes a lock on every
    call, several times the cost of the increment it prepares, and the agents count every step
    of every article. Made on first use as `labels()` makes them, so the exposed series are the
    same. Only for metrics whose children are never removed: a kept child would outlive its series."""

    __slots__ = ("metric",)

    def __init__(self, metric: Any) -> None:
        super().__init__()
        self.metric = metric

    def __missing__(self, values: str | tuple[str, ...]) -> Any:
        child = self.metric.labels(*values) if isinstance(values, tuple) else self.metric.labels(values)
        self[values] = child
        return child


class Metrics:
    def __init__(self, version: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        if registry is None:  # process_cpu_seconds_total, process_resident_memory_bytes, ...
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self.build_info = Gauge("copydesk_build_info", "Build of this worker (value is 1).", ["version"], registry=r)
        self.build_info.labels(version=version).set(1)
        self.consumed = Counter(
            "copydesk_messages_consumed_total", "Messages consumed, by topic.", ["topic"], registry=r
        )
        self.produced = Counter(
            "copydesk_messages_produced_total", "Messages produced, by topic.", ["topic"], registry=r
        )
        self.stage_messages = Counter(
            "copydesk_stage_messages_total",
            "Messages through a stage, by outcome (ok, dead_letter, internal_error).",
            ["stage", "outcome"],
            registry=r,
        )
        self.inline_steps = Counter(
            "copydesk_inline_steps_total",
            "Articles a stage took from the agent before it, in the same worker, instead of from its"
            " topic (their partition there was the consumed message's own).",
            ["stage"],
            registry=r,
        )
        self.stage_duration = Histogram(
            "copydesk_stage_duration_seconds",
            "Time a stage spent on one message.",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.dead_letters = Counter(
            "copydesk_dead_letters_total", "Dead letters, by stage and reason.", ["stage", "reason"], registry=r
        )
        self.verdicts = Counter(
            "copydesk_dedup_verdicts_total", "Dedup verdicts, by status.", ["status"], registry=r
        )
        self.corrections = Counter(
            "copydesk_dedup_corrections_total",
            "Articles published earlier as originals and corrected to copies of one fetched before them.",
            registry=r,
        )
        self.envelope_items = Histogram(
            "copydesk_envelope_items",
            "Articles per message sent between copydesk's agents, by topic.",
            ["topic"],
            buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
            registry=r,
        )
        self.payload_bytes = Histogram(
            "copydesk_payload_bytes", "Size of consumed message values.", ["topic"], buckets=_SIZE_BUCKETS, registry=r
        )
        self.latency_fetched = Histogram(
            "copydesk_end_to_end_latency_from_fetch_seconds",
            "From the crawler's fetched_at to the outcome's publication.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.latency_ingest = Histogram(
            "copydesk_end_to_end_latency_seconds",
            "From the raw input record's Kafka timestamp to the outcome's publication.",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "copydesk_in_flight_messages", "Messages taken by an agent and not yet routed.", ["stage"], registry=r
        )
        self.table_keys = Gauge(
            "copydesk_table_keys", "Keys held in a dedup table on this worker.", ["table"], registry=r
        )
        self.table_expired = Counter(
            "copydesk_table_expired_keys_total", "Keys deleted by expiry, by table.", ["table"], registry=r
        )
        self.rebalances = Counter(
            "copydesk_rebalances_total", "Consumer group rebalances seen by this worker.", registry=r
        )
        self.assigned_partitions = Gauge(
            "copydesk_assigned_partitions", "Partitions assigned to this worker, by topic.", ["topic"], registry=r
        )
        self.consumer_lag = Gauge(
            "copydesk_consumer_lag_messages",
            "End offset minus committed offset, per assigned partition.",
            ["topic", "partition"],
            registry=r,
        )

        self.enrich_lag = Gauge(
            "copydesk_enrich_lag_messages",
            "Decided articles waiting for enrichment: end offset minus position, per assigned partition.",
            ["partition"],
            registry=r,
        )
        self.enrich_batch = Histogram(
            "copydesk_enrich_batch_articles",
            "Articles per batch that enrichment ran through the entity model at once.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )

        # What the agents count per article or message, by label values in the metric's order.
        self.stage_messages_of = Children(self.stage_messages)  # [stage, outcome]
        self.stage_duration_of = Children(self.stage_duration)  # [stage]
        self.in_flight_of = Children(self.in_flight)  # [stage]
        self.inline_steps_of = Children(self.inline_steps)  # [stage]
        self.dead_letters_of = Children(self.dead_letters)  # [stage, reason]
        self.verdicts_of = Children(self.verdicts)  # [status]
        self.latency_fetched_of = Children(self.latency_fetched)  # [outcome]
        self.latency_ingest_of = Children(self.latency_ingest)  # [outcome]
        self.consumed_of = Children(self.consumed)  # [topic]
        self.payload_bytes_of = Children(self.payload_bytes)  # [topic]
        self.produced_of = Children(self.produced)  # [topic]
        self.envelope_items_of = Children(self.envelope_items)  # [topic]

    def serve(self, host: str, port: int) -> None:
        start_http_server(port, addr=host, registry=self.registry)
