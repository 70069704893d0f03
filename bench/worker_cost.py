"""Where one worker's CPU per input goes beyond the same inputs' in-process chain: one worker
under a backlog (all inputs at once, or offered at `--input-rate`), bench/probe_inline's counters
(the steps' CPU, `_take`), each of the worker's threads' CPU from /proc, and py-spy on the worker
(active samples only: CPU time while a core is free; on a loaded machine a thread that is
runnable but waiting for a core counts too, after the socket writes that wake the broker above
all) while the measured inputs are processed; then the in-process chain
(`streams.offline.OfflineRun`) on the same inputs.

    .venv/bin/python bench/worker_cost.py --inputs 4000 --partitions 1 --env COPYDESK_ENTITIES=off
    .venv/bin/python bench/worker_cost.py --inputs 600 --input-rate 30 --partitions 8 --env COPYDESK_ENTITIES=off

Writes bench/results/worker-cost-<UTC time>.json and prints the busy samples by bucket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import inline_cost  # noqa: E402 - bench/inline_cost.py
import run as bench  # noqa: E402 - bench/run.py

#: (bucket, names of frames): a sample goes to the first bucket, in this order, with one of its
#: frames (function names as py-spy gives them, or file paths) anywhere in its stack.
BUCKETS = [
    ("steps (processors/, guarded)", ("run_guarded (streams/steps.py",)),
    ("band index add (offline does it too)", ("index_pending", "BandIndex.add")),
    ("enrichment loop besides the model", ("Enricher.",)),
    ("table writes: store put, changelog send and its callback", ("apply_writes", "store_indexed", "PendingWrites.release",
                                                                  "_on_changelog_sent", "ProducerBuffer.", "Table.__setitem__")),
    ("outcome and envelope sends (faust Topic.send)", ("Router.send",)),
    ("produce requests: socket writes", ("write (asyncio/selector_events.py",)),
    ("produce requests: aiokafka sender besides", ("Sender.", "SendProduceReqHandler")),
    ("commits", ("_commit_handler", "force_commit", ".commit (")),
    ("faust per raw message: fetch, conductor, stream, ack", ("Conductor.", "Stream.", "Fetcher.", "_drain_messages",
                                                              "highwater", ".ack (", "Event.", "aiokafka/consumer")),
    ("copydesk glue: _take, _split, _keep, _flush, accounting", ("BatchingAgent.", "Router.", "account (streams")),
    ("Kafka responses read (aiokafka connection)", ("_read_ready", "AIOKafkaConnection._read")),
]
#: A sample no bucket above names goes by its leaf.
LOOP, OTHER = "asyncio loop (select, handles, timers)", "faust/mode/aiokafka other, and the rest"


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


def threads_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of `pid`, user and system apart, summed by thread name."""
    tick = os.sysconf("SC_CLK_TCK")
    out: Counter = Counter()
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (t / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        name = name if t.name != str(pid) else "main"
        out[f"{name} user"] += int(fields[11]) / tick
        out[f"{name} system"] += int(fields[12]) / tick
    return dict(out)


def bucket_of(frames: list[str]) -> str:
    for name, keys in BUCKETS:
        if any(k in f for f in frames for k in keys):
            return name
    return LOOP if "asyncio/" in frames[-1] or "selectors.py" in frames[-1] else OTHER


def summarize(path: Path) -> dict:
    buckets: Counter = Counter()
    leaves: Counter = Counter()
    threads: Counter = Counter()
    total = 0
    for frames, c, on_main in bench.profile_stacks(path):
        if not on_main:
            threads[frames[0][:60]] += c
            continue
        total += c
        buckets[bucket_of(frames)] += c
        leaves[frames[-1][:120]] += c
    return {"main_samples": total, "thread_samples": dict(threads),
            "buckets": {k: round(v / max(total, 1), 4) for k, v in buckets.most_common()},
            "leaves": [(k, round(v / max(total, 1), 4)) for k, v in leaves.most_common(40)]}


def attribute(buckets: dict[str, float], threads: dict[str, float]) -> dict[str, float]:
    """The main thread's CPU per input by bucket (ms). py-spy counts a thread that is runnable but
    waiting for a core as busy, and the produce requests' socket writes wake the broker, which
    takes the core: their samples stand for far more than the thread's whole system time. So the
    system time is put down to them (an upper bound), and the user time is shared out among the
    other buckets by their samples; the other threads (the enrichment's model calls) apart."""
    writes = "produce requests: socket writes"
    rest = 1 - buckets.get(writes, 0.0)
    user, system = threads.get("main user", 0.0), threads.get("main system", 0.0)
    out = {k: round(system if k == writes else v / rest * user, 3) for k, v in buckets.items()}
    out["other threads (enrichment's model calls, faust's)"] = round(
        sum(v for k, v in threads.items() if not k.startswith("main ")), 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=4000)
    ap.add_argument("--copies", type=float, default=0.25)
    ap.add_argument("--partitions", type=int, default=1)
    ap.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    ap.add_argument("--input-rate", type=float, default=None, help="inputs offered per second (default: all at once)")
    ap.add_argument("--no-probe", action="store_true", help="without bench/probe_inline's step timers")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]")
    args = ap.parse_args()
    values = bench.with_copies(bench.distinct_articles(300_000, args.inputs, "-ab"), args.copies)
    env = {**inline_cost.env_of(args.env), "COPYDESK_PARTITIONS": str(args.partitions)}
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-cost-"))
    probe = workdir / "probe"
    probe.mkdir()
    seen: dict = {}
    produce, read_topics = bench.produce, bench.read_topics
    spy_bin = shutil.which("py-spy", path=str(Path(bench.PY).parent))

    async def produce_marked(topic: str, vals: list[bytes], rate: float | None = None, keyed: bool = True):
        if vals is values:
            await asyncio.sleep(1.5)
            (pid,) = [p for p in children(os.getpid()) if b"streams.cli" in Path(f"/proc/{p}/cmdline").read_bytes()]
            seen["pid"] = pid
            seen["before"] = (inline_cost.snapshot(probe), threads_cpu(pid), time.time())
            if spy_bin:
                seen["spy"] = subprocess.Popen(
                    [spy_bin, "record", "--pid", str(pid), "--duration", "600", "--rate", str(args.rate),
                     "--format", "raw", "--nonblocking", "-o", str(workdir / "spy.txt")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return await produce(topic, vals, rate=rate, keyed=keyed)

    async def read_marked(topics: list[str], n: int, **kw):
        if len(topics) == 1 and topics[0].endswith(".raw") and "pid" in seen:
            if "spy" in seen:
                seen["spy"].send_signal(2)  # py-spy writes what it has on SIGINT
                seen["spy"].wait(60)
            await asyncio.sleep(1.5)
            seen["after"] = (inline_cost.snapshot(probe), threads_cpu(seen["pid"]), time.time())
        return await read_topics(topics, n, **kw)

    bench.produce, bench.read_topics = produce_marked, read_marked
    broker = bench.Broker()
    broker.start()
    try:
        extra = {**env, "BENCH_PROBE_DIR": str(probe)}
        extra["PYTHONPATH"] = str(HERE / ("probe" if args.no_probe else "probe_inline"))
        r = asyncio.run(bench.chain_run("cost", workdir, values, rate=args.input_rate, extra_env=extra))
    finally:
        broker.stop()
    n = r["inputs"]
    (b, tb, _), (a, ta, _) = seen["before"], seen["after"]
    per_agent = {ag: {(k[:-2] + "_ms" if k.endswith("_s") else k):
                      round((v - b["agents"].get(ag, Counter()).get(k, 0)) / n * (1000 if k.endswith("_s") else 1), 4)
                      for k, v in sorted(c.items())} for ag, c in sorted(a["agents"].items())}
    threads = {k: round((v - tb.get(k, 0)) / n * 1000, 3) for k, v in sorted(ta.items(), key=lambda kv: -kv[1])}
    local = bench.in_process_cpu_ms(values, env)
    out = {"args": vars(args), "worker_cpu_ms_per_input": r["worker_cpu_ms_per_input"], "in_process_cpu_ms_per_input": round(local, 3),
           "threads_cpu_ms_per_input": threads, "agents": per_agent, "records_per_input_by_topic": r["records_per_input_by_topic"],
           "articles_per_s": r["articles_per_s"], "requests": {k: round((v - b["requests"].get(k, 0)) / n, 3) for k, v in a["requests"].items()},
           "profile": summarize(workdir / "spy.txt") if (workdir / "spy.txt").exists() else None}
    if out["profile"]:
        out["attribution_ms_per_input"] = attribute(out["profile"]["buckets"], threads)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = HERE / "results" / f"worker-cost-{stamp}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    print(f"wrote {path}; py-spy's stacks in {workdir / 'spy.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
