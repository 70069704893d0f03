"""Section 2's pass-through, a few configurations repeated in turn: the aiokafka loop, the faust
baseline, `noack_take(100, within=10 ms)`, `broker_max_poll_records=500` and both, ROUNDS times.

    .venv/bin/python bench/tax_repeat.py [ROUNDS]     # 4,000 messages of 4 KB per run

Prints each configuration's rates and CPU per message (µs) over the rounds, and writes
bench/results/tax-repeat-<UTC time>.json. Starts and stops its own broker as bench/run.py does.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402 - bench/run.py

TAKE = {"BENCH_TAKE": "100", "BENCH_WITHIN": "0.01"}
POLL = {"BROKER_MAX_POLL_RECORDS": "500"}
CONFIGS = [("aiokafka", "aiokafka", {}), ("faust baseline", "faust", {}), ("take100/10ms", "faust", TAKE),
           ("max_poll 500", "faust", POLL), ("take+poll", "faust", {**TAKE, **POLL})]


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    broker = bench.Broker()
    broker.start()
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-tax-"))
    runs = []
    try:
        for _ in range(rounds):
            for name, mode, env in CONFIGS:
                runs.append(asyncio.run(bench.passthrough_run(name, mode, env, 4000, workdir)))
    finally:
        broker.stop()
    for name, _, _ in CONFIGS:
        mine = [r for r in runs if r["name"] == name]
        print(name, [round(r.get("msg_per_s", 0)) for r in mine], [round(r.get("cpu_us_per_message", 0)) for r in mine])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (bench.RESULTS / f"tax-repeat-{stamp}.json").write_text(json.dumps(runs, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
