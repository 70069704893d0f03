"""Where an article's time and a worker's CPU go at a given rate: `make bench`'s end-to-end run
(bench/run.py `chain_run`, one worker) with, per article, the time from its raw input to each
internal topic's record that carried it (each hop's share of the latency), and, per input, the
Kafka requests the worker sent and the garbage collector's full passes (bench/probe/).

    .venv/bin/python bench/hops.py [--inputs 400] [--rate 17] [--partitions 4] [--entities on] [--split] [--callbacks]

Without --rate every input is produced at once (full load). Prints a table and writes
bench/results/hops-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - bench/run.py
from schemas.internal import items_of, peek_origin  # noqa: E402

HOPS = (".extracted", ".by-content", ".by-band", ".gather", ".to-enrich", ".enriched", ".duplicates")


def quantiles(values: list[float]) -> dict[str, float]:
    v = sorted(values)
    return {"n": len(v), "p50": v[len(v) // 2], "p95": v[int(len(v) * 0.95)], "p99": v[int(len(v) * 0.99)], "max": v[-1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=400)
    ap.add_argument("--rate", type=float, default=None)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--entities", choices=("on", "off"), default="on")
    ap.add_argument("--copies", type=float, default=0.25)
    ap.add_argument("--callbacks", action="store_true",
                    help="count the worker's event-loop callbacks by kind too (bench/probe; some cost per loop pass)")
    ap.add_argument("--split", action="store_true",
                    help="two processes: the chain (COPYDESK_ROLES=pipeline) and enrichment (COPYDESK_ROLES=enrich)")
    args = ap.parse_args()
    values = bench.with_copies(bench.distinct_articles(300_000, args.inputs, "-hops"), args.copies)
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-hops-"))
    probe_dir = workdir / "probe"
    probe_dir.mkdir()
    env = {
        "COPYDESK_ENTITIES": args.entities,
        "COPYDESK_PARTITIONS": str(args.partitions),
        "PYTHONPATH": str(HERE / "probe"),
        "BENCH_PROBE_DIR": str(probe_dir),
        **({"BENCH_PROBE_CALLBACKS": "1"} if args.callbacks else {}),
    }
    seen: dict = {}
    produce, records_per_topic = bench.produce, bench.records_per_topic

    async def produce_marked(topic: str, vals: list[bytes], rate: float | None = None, keyed: bool = True):
        if vals is values:  # the measured inputs, after the warm-up: the probe's counts so far
            seen["start"] = time.time()
            seen["before"] = read_probe(probe_dir)
        return await produce(topic, vals, rate=rate, keyed=keyed)

    async def topics_read(prefix: str) -> dict[str, int]:
        counts = await records_per_topic(prefix)
        names = [prefix + k for k in counts if not k.endswith("changelog")]
        seen["records"] = await bench.read_topics(names, sum(counts[k[len(prefix):]] for k in names), timeout_s=60)
        seen["prefix"] = prefix
        return counts

    bench.produce, bench.records_per_topic = produce_marked, topics_read
    broker = bench.Broker()
    broker.start()
    try:
        run = asyncio.run(bench.chain_run("hops", workdir, values, rate=args.rate, extra_env=env,
                                           worker_roles=["pipeline", "enrich"] if args.split else None))
    finally:
        broker.stop()
    after = read_probe(probe_dir)
    before = seen["before"]
    n = run["inputs"]
    requests = {k: round((v - before["requests"].get(k, 0)) / n, 3) for k, v in sorted(after["requests"].items())}
    full = [c for c in after["full_collections"] if c[0] >= seen["start"]]
    raw_ts, hops = {}, collections.defaultdict(dict)
    prefix = seen["prefix"]
    for topic, partition, offset, ts, _key, value in seen["records"]:
        name = topic[len(prefix):]
        if name == ".raw":
            if b"-warm" not in value:
                raw_ts[(partition, offset)] = ts
            continue
        try:
            items = items_of(value)
        except Exception:  # noqa: BLE001 - not an envelope: skipped
            continue
        for item in items:
            origin = peek_origin(item)
            if origin is not None:
                hops[(origin[0].partition, origin[0].offset)].setdefault(name, ts)
    deltas = collections.defaultdict(list)
    for coord, at in hops.items():
        if coord not in raw_ts:
            continue
        prev = raw_ts[coord]
        for name in HOPS:
            if name in at:
                deltas[name].append((at[name] - prev) / 1000)
                prev = at[name]
    out = {
        "args": vars(args),
        "run": {k: run[k] for k in ("articles_per_s", "latency_s", "worker_cpu_ms_per_input", "broker_cpu_ms_per_input", "records_per_input")},
        "hop_seconds": {name: quantiles(v) for name, v in deltas.items() if v},
        "requests_per_input": requests,
        "full_collections": {"count": len(full), "cpu_ms": [round(c[2], 1) for c in full], "wall_ms": [round(c[1], 1) for c in full]},
    }
    r = out["run"]
    print(f"{args.inputs} inputs at {args.rate or 'full load'}/s, {args.partitions} partitions, entities {args.entities}: "
          f"{r['articles_per_s']:.1f} articles/s, latency p50 {r['latency_s']['p50']:.3f} s p99 {r['latency_s']['p99']:.3f} s; "
          f"CPU per input worker {r['worker_cpu_ms_per_input']} ms, broker {r['broker_cpu_ms_per_input']} ms; "
          f"{r['records_per_input']} records per input")
    print("time from the hop before (s):")
    for name in HOPS:
        if name in out["hop_seconds"]:
            q = out["hop_seconds"][name]
            print(f"  {name:12s} n={q['n']:5d}  p50 {q['p50']:.3f}  p95 {q['p95']:.3f}  p99 {q['p99']:.3f}  max {q['max']:.3f}")
    print("worker's Kafka requests per input:", ", ".join(f"{k} {v}" for k, v in requests.items() if v and not k.startswith("cb ")))
    census = sorted(((v, k[3:]) for k, v in requests.items() if k.startswith("cb ") and v >= 0.1), reverse=True)
    if census:
        print("the loop's callbacks per input, by kind:", ", ".join(f"{k} {v}" for v, k in census))
    fc = out["full_collections"]
    print(f"full collections during the run: {fc['count']}, CPU ms each: {fc['cpu_ms'][:12]}")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = HERE / "results" / f"hops-{stamp}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")
    return 0


def read_probe(directory: Path) -> dict:
    """The workers' probe counts, summed (one file per worker process besides the bench's own)."""
    found = [json.loads(p.read_text()) for p in directory.glob("probe-*.json") if p.name != f"probe-{os.getpid()}.json"]
    requests: collections.Counter = collections.Counter()
    for d in found:
        requests.update(d["requests"])
    return {"requests": dict(requests), "full_collections": sorted(c for d in found for c in d["full_collections"])}


if __name__ == "__main__":
    sys.exit(main())
