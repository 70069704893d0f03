"""The near-duplicate decision's length-ratio bound, measured on bench/recrawl.py's stream.

The stream's articles (originals as HTML, re-crawls, updates, syndicated copies) go once through
`copydesk process`; the script then takes each published body as copydesk extracted it and, for
every pair of articles that share an LSH band (the only pairs the decision ever compares),
computes what `neardup.copy_similarity` compares with the threshold for a range of bounds on
the two bodies' length ratio. It prints, per bound, the syndicated copies and page-text
re-crawls whose measure with their original reaches the threshold, and the pairs of distinct
articles (different dev pages) whose measure does, pairs of two originals among them. A second
table keeps the one-site bound at the default and varies the bound for two articles of different
sites (`site`), as copydesk chooses between them. Order and exact dedup are left out: a pair's
verdict here is the measure alone, which bench/recrawl.py then checks end to end.

    .venv/bin/python bench/overlap_bound.py [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recrawl  # noqa: E402
from quality import DEFAULT_DATA, load_cases  # noqa: E402

from processors import neardup  # noqa: E402

BOUNDS = (0.0, 0.5, 0.6, 0.7, 0.74, 0.75, 0.8, 0.85, 0.9)
THRESHOLD = neardup.DEFAULT_THRESHOLD


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    cases = load_cases(DEFAULT_DATA, args.limit)
    messages, what = recrawl.build(cases)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
        (work / "raw.jsonl").write_text(lines, encoding="utf-8")
        records = recrawl.run(ROOT, work)
    bodies = {}
    for record, (kind, i) in zip(records, what):
        if record.get("text"):
            sig, size = neardup.signature_and_size(record["text"])
            low = neardup.from_sketch(neardup.sketch(sig))
            bodies[(kind, i)] = (low, size, set(neardup.band_keys(sig)), record["site"])
    # (kind of the pair, jaccard, size a, size b, same site) for every pair sharing a band
    pairs = []
    for a, b in itertools.combinations(bodies, 2):
        (low_a, n_a, keys_a, site_a), (low_b, n_b, keys_b, site_b) = bodies[a], bodies[b]
        if not keys_a & keys_b:
            continue
        jaccard = neardup.estimate_similarity(low_a, low_b)
        kinds = {a[0], b[0]}
        if a[1] != b[1]:
            kind = "originals" if kinds <= {"original", "recrawl_html"} else "distinct"
        elif kinds == {"original", "syndicated"} or kinds == {"original", "recrawl_text"}:
            kind = (kinds - {"original"}).pop()
        else:
            continue
        pairs.append((kind, jaccard, n_a, n_b, site_a == site_b))
    totals = {k: sum(1 for _, i in what if _ == k) for k in ("syndicated", "recrawl_text")}
    print(f"{len(cases)} dev pages, {len(pairs)} pairs sharing a band; threshold {THRESHOLD}")
    print(f"{'bound':>6} {'syndicated':>11} {'page-text re-crawls':>20} {'distinct passing':>17} {'of them originals':>18}")
    rows = [("no share", 2.0), *((f"{b:.2f}", b) for b in BOUNDS)]
    for label, bound in rows:
        passed = [k for k, j, m, n, _ in pairs if neardup.copy_similarity(j, m, n, bound) >= THRESHOLD]
        count = {k: passed.count(k) for k in ("syndicated", "recrawl_text", "distinct", "originals")}
        print(f"{label:>6} {count['syndicated']:>7}/{totals['syndicated']} {count['recrawl_text']:>16}/{totals['recrawl_text']}"
              f" {count['distinct'] + count['originals']:>17} {count['originals']:>18}")
    same_site = neardup.DEFAULT_MIN_LENGTH_RATIO
    print(f"\none-site bound {same_site}, other-site bound:")
    print(f"{'bound':>6} {'syndicated':>11} {'page-text re-crawls':>20} {'distinct passing':>17} {'of them originals':>18}"
          f" {'of them one site':>17}")
    for bound in BOUNDS:
        passed = [(k, one) for k, j, m, n, one in pairs
                  if neardup.copy_similarity(j, m, n, same_site if one else bound) >= THRESHOLD]
        kinds = [k for k, _ in passed]
        count = {k: kinds.count(k) for k in ("syndicated", "recrawl_text", "distinct", "originals")}
        one_site = sum(1 for k, one in passed if one and k in ("distinct", "originals"))
        print(f"{bound:>6.2f} {count['syndicated']:>7}/{totals['syndicated']} {count['recrawl_text']:>16}/{totals['recrawl_text']}"
              f" {count['distinct'] + count['originals']:>17} {count['originals']:>18} {one_site:>17}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
