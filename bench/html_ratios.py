"""Issue 15's two HTML ratios alone, as `make bench` measures them (bench/run.py's
`html_side_by_side`: the dev pages 16 at a time, copydesk and bare trafilatura in turn, CPU time
of one thread), for one checkout or for several in turn.

    .venv/bin/python bench/html_ratios.py [CHECKOUT ...] [--rounds 2] [--series 1]

Each checkout runs in a child process with its own code and its own bench/run.py first on
sys.path; with two checkouts and --series 2 the order is A, B, A, B. Prints per run `copydesk
process` over bare `trafilatura.extract` and clean+extract over bare
`trafilatura.bare_extraction(with_metadata=True)` (above 1: copydesk is faster), each round's,
the CPU ms a page of the four sides, and the load average before the run. The ratios are
measured within a run; two checkouts' runs one after the other see different moments.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[1] + "/bench")
import run as bench
pages = bench.html_messages(bench.fundus_cases())
bench.html_side_by_side(pages[:3], 1)  # imports and caches outside the timing
print(json.dumps(bench.html_side_by_side(pages, int(sys.argv[2]))))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkouts", type=Path, nargs="*", default=[HERE.parent])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--series", type=int, default=1, help="how many times the checkouts run in turn")
    args = ap.parse_args()
    for _ in range(args.series):
        for checkout in args.checkouts:
            root = checkout.resolve()
            load = os.getloadavg()[0]
            done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(args.rounds)], cwd=root,
                                  check=True, capture_output=True, text=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            ms = r["cpu_ms_per_page"]
            rounds = ", ".join(f"{x:.2f}" for x in r["ratio_process_over_bare_extract_per_round"])
            ce_rounds = ", ".join(f"{x:.2f}" for x in r["ratio_clean_extract_over_bare_extraction_per_round"])
            print(f"{root}: process / bare extract {r['ratio_process_over_bare_extract']:.3f}x ({rounds}); "
                  f"clean+extract / bare_extraction(with_metadata) {r['ratio_clean_extract_over_bare_extraction']:.3f}x "
                  f"({ce_rounds}); ms a page: process {ms['process']:.2f}, extract {ms['extract']:.2f}, "
                  f"clean+extract {ms['clean_extract']:.2f}, bare_extraction {ms['bare_extraction']:.2f}; load {load:.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
