"""A site's lines learnt on one raw partition drop them on another, with two workers each owning
one partition: the site-lines table is read on every worker (a global table) and written only by
each partition's owner. A worker killed and started again on empty state, reading the other
owner's lines before it processes, is a fault test (tests/faults/test_sitelines_restore.py)."""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

from streams.kafka_io import ensure_topics, produce, read_outputs
from streams.settings import Settings
from streams.tables import partition_of
from tests.integration.test_dedup_stream import _settled_assignment
from tests.integration.workers import WorkerProcess, unique_env

REPO = Path(__file__).resolve().parents[2]
WORDS = sorted(set((REPO / "tests" / "data" / "seed.txt").read_text(encoding="utf-8").split()))
SITE = "https://www.harbour-gazette.example.com"
#: Each line a site prints under its articles on partition 0; a probe on partition 1 prints one.
FURNITURE = [
    f"Also from the Harbour Gazette newsroom this week: the {a} and {b} supplement, with letters from readers"
    for a, b in zip(
        ("orchard", "museum", "glacier", "stadium", "library", "vineyard", "canal", "tramway", "airport", "quarry"),
        ("lighthouse", "ferry", "market", "bridge", "theatre", "harvest", "railway", "garden", "castle", "river"),
    )
]


def body(seed: int, paragraphs: int = 4) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(45)).capitalize() + "." for _ in range(paragraphs)]


def url_on(partition: int, partitions: int, start: int) -> tuple[str, int]:
    """A URL of the site that the raw topic's partitioner puts on `partition`, and its number."""
    n = start
    while partition_of(f"{SITE}/news/{n}", partitions) != partition:
        n += 1
    return f"{SITE}/news/{n}", n


def page(url: str, n: int, furniture: list[str]) -> bytes:
    """A page of the site: a paragraph of its own before each furniture line, and one after."""
    paragraphs = body(n, len(furniture) + 1)
    lines = [line for pair in zip(paragraphs, furniture) for line in pair] + paragraphs[len(furniture):]
    text = f"Headline of harbour story number {n}\n\n" + "\n\n".join(lines)
    fetched = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return orjson.dumps({"url": url, "fetched_at": fetched, "text": text})


def two_workers(kafka_bootstrap: str, tmp_path: Path) -> tuple[dict[str, str], Settings, list[WorkerProcess]]:
    """Two workers' settings under exactly_once, two partitions, each with its own data directory."""
    env = unique_env(
        kafka_bootstrap,
        tmp_path / "a",
        COPYDESK_PARTITIONS="2",
        COPYDESK_ENTITIES="off",
        COPYDESK_PROCESSING_GUARANTEE="exactly_once",
        COPYDESK_LAG_SAMPLE_SECONDS="1",
    )
    workers = [
        WorkerProcess(env, tmp_path / "a.log"),
        WorkerProcess({**env, "COPYDESK_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log"),
    ]
    return env, Settings.from_env(env), workers


async def started(settings: Settings, workers: list[WorkerProcess]) -> list[set[int]]:
    """Start the workers and wait until each owns one raw partition: the partitions each owns."""
    await ensure_topics(settings)
    for worker in workers:
        worker.start(ready_timeout=300)
    owned = _settled_assignment(workers, settings.topics.raw, 2)
    assert owned is not None, "the two workers did not settle on a raw partition each"
    return owned


async def learn_on_partition_0(settings: Settings) -> int:
    """Three pages on raw partition 0, each printing every furniture line; the last page's number."""
    learnt, n = [], 0
    for _ in range(3):
        url, n = url_on(0, 2, n + 1)
        learnt.append(page(url, n, FURNITURE))
    await produce(settings, learnt)
    return n


async def test_a_line_learnt_on_one_partition_is_dropped_on_another(kafka_bootstrap, tmp_path):
    _, settings, workers = two_workers(kafka_bootstrap, tmp_path)
    try:
        await started(settings, workers)
        n = await learn_on_partition_0(settings)
        records = await read_outputs(settings, expect=3, timeout_s=120)
        assert len(records) == 3, records
        for record in map(lambda r: orjson.loads(r[4]), records):
            assert all(line in record["text"] for line in FURNITURE), record["text"]  # seen once or twice before

        # Probes on partition 1, one furniture line each (so partition 1 alone never sees a line
        # twice): the first ones may come before the other worker's table has the lines.
        dropped = []
        for i, line in enumerate(FURNITURE):
            url, n = url_on(1, 2, n + 1)
            await produce(settings, [page(url, n, [line])])
            records = await read_outputs(settings, expect=4 + i, timeout_s=120)
            (probe,) = [orjson.loads(r[4]) for r in records if orjson.loads(r[4]).get("url") == url]
            assert probe["source"]["partition"] == 1
            assert all(p in probe["text"] for p in body(n, 2)), probe["text"]  # the body is whole
            if line not in probe["text"]:
                dropped.append(i)
                break
            time.sleep(1)
        assert dropped, "no probe on partition 1 had the line learnt on partition 0 dropped"
        print(f"dropped from probe {dropped[0]} on")
    finally:
        for worker in workers:
            worker.stop()
