"""The lean worker's latency and scaling goals at a given partition count and entity setting:
`make bench`'s sections 3 and 4 (bench/run.py `chain_run`, the same page-text inputs) with the
topics' partitions and `COPYDESK_ENTITIES` chosen, where `make bench` runs 4 partitions and the
default entity model.

    .venv/bin/python bench/goals.py [--partitions 1 8] [--entities off on] [--inputs 1000] [--scale-inputs 2000]

For each setting: one worker at full load, then at half the rate it reached (p99 there: goal at
most 200 ms), then `--scale-inputs` through one worker and through two (goal: two at least 1.8x
one; skipped with one partition, where the second worker is idle). Prints one line per run and
writes bench/results/goals-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402 - bench/run.py


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--partitions", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--entities", nargs="+", choices=("off", "on"), default=["off", "on"])
    ap.add_argument("--inputs", type=int, default=1000)
    ap.add_argument("--scale-inputs", type=int, default=2000)
    ap.add_argument("--no-scaling", action="store_true")
    args = ap.parse_args()
    values = bench.distinct_articles(0, args.inputs, "-e2e")
    scale_values = bench.distinct_articles(100_000, args.scale_inputs, "-scale")
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-goals-"))
    broker = bench.Broker()
    broker.start()
    runs: list[dict] = []

    def chain(label: str, vals: list[bytes], env: dict[str, str], **kw) -> dict:  # noqa: ANN003
        load = os.getloadavg()
        r = asyncio.run(bench.chain_run(label, workdir, vals, extra_env=env, **kw))
        r["load_before"] = [round(x, 2) for x in load]
        r["load_after"] = [round(x, 2) for x in os.getloadavg()]
        runs.append(r)
        q = r["latency_s"]
        print(f"{label}: {r['articles_per_s']:.1f} articles/s (offered {r['offered_rate'] or 'all at once'}), "
              f"p50 {q['p50']:.3f} s p95 {q['p95']:.3f} s p99 {q['p99']:.3f} s, CPU per input worker(s) "
              f"{r['worker_cpu_ms_per_input']} ms broker {r['broker_cpu_ms_per_input']} ms, share {r['worker_cpu_share']}"
              f" / {r['broker_cpu_share']}; load {r['load_before'][0]} -> {r['load_after'][0]}", flush=True)
        return r

    try:
        for entities in args.entities:
            for partitions in args.partitions:
                env = {"COPYDESK_ENTITIES": entities, "COPYDESK_PARTITIONS": str(partitions)}
                tag = f"{partitions}p entities {entities}"
                full = chain(f"full load {tag}", values, env)
                chain(f"half load {tag}", values, env, rate=full["articles_per_s"] / 2)
                if partitions > 1 and not args.no_scaling:
                    one = chain(f"scale 1 worker {tag}", scale_values, env)
                    two = chain(f"scale 2 workers {tag}", scale_values, env, workers=2)
                    print(f"two workers / one {tag}: {two['articles_per_s'] / one['articles_per_s']:.2f}x", flush=True)
    finally:
        broker.stop()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = bench.RESULTS / f"goals-{stamp}.json"
    path.write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
