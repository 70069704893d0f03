"""Housekeeping beside the chain: expiry of dedup state, health endpoints, worker gauges.

Expiry reads only the keys (their day, see `processors.dedup`); the decision which keys are old
is `processors.dedup.expired_keys`, the deletes are here. The sweep yields to the event loop
between batches so that a large table never stalls the agents.

`copydesk_table_keys` is an exact count, taken on every `_KEY_COUNT_EVERY`th consumer-lag sample
(once a minute at the default `COPYDESK_LAG_SAMPLE_SECONDS` of 5) and by the sweep, which lists
every key anyway: counting is O(keys), see `count_keys`, so it is not done on every sample.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiokafka.errors import KafkaError

from processors import dedup
from streams.tables import BandTable, PartitionScopedTable

if TYPE_CHECKING:
    from streams.app import Copydesk

log = logging.getLogger("copydesk.maintenance")
_SWEEP_BATCH = 5_000
_KEY_COUNT_EVERY = 12  # lag samples between two counts of the tables' keys (the first sample counts)


def register(bundle: Copydesk) -> None:
    app, settings, metrics = bundle.app, bundle.settings, bundle.metrics
    options = bundle.options
    named_tables = bundle.tables.named()
    horizons = {label: options.dedup_horizon_days for label in named_tables}
    horizons["sitelines"] = options.sitelines_horizon_days
    for label in named_tables:  # a series from the start, not only after the first sweep
        metrics.table_expired.labels(table=label)

    @app.timer(interval=settings.dedup_sweep_seconds, name=f"{settings.app_id}.expire")
    async def expire() -> None:
        today = int(time.time()) // 86_400
        for label, table in named_tables.items():
            # A global table's other partitions are their owners' to expire.
            keys = table.owned_keys() if isinstance(table, PartitionScopedTable) else list(table.keys())
            removed = 0
            for start in range(0, len(keys), _SWEEP_BATCH):
                for key in dedup.expired_keys(keys[start : start + _SWEEP_BATCH], today, horizons[label]):
                    del table[key]
                    removed += 1
                await asyncio.sleep(0)
            if isinstance(table, BandTable):  # its index expires with it, by the entries' days
                table.expire_index(today - horizons[label])
            metrics.table_keys.labels(table=label).set(len(keys) - removed)
            metrics.table_expired.labels(table=label).inc(removed)
            if removed:
                log.info("expired %d keys of table %s", removed, label)

    source_topics = {settings.topics.raw, *settings.topics.internal()}

    samples = 0

    @app.timer(interval=settings.lag_sample_seconds, name=f"{settings.app_id}.lag")
    async def sample_lag() -> None:
        nonlocal samples
        if samples % _KEY_COUNT_EVERY == 0:
            for label, table in named_tables.items():
                metrics.table_keys.labels(table=label).set(await count_keys(table))
        samples += 1
        for tp, lag in (await consumer_lag(app.consumer, source_topics, settings.lag_sample_seconds)).items():
            metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(lag)

    @app.on_partitions_assigned.connect
    async def on_assigned(app_: Any, assigned: Any, **kwargs: Any) -> None:
        nonlocal samples
        samples = 0  # other partitions, other keys: count them on the next lag sample
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
        body = {"ready": ready, "partitions_assigned": assigned, "tables_recovered": recovered, "app": app.conf.id}
        return web.json(body, status=200 if ready else 503)


async def consumer_lag(consumer: Any, topics: set[str], timeout: float) -> dict[Any, int]:
    """Each owned partition of `topics`: its high water less the committed position.

    The high water (the last stable offset under exactly_once) is read where the consumer keeps it,
    from the last fetch response, with no request. A partition not fetched yet (after a rebalance
    they all wait for the tables' recovery, while their backlog grows) has none there: the brokers
    are asked for those alone, for at most `timeout`, and a partition they do not answer for is
    left out of the sample rather than read as no lag. A sample must not end a worker while the
    brokers are away (faust runs timers as app tasks: an exception crashes the app).
    """
    owned = [tp for tp in consumer.assignment() if tp.topic in topics]
    highwaters = {tp: consumer.highwater(tp) for tp in owned}
    unfetched = [tp for tp, highwater in highwaters.items() if highwater is None]
    if unfetched:
        try:
            highwaters.update(await asyncio.wait_for(consumer.highwaters(*unfetched), timeout))
        except (KafkaError, asyncio.TimeoutError) as exc:
            log.debug("consumer lag: no high water for %d partitions not fetched yet: %r", len(unfetched), exc)
        owned = [tp for tp in owned if tp in consumer.assignment()]  # a rebalance may have come meanwhile
    # faust keeps the committed position (the next offset to read) per partition; it has no
    # public accessor, and asking the broker every few seconds would cost a round trip.
    committed = consumer._committed_offset
    return {
        tp: max(0, highwaters[tp] - (committed.get(tp) or 0))
        for tp in owned
        if highwaters.get(tp) is not None
    }


async def count_keys(table: Any) -> int:
    """Keys of `table` on this worker's active partitions. A memory store is a dict (len is
    O(1)); a RocksDB store has one database per partition, counted by iterating its keys (O(n),
    about two million keys a second) one partition at a time, yielding to the loop in between.
    RocksDB's `estimate-num-keys` would be O(1) but counts every overwrite still in the memtable,
    and faust rewrites its offset key on every table write: it read twice the true count."""
    store = table.data
    if isinstance(table, PartitionScopedTable):  # global: every partition is there, count its own
        if not hasattr(store, "_dbs_for_actives"):
            return len(table.owned_keys())
        dbs = [store._db_for_partition(partition) for partition in sorted(table.owned_partitions())]
    elif not hasattr(store, "_dbs_for_actives"):
        return len(store)
    else:
        dbs = list(store._dbs_for_actives())
    total = 0
    for db in dbs:
        total += store._size1(db)  # faust's count of one partition, its offset key left out
        await asyncio.sleep(0)
    return total
