"""Per worker process of a probed fault test (`bench/faults_probe/sitecustomize.py`): when it first
sent a batch, when its commits came, how many articles its agents sent after its last commit (what
a kill then makes it process again), and the articles enrichment read and finished.

    .venv/bin/python bench/faults_probe/lifetimes.py PROBE_DIR
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(folder: Path) -> None:
    without = 0
    paths = sorted(folder.glob("probe-*.jsonl"), key=lambda p: p.stat().st_mtime)
    for path in paths:
        events = [json.loads(line) for line in path.read_text().splitlines()]
        start = events[0]["t"]
        flushes = [e for e in events if e["ev"] == "flush"]
        commits = [e for e in events if e["ev"] == "commit"]
        last = commits[-1]["t"] if commits else start
        after: Counter = Counter()
        for f in flushes:
            if f["t"] > last:
                for span in f["spans"]:
                    after[span.split(":")[0]] += f["items"] / len(f["spans"])
        read = [e["articles"] for e in events if e["ev"] == "enrich_begin"]
        done = [e["articles"] for e in events if e["ev"] == "enrich_end"]
        first = f"+{flushes[0]['t'] - start:.1f} s" if flushes else "-"
        without += not commits
        print(
            f"{path.name}: first batch sent {first}, last event +{events[-1]['t'] - start:.1f} s, "
            f"commits at {[round(c['t'] - start, 1) for c in commits][:12]}; "
            f"enrichment read {sum(read)} articles in {len(read)} calls (largest {max(read, default=0)}), finished {sum(done)}"
        )
        print(f"    articles sent after the last commit, by input topic: { {k: int(v) for k, v in after.items()} }")
    print(f"{without} of {len(paths)} worker processes never committed")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
