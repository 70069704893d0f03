"""Two checkouts of copydesk side by side, in-process: the same inputs through each one's chain
(`streams.offline.OfflineRun`, dedup included) and clean+extract, alternating A, B, A, B, ... in
child processes, and the ratio B / A per pair.

    git worktree add --detach /tmp/before <commit>
    .venv/bin/python bench/ab_stages.py /tmp/before . [--rounds 3] [--only text,dups,html] [--outputs DIR]

Each child runs with its checkout first on sys.path (and that checkout's bench/run.py for the
inputs) and times, in CPU seconds of its one thread:
  text  the page-text stream of `make bench`'s stages section (the seed, the 258 dev bodies as
        page text, 1,000 distinct synthetic articles) through the whole chain (in batches, as
        `copydesk process` runs it, for a checkout whose offline mode has them);
  dups  the same stream with a quarter of its inputs repeated (bench/repeats.py: exact copies
        under another URL, and near copies without their last paragraph);
  html  the 258 dev pages: clean+extract, and the whole chain (`copydesk process`'s path).
Only the ratios within a pair mean much on a shared machine. With --outputs, each checkout's
records (the chain's outcome per input, text then HTML) go to DIR/A.jsonl and DIR/B.jsonl, to
compare fields. Writes bench/results/ab-stages-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[1] + "/bench")
import run as bench
sys.path.append(sys.argv[4])
from repeats import with_repeats
import processors
assert processors.__file__.startswith(sys.argv[1]), processors.__file__
from processors import pipeline
from schemas.models import SourceRef
from streams.offline import OfflineRun
from streams.settings import Settings
from streams.steps import clock

only, outputs = set(sys.argv[2].split(",")), sys.argv[3]
settings = Settings()
cases = bench.fundus_cases()
texts = [bench.seed_message(), *bench.fundus_texts(cases), *bench.distinct_articles(0, 1000, "-inproc")]

def chain(values):
    run = OfflineRun(settings)
    records = []
    t0 = time.process_time()
    if hasattr(run, "run_many"):  # in batches, as `copydesk process` runs them
        from streams.offline import batches
        for batch in batches(values):
            records += [result for result, _ in run.run_many(batch, len(records))]
    else:
        for offset, value in enumerate(values):
            records.append(run.run_one(value, offset))
    return time.process_time() - t0, records

def clean_extract(values):
    opts = settings.stage
    t0 = time.process_time()
    for offset, value in enumerate(values):
        result = pipeline.clean_step(value, SourceRef("raw", 0, offset, None), opts, clock())
        if result.role == "cleaned":
            pipeline.extract_step(result.handed, opts, clock())
    return time.process_time() - t0

out, kept = {}, []
chain(texts[:20])
if "text" in only:
    out["text"] = (len(texts), *chain(texts))
if "dups" in only:
    dups = with_repeats(texts)
    out["dups"] = (len(dups), chain(dups)[0])
if "html" in only:
    pages = [p for p, _ in bench.html_messages(cases)]
    out["html_clean_extract"] = (len(pages), clean_extract(pages))
    out["html"] = (len(pages), *chain(pages))
if outputs != "-":
    with open(outputs, "w", encoding="utf-8") as f:
        for name in ("text", "html"):
            for r in out.get(name, (0, 0, []))[2]:
                f.write(json.dumps({"input": name, "role": r.role, "record": json.loads(r.value) if r.value else None}) + "\n")
print(json.dumps({k: [v[0], v[1]] for k, v in out.items()}))
"""


def child(root: Path, only: str, outputs: str) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), only, outputs, str(HERE)],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path, help="checkout A (the baseline)")
    ap.add_argument("b", type=Path, help="checkout B")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="text,dups,html")
    ap.add_argument("--outputs", type=Path, default=None, help="write each checkout's records here")
    args = ap.parse_args()
    roots = {"A": args.a.resolve(), "B": args.b.resolve()}
    pairs = []
    for round_ in range(args.rounds):
        pair = {}
        for side in ("A", "B"):
            outputs = "-"
            if args.outputs and round_ == 0:
                args.outputs.mkdir(parents=True, exist_ok=True)
                outputs = str(args.outputs / f"{side}.jsonl")
            pair[side] = child(roots[side], args.only, outputs)
        pairs.append(pair)
        print(f"pair {round_ + 1}: " + ", ".join(
            f"{k} {1e3 * pair['A'][k][1] / pair['A'][k][0]:.2f} -> {1e3 * pair['B'][k][1] / pair['B'][k][0]:.2f} ms"
            for k in pair["A"]), flush=True)
    summary = {}
    for k in pairs[0]["A"]:
        ratios = [p["A"][k][1] / p["B"][k][1] for p in pairs]  # B's rate over A's
        summary[k] = {
            "inputs": pairs[0]["A"][k][0],
            "ms_per_input_a": statistics.median(1e3 * p["A"][k][1] / p["A"][k][0] for p in pairs),
            "ms_per_input_b": statistics.median(1e3 * p["B"][k][1] / p["B"][k][0] for p in pairs),
            "rate_ratio_b_over_a": statistics.median(ratios),
            "rate_ratios": ratios,
        }
        s = summary[k]
        print(f"{k:20} {s['inputs']:5} inputs  CPU {s['ms_per_input_a']:.3f} -> {s['ms_per_input_b']:.3f} ms/input  "
              f"rate B/A {s['rate_ratio_b_over_a']:.2f}x ({', '.join(f'{r:.2f}' for r in ratios)})")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = HERE / "results" / f"ab-stages-{stamp}.json"
    path.write_text(json.dumps({"a": str(roots["A"]), "b": str(roots["B"]), "pairs": pairs, "summary": summary}, indent=2) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
