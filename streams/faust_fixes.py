"""Two fixes to faust-streaming 0.15.3 (pinned below 0.16) that together lost an input after a
recovery from the changelogs (issue 6). Hand-written because no faust release has them; drop
this module when one does.

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
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Set, cast

import faust
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class SnapshotFetchConsumer(faust_aiokafka.Consumer):
    async def _getmany(self, active_partitions: Optional[Set[TP]], timeout: float) -> Any:
        if active_partitions is None:  # client-only apps fetch everything; workers never are
            return await super()._getmany(None, timeout)
        snapshot = set(active_partitions)
        if not snapshot:
            return {}
        return await super()._getmany(snapshot, timeout)


class SnapshotFetchTransport(faust_aiokafka.Transport):
    Consumer = SnapshotFetchConsumer


class SeekBeforeResumeRecovery(Recovery):
    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """faust 0.15.3's `Recovery.on_recovery_completed` with one change: `perform_seek`
        before `resume_partitions`, as PR 217 ordered `_resume_streams`."""
        consumer = self.app.consumer
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
    """faust.App with both fixes; `create_app` builds this one."""

    def _new_transport(self) -> Any:
        return SnapshotFetchTransport(self.conf.broker_consumer, self)
