"""Two checkouts of copydesk side by side, end to end: the same inputs through a worker of each,
in pairs A, B, then B, A, ... on one broker, and the ratio B / A per pair.

    git worktree add --detach /tmp/before <commit>
    .venv/bin/python bench/ab.py /tmp/before . [--inputs 1500] [--rounds 2] [--workers 1] [--rate R]
    .venv/bin/python bench/ab.py . . --workers 2 --env-b TABLE_STANDBY_REPLICAS=0   # a faust setting

A worker runs from its checkout's directory (`python -m streams.cli worker` with that checkout
first on sys.path), with the topics, group and state of bench/run.py's `chain_run`, so each run
is `make bench`'s end-to-end measurement (section 3; with --workers 2, section 4) for that code.
On a shared noisy machine only the ratios within a pair mean much: the table gives each pair's
ratios and their spread, of the rates and of the workers' CPU time per input (the steadier of
the two when other work starves the workers). Writes bench/results/ab-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - bench/run.py
import tests.integration.workers as workers  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path, help="checkout A (the baseline)")
    ap.add_argument("b", type=Path, help="checkout B")
    ap.add_argument("--inputs", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rate", type=float, default=None, help="offered inputs/s (default: all at once)")
    ap.add_argument("--copies", type=float, default=0.0, help="share of inputs that copy an earlier one (0.25: a quarter)")
    ap.add_argument("--partitions", type=int, default=4, help="partitions of every topic")
    ap.add_argument("--env-a", action="append", default=[], metavar="NAME=VALUE", help="in A's workers' environment")
    ap.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE", help="in B's workers' environment")
    args = ap.parse_args()
    roots = {"A": args.a.resolve(), "B": args.b.resolve()}
    envs = {"A": dict(e.split("=", 1) for e in args.env_a), "B": dict(e.split("=", 1) for e in args.env_b)}
    values = bench.with_copies(bench.distinct_articles(300_000, args.inputs, "-ab"), args.copies)
    for env in envs.values():
        env.setdefault("COPYDESK_PARTITIONS", str(args.partitions))
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-ab-"))
    broker = bench.Broker()
    broker.start()
    runs: list[dict] = []
    try:
        for i in range(args.rounds):
            # A, B, then B, A: what the broker does late in a series (a deleted topic's files go
            # a minute after the deletion) falls on both sides alike.
            for name, root in list(roots.items())[:: 1 if i % 2 == 0 else -1]:
                workers.REPO_ROOT = root  # WorkerProcess starts `python -m streams.cli` there
                r = asyncio.run(bench.chain_run(f"{name}{i}", workdir, values, workers=args.workers, rate=args.rate,
                                                   extra_env=envs[name]))
                runs.append({"checkout": name, "root": str(root), "round": i, **r})
    finally:
        broker.stop()
    pairs = []
    for i in range(args.rounds):
        a, b = (next(r for r in runs if r["round"] == i and r["checkout"] == k) for k in "AB")
        pairs.append({"a": a["articles_per_s"], "b": b["articles_per_s"], "ratio": b["articles_per_s"] / a["articles_per_s"],
                      "p99_a": a["latency_s"]["p99"], "p99_b": b["latency_s"]["p99"],
                      "cpu_ms_a": a["worker_cpu_ms_per_input"], "cpu_ms_b": b["worker_cpu_ms_per_input"],
                      "cpu_ratio": a["worker_cpu_ms_per_input"] / b["worker_cpu_ms_per_input"],
                      "broker_ms_a": a["broker_cpu_ms_per_input"], "broker_ms_b": b["broker_cpu_ms_per_input"],
                      "records_a": a["records_per_input"], "records_b": b["records_per_input"]})
    ratios = [p["ratio"] for p in pairs]
    cpu = [p["cpu_ratio"] for p in pairs]
    out = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "args": {k: str(v) for k, v in vars(args).items()},
           "pairs": pairs, "ratio_mean": statistics.mean(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
           "cpu_ratio_mean": statistics.mean(cpu), "cpu_ratio_min": min(cpu), "cpu_ratio_max": max(cpu), "runs": runs}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = bench.RESULTS / f"ab-{stamp}.json"
    path.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    for i, p in enumerate(pairs):
        print(f"round {i}: A {p['a']:.1f}/s (p99 {p['p99_a']:.2f} s; worker {p['cpu_ms_a']} ms, broker {p['broker_ms_a']} ms "
              f"CPU per input), B {p['b']:.1f}/s (p99 {p['p99_b']:.2f} s; {p['cpu_ms_b']} ms, {p['broker_ms_b']} ms): "
              f"rate B/A {p['ratio']:.2f}x, worker CPU per input A/B {p['cpu_ratio']:.2f}x; "
              f"Kafka records per input A {p['records_a']}, B {p['records_b']}")
    print(f"rate B/A mean {out['ratio_mean']:.2f}x (min {out['ratio_min']:.2f}, max {out['ratio_max']:.2f}); "
          f"worker CPU per input A/B mean {out['cpu_ratio_mean']:.2f}x (min {out['cpu_ratio_min']:.2f}, "
          f"max {out['cpu_ratio_max']:.2f}); wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
