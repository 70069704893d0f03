"""Housekeeping beside the chain: expiry of dedup state, health endpoints, worker gauges.

Expiry reads only the keys (their day, see `processors.dedup`); the decision which keys are old
is `processors.dedup.expired_keys`, the deletes are here. The sweep yields to the event loop
between batches so that a large table never stalls the agents.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from processors import dedup

if TYPE_CHECKING:
    from streams.app import Copydesk

log = logging.getLogger("copydesk.maintenance")
_SWEEP_BATCH = 5_000


def register(bundle: Copydesk) -> None:
    app, settings, metrics = bundle.app, bundle.settings, bundle.metrics
    horizon = bundle.options.dedup_horizon_days
    named_tables = {"urls": bundle.tables.urls, "contents": bundle.tables.contents}

    @app.timer(interval=settings.dedup_sweep_seconds, name=f"{settings.app_id}.expire")
    async def expire() -> None:
        today = int(time.time()) // 86_400
        for label, table in named_tables.items():
            keys = list(table.keys())
            metrics.table_keys.labels(table=label).set(len(keys))
            removed = 0
            for start in range(0, len(keys), _SWEEP_BATCH):
                for key in dedup.expired_keys(keys[start : start + _SWEEP_BATCH], today, horizon):
                    del table[key]
                    removed += 1
                await asyncio.sleep(0)
            metrics.table_expired.labels(table=label).inc(removed)
            if removed:
                log.info("expired %d keys of table %s", removed, label)

    source_topics = {
        settings.topics.raw,
        settings.topics.cleaned,
        settings.topics.extracted,
        settings.topics.content,
    }

    @app.timer(interval=settings.lag_sample_seconds, name=f"{settings.app_id}.lag")
    async def sample_lag() -> None:
        consumer = app.consumer
        tps = [tp for tp in consumer.assignment() if tp.topic in source_topics]
        if not tps:
            return
        highwaters = await consumer.highwaters(*tps)
        # faust keeps the committed position (the next offset to read) per partition; it has
        # no public accessor, and asking the broker every few seconds would cost a round trip.
        committed = consumer._committed_offset
        for tp in tps:
            done = committed.get(tp) or 0
            metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(
                max(0, highwaters.get(tp, 0) - done)
            )

    @app.on_partitions_assigned.connect
    async def on_assigned(app_: Any, assigned: Any, **kwargs: Any) -> None:
        metrics.rebalances.inc()
        metrics.assigned_partitions.clear()
        metrics.consumer_lag.clear()
        counts: dict[str, int] = {}
        for tp in assigned:
            counts[tp.topic] = counts.get(tp.topic, 0) + 1
        for topic, count in counts.items():
            metrics.assigned_partitions.labels(topic=topic).set(count)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "version": bundle.version})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        assigned = bool(app.consumer.assignment()) if app.consumer else False
        recovered = app.tables.recovery.completed.is_set() and not app.rebalancing
        ready = assigned and recovered
        body = {"ready": ready, "partitions_assigned": assigned, "tables_recovered": recovered}
        return web.json(body, status=200 if ready else 503)
