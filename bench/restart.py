"""Restart-to-ready under exactly_once, two checkouts side by side: per checkout and round, a worker
with fresh topics processes `--inputs` inputs (its tables and their changelogs fill), and is then
stopped with SIGTERM and started again `--restarts` times; before each start a few new inputs wait
on the input topic. Per restart: seconds from the process start to `/readyz` answering 200 and to
the first new outcome, and which recovery end the worker logged (faust's "Aborted tx until
highwater" after two empty 5 s polls, or "read to its high water").

    BENCH_KAFKA_PORT=59392 BENCH_KAFKA_DIR=/tmp/bench-restart .venv/bin/python bench/restart.py /work/wt-A . \\
        [--inputs 200] [--rounds 2] [--restarts 3]

Writes bench/results/restart-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - bench/run.py
import tests.integration.workers as workers  # noqa: E402
from streams.settings import Settings  # noqa: E402


async def first_outcome_after(consumer, deadline: float) -> float | None:  # noqa: ANN001
    while time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=100)
        if any(batches.values()):
            return time.monotonic()
    return None


async def restarts(root: Path, label: str, workdir: Path, inputs: int, count: int) -> list[dict]:
    from aiokafka import AIOKafkaConsumer
    from streams.kafka_io import ensure_topics

    tag = uuid.uuid4().hex[:8]
    env = bench.pipeline_env(tag, workdir, {"COPYDESK_PROCESSING_GUARANTEE": "exactly_once", "COPYDESK_PARTITIONS": "2"})
    settings = Settings.from_env(env)
    await ensure_topics(settings)
    outputs = list(settings.topics.outputs().values())
    workers.REPO_ROOT = root
    log_path = workdir / f"worker-{label}-{tag}.log"
    worker = workers.WorkerProcess(env, log_path).start(240.0)
    try:
        await bench.produce(settings.topics.raw, bench.distinct_articles(20_000_000, inputs, f"-r{tag}"))
        got = await bench.read_topics(outputs, inputs, timeout_s=300)
        if len(got) < inputs:
            raise RuntimeError(f"{label}: {len(got)}/{inputs} outcomes before the first restart")
    finally:
        assert worker.stop(signal.SIGTERM, 120.0) == 0, worker.tail()
    out = []
    for i in range(count):
        consumer = AIOKafkaConsumer(*outputs, bootstrap_servers=bench.BOOTSTRAP, isolation_level="read_committed",
                                    enable_auto_commit=False, auto_offset_reset="latest")
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=500)  # assigned, at the end
            await consumer.seek_to_end()
            await bench.produce(settings.topics.raw, bench.distinct_articles(30_000_000 + 100 * i, 5, f"-n{tag}{i}"))
            before = log_path.stat().st_size
            worker = workers.WorkerProcess(env, log_path)
            t0 = time.monotonic()
            log = log_path.open("ab")
            worker.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker"], cwd=root, env=worker.env,
                                           stdout=log, stderr=subprocess.STDOUT)
            ready = None
            while ready is None and time.monotonic() < t0 + 240:
                try:
                    with urllib.request.urlopen(worker.web_url + "/readyz", timeout=2) as r:
                        if r.status == 200:
                            ready = time.monotonic()
                except (OSError, ValueError):
                    await asyncio.sleep(0.05)
            first = await first_outcome_after(consumer, t0 + 240)
        finally:
            await consumer.stop()
        assert worker.stop(signal.SIGTERM, 120.0) == 0, worker.tail()
        text = log_path.read_bytes()[before:].decode(errors="replace")
        out.append({"checkout": label, "restart": i, "ready_s": None if ready is None else round(ready - t0, 2),
                    "first_outcome_s": None if first is None else round(first - t0, 2),
                    "aborted_tx_ends": text.count("Aborted tx until highwater"),
                    "read_to_high_water_ends": text.count("read to its high water"), "load": os.getloadavg()[0]})
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--inputs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--restarts", type=int, default=3)
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-restart-"))
    broker = bench.Broker()
    broker.start()
    runs: list[dict] = []
    try:
        for r in range(args.rounds):
            for label, root in (("A", args.a.resolve()), ("B", args.b.resolve())):
                runs += asyncio.run(restarts(root, label, workdir, args.inputs, args.restarts))
    finally:
        broker.stop()
    summary = {}
    for label in "AB":
        mine = [x for x in runs if x["checkout"] == label]
        summary[label] = {k: statistics.median(x[k] for x in mine if x[k] is not None) for k in ("ready_s", "first_outcome_s")}
        print(f"{label}: median to /readyz {summary[label]['ready_s']} s, to the first outcome "
              f"{summary[label]['first_outcome_s']} s over {len(mine)} restarts; "
              f"per restart ready {[x['ready_s'] for x in mine]}, first outcome {[x['first_outcome_s'] for x in mine]}")
    out = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "args": {k: str(v) for k, v in vars(args).items()},
           "summary": summary, "runs": runs}
    path = bench.RESULTS / f"restart-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
