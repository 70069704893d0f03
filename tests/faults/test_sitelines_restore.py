"""A site's lines after a fault: the worker that owns raw partition 1 is killed with SIGKILL and
started again on an empty data directory; it restores every changelog partition of the global
site-lines table before it processes, so the first article on partition 1 has the lines learnt
on partition 0 dropped. Two workers, a kill and a restore from the changelog: minutes under load,
so it runs with the fault suite (`make test-faults`), beside tests/integration/test_sitelines_global.py.
"""

from __future__ import annotations

import signal

import orjson

from streams.kafka_io import produce, read_outputs
from tests.integration.test_dedup_stream import _settled_assignment
from tests.integration.test_sitelines_global import FURNITURE, body, learn_on_partition_0, page, started, two_workers, url_on
from tests.integration.workers import WorkerProcess


async def test_a_worker_killed_and_started_on_empty_state_drops_the_other_owner_s_lines_at_once(kafka_bootstrap, tmp_path):
    """kill -9 of the worker that owns partition 1, started again on an empty data directory: it
    restores every changelog partition of the global table before it processes, so the first probe
    on partition 1 has the lines learnt on partition 0 dropped."""
    env, settings, workers = two_workers(kafka_bootstrap, tmp_path)
    try:
        owned = await started(settings, workers)
        n = await learn_on_partition_0(settings)
        assert len(await read_outputs(settings, expect=3, timeout_s=120)) == 3

        at = 0 if 1 in owned[0] else 1  # the owner of partition 1
        workers[at].stop(signal.SIGKILL)
        workers[at] = WorkerProcess({**env, "COPYDESK_DATA_DIR": str(tmp_path / "fresh")}, tmp_path / "fresh.log")
        workers[at].start(ready_timeout=300)
        assert _settled_assignment(workers, settings.topics.raw, 2) is not None, "no settled assignment after the restart"
        url, n = url_on(1, 2, n + 1)
        await produce(settings, [page(url, n, [FURNITURE[0]])])
        records = await read_outputs(settings, expect=4, timeout_s=120)
        (probe,) = [orjson.loads(r[4]) for r in records if orjson.loads(r[4]).get("url") == url]
        assert probe["source"]["partition"] == 1
        assert all(p in probe["text"] for p in body(n, 2)), probe["text"]
        assert FURNITURE[0] not in probe["text"], probe["text"]
    finally:
        for worker in workers:
            worker.stop()
