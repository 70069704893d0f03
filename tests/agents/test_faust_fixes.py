"""The shell's fixes to faust (streams/faust_fixes.py) and the gather table's partitions, without a
broker: what a worker's fetcher hands aiokafka, and where a table entry's changelog record goes."""

from __future__ import annotations

from faust.types import TP

from processors import dedup
from streams.app import create_app
from streams.settings import Settings
from streams.tables import partition_of


class RecordingThread:
    def __init__(self) -> None:
        self.asked: list = []

    async def getmany(self, active_partitions, timeout):
        self.asked.append(active_partitions)
        return {}


def bundle():
    return create_app(Settings.from_env({"COPYDESK_STORE": "memory://", "COPYDESK_PARTITIONS": "4"}))


async def test_aiokafka_gets_a_copy_of_the_active_partitions_and_never_an_empty_set():
    consumer = bundle().app.consumer
    thread = consumer._thread = RecordingThread()
    live = {TP("t", 0), TP("t", 1)}
    await consumer._getmany(live, 1.0)
    asked = thread.asked[-1]
    assert asked == live and asked is not live  # aiokafka re-reads its argument while it waits
    live.clear()  # faust pausing every partition meanwhile must not turn it into "every partition"
    assert asked == {TP("t", 0), TP("t", 1)}
    assert await consumer._getmany(live, 1.0) == {} and len(thread.asked) == 1


def test_a_gather_reply_is_changelogged_on_its_inputs_partition():
    gather = bundle().tables.gather
    for offset in range(200):
        source_id = f"news.articles.raw/{offset % 4}/{offset}"
        article = dedup.state_key(source_id, 19846)
        reply = dedup.state_key(f"{source_id}#7:0a217defc721", 19846)
        assert gather.partition_for_key(reply) == gather.partition_for_key(article) == partition_of(source_id, 4)
