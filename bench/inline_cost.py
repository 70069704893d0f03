"""Why a worker's CPU per input differs with the steps inline or not: one worker, the same inputs,
alternating two environments (`--env-a`, `--env-b`, as bench/ab.py) on one broker, each run with
bench/probe_inline's counters (per agent: messages taken, the CPU of taking them, batches sent
and why, envelopes and their items by role; the worker's Kafka requests by kind), per input.

    .venv/bin/python bench/inline_cost.py --inputs 1000 --rounds 2 --partitions 8 \
        --env-a COPYDESK_ENTITIES=off,COPYDESK_INLINE_STEPS=never --env-b COPYDESK_ENTITIES=off,COPYDESK_INLINE_STEPS=always

Writes bench/results/inline-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - bench/run.py


def env_of(specs: list[str]) -> dict[str, str]:
    return dict(kv.split("=", 1) for spec in specs for kv in spec.split(","))


def snapshot(directory: Path) -> dict:
    """The worker's probe counters: Kafka requests by kind, and per agent."""
    requests: Counter = Counter()
    agents: dict[str, Counter] = {}
    full: list = []
    for p in directory.glob("probe-*.json"):
        d = json.loads(p.read_text())
        requests.update(d["requests"])
        full += d["full_collections"]
    for p in directory.glob("inline-*.json"):
        for name, c in json.loads(p.read_text())["agents"].items():
            agents.setdefault(name, Counter()).update(c)
    return {"requests": requests, "agents": agents, "full": sorted(full)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--copies", type=float, default=0.25)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--profile-s", type=float, default=0, help="py-spy the worker for this long (bench/run.py)")
    ap.add_argument("--env-a", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]")
    ap.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]")
    args = ap.parse_args()
    values = bench.with_copies(bench.distinct_articles(300_000, args.inputs, "-ab"), args.copies)
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-inline-"))
    envs = {"A": env_of(args.env_a), "B": env_of(args.env_b)}
    seen: dict = {}
    produce, read_topics = bench.produce, bench.read_topics

    async def produce_marked(topic: str, vals: list[bytes], rate: float | None = None, keyed: bool = True):
        if vals is values:  # the measured inputs, after the warm-up: the counts so far
            await asyncio.sleep(1.5)
            seen["before"] = snapshot(seen["dir"])
        return await produce(topic, vals, rate=rate, keyed=keyed)

    async def read_marked(topics: list[str], n: int, **kw):
        if len(topics) == 1 and topics[0].endswith(".raw"):  # after the outcomes: the counts now
            await asyncio.sleep(1.5)
            seen["after"] = snapshot(seen["dir"])
        return await read_topics(topics, n, **kw)

    bench.produce, bench.read_topics = produce_marked, read_marked
    broker = bench.Broker()
    broker.start()
    runs = []
    try:
        for i in range(args.rounds):
            for name, env in envs.items():
                seen["dir"] = probe = workdir / f"probe-{name}{i}"
                probe.mkdir()
                extra = {**env, "COPYDESK_PARTITIONS": str(args.partitions), "PYTHONPATH": str(HERE / "probe_inline"),
                         "BENCH_PROBE_DIR": str(probe)}
                r = asyncio.run(bench.chain_run(f"{name}{i}", workdir, values, extra_env=extra, profile_s=args.profile_s))
                n = r["inputs"]
                b, a = seen["before"], seen["after"]
                per = {"requests": {k: round((v - b["requests"].get(k, 0)) / n, 3) for k, v in sorted(a["requests"].items())},
                       "agents": {ag: {(k[:-2] + "_ms" if k.endswith("_s") else k):
                                       round((v - b["agents"].get(ag, Counter()).get(k, 0)) / n * (1000 if k.endswith("_s") else 1), 4)
                                       for k, v in sorted(c.items())} for ag, c in sorted(a["agents"].items())},
                       "full_collections": [len(a["full"]) - len(b["full"]),
                                            round(sum(c[2] for c in a["full"][len(b["full"]):]), 1)]}
                runs.append({"run": f"{name}{i}", "env": env, "per_input": per,
                             **{k: r[k] for k in ("articles_per_s", "worker_cpu_ms_per_input", "broker_cpu_ms_per_input",
                                                  "records_per_input", "records_per_input_by_topic")},
                             **({"profile": r["profile"]} if "profile" in r else {})})
                print(json.dumps(runs[-1], indent=1), flush=True)
    finally:
        broker.stop()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = HERE / "results" / f"inline-{stamp}.json"
    path.write_text(json.dumps({"args": vars(args), "date": stamp, "runs": runs}, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
