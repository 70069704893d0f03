"""Re-crawls, updates and syndicated copies of the dev pages through `copydesk process`.

Each annotated dev page (../shared/data/fundus-news) is an original, sent as its HTML under its
URL. From each the script makes, in this order after all the originals:

- `recrawl_html`: the same HTML under the URL plus `utm_*` parameters;
- `recrawl_text`: the page's rendered text (`bench/quality.py`'s `flatten`: every block a line,
  menus and footers included) under the URL plus other `utm_*` parameters;
- `updated`: the page's rendered text under its own URL, the body's middle paragraph replaced by
  another article's longest paragraph and a paragraph added at the end: a changed body;
- `syndicated`: the annotated title and body as page text under another site's URL, with that
  site's furniture around it (the first and last `FURNITURE_LINES` lines of the next dev page's
  rendered text, outside its body).

All originals are fetched on one day, seconds apart, so that every pair of them is within the
dedup horizon and could be merged; each kind of copy an hour after the one before. The stream
goes through `copydesk process` (the offline mode: the workers' steps, in input order) with
entities off, once with this checkout's code and once with `--before REV`'s (its `processors`,
`schemas` and `streams` from `git archive`), and the script prints, for both:

- re-crawls caught: `duplicate` (or `near_duplicate`) of the original's id;
- syndicated copies caught: a copy of the original's id;
- updates kept: `update` in the original's cluster;
- originals merged: originals published as copies (of anything), or copies of the wrong original.

    .venv/bin/python bench/recrawl.py [--before REV] [--limit N] [--json FILE] [--misses]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from quality import DEFAULT_DATA, _squeezed, flatten, load_cases  # noqa: E402

DEFAULT_BEFORE = "aa12db0"
FURNITURE_LINES = 6
KINDS = ("recrawl_html", "recrawl_text", "updated", "syndicated")
BASE = datetime(2024, 5, 3, 8, 0, tzinfo=timezone.utc)
ADDED = "Update: this article was revised after publication; the paragraph above was added with new information."


def _at(hours: int, i: int) -> str:
    return (BASE + timedelta(hours=hours, seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_params(url: str, params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{params}"


def _outside_body(page: str, body: str) -> list[str]:
    squeezed = _squeezed(body).casefold()
    return [line for line in page.splitlines() if _squeezed(line).casefold() not in squeezed]


def build(cases: list[tuple[dict, str]]) -> tuple[list[dict], list[tuple[str, int]]]:
    """The raw messages in input order, and what each one is: (kind, index of its original)."""
    originals, copies = [], {kind: [] for kind in KINDS}
    rendered = [flatten(html) for _, html in cases]
    for i, (case, html) in enumerate(cases):
        expected = case["expected"]
        url = case["url"]
        j = (i + 1) % len(cases)
        other = cases[j][0]
        other_lines = _outside_body(rendered[j], other["expected"]["body"])
        head, tail = other_lines[:FURNITURE_LINES], other_lines[-FURNITURE_LINES:]
        paragraphs = [p.strip() for p in expected["body"].split("\n") if p.strip()]
        host = other["url"].split("/")[2]
        originals.append(({"url": url, "fetched_at": _at(0, i), "html": html}, ("original", i)))
        copies["recrawl_html"].append(
            ({"url": _with_params(url, "utm_source=newsletter&utm_medium=email"), "fetched_at": _at(1, i), "html": html},
             ("recrawl_html", i))
        )
        copies["recrawl_text"].append(
            ({"url": _with_params(url, "utm_source=twitter&utm_medium=social&utm_campaign=share"),
              "fetched_at": _at(2, i), "text": rendered[i] or "-"},
             ("recrawl_text", i))
        )
        copies["syndicated"].append(
            ({"url": f"https://{host}/wire/{i}", "fetched_at": _at(4, i),
              "text": "\n\n".join([expected["title"] or "", *head, *paragraphs, *tail])},
             ("syndicated", i))
        )
        changed = list(paragraphs)
        donor = [p.strip() for p in other["expected"]["body"].split("\n") if p.strip()]
        changed[len(changed) // 2] = max(donor, key=len)
        changed.append(ADDED)
        page_lines = rendered[i].splitlines()
        first, last = _span(page_lines, paragraphs)
        text = "\n".join(page_lines[:first] + changed + page_lines[last + 1:]) if first is not None else "\n\n".join(
            [expected["title"] or "", *changed]
        )
        copies["updated"].append(({"url": url, "fetched_at": _at(3, i), "text": text}, ("updated", i)))
    stream = originals + [item for kind in KINDS for item in copies[kind]]
    return [message for message, _ in stream], [what for _, what in stream]


def _span(lines: list[str], paragraphs: list[str]) -> tuple[int | None, int | None]:
    """The first and last line of `lines` that hold one of the body's paragraphs."""
    keys = {_squeezed(p).casefold() for p in paragraphs}
    hits = [n for n, line in enumerate(lines) if _squeezed(line).casefold() in keys]
    return (hits[0], hits[-1]) if hits else (None, None)


def run(code: Path, workdir: Path) -> list[dict]:
    """Each input's outcome record (enriched, duplicates or dead-letter), in input order."""
    source = workdir / "raw.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPYDESK_")}
    env.update(COPYDESK_ENTITIES="off", COPYDESK_LOG_LEVEL="WARNING", PYTHONPATH=str(code))
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from streams.cli import main; sys.exit(main())", "process", str(source)],
        env=env, cwd=code, capture_output=True, check=True,
    ).stdout
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in records if "correction" not in r]


def score(records: list[dict], what: list[tuple[str, int]]) -> dict:
    if len(records) != len(what):
        raise SystemExit(f"{len(records)} outcomes for {len(what)} inputs")
    original_id: dict[int, str] = {}
    rows: dict[str, Counter] = {kind: Counter() for kind in ("original", *KINDS)}
    similarity: dict[str, list[float]] = {kind: [] for kind in KINDS}
    merged: list[str] = []
    misses: list[str] = []
    for record, (kind, i) in zip(records, what):
        row = rows[kind]
        row["n"] += 1
        dedup = record.get("dedup")
        if dedup is None:
            row["dead_letter"] += 1
            misses.append(f"{kind} {i}: dead letter {record['error']['kind']}")
            continue
        row[dedup["status"]] += 1
        if kind == "original":
            repeat = record["id"] in original_id.values()
            original_id[i] = record["id"]
            if dedup["status"] in ("duplicate", "near_duplicate") and not repeat:
                merged.append(f"original {i} {record['url']} judged {dedup['status']} of {dedup['duplicate_of']}")
            continue
        similarity[kind].append(dedup["similarity"])
        mine = original_id.get(i)
        if kind == "updated":
            ok = dedup["status"] == "update" and dedup["cluster_id"] == mine
        else:
            ok = dedup["status"] in ("duplicate", "near_duplicate") and dedup["duplicate_of"] == mine
            if dedup["status"] in ("duplicate", "near_duplicate") and not ok:
                merged.append(f"{kind} {i} judged a copy of {dedup['duplicate_of']}, not of its original {mine}")
        row["caught"] += ok
        if not ok:
            misses.append(f"{kind} {i} {record['url'][:90]}: {dedup['status']} similarity {dedup['similarity']}")
    return {
        "kinds": {kind: dict(row) for kind, row in rows.items()},
        "similarity_median": {k: sorted(v)[len(v) // 2] if v else None for k, v in similarity.items()},
        "merged": merged,
        "misses": misses,
    }


def _checkout(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "processors", "schemas", "streams"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="the commit whose code gives the 'before' column")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "recrawl.json")
    parser.add_argument("--misses", action="store_true", help="print each miss and merge")
    args = parser.parse_args()
    cases = load_cases(args.data, args.limit)
    messages, what = build(cases)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "before").mkdir()
        before_code = _checkout(args.before, work / "before")
        (work / "raw.jsonl").write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages), encoding="utf-8")
        with ThreadPoolExecutor(2) as pool:
            before_job = pool.submit(run, before_code, work)
            after_job = pool.submit(run, ROOT, work)
            before, after = score(before_job.result(), what), score(after_job.result(), what)
    print(f"{len(cases)} dev pages from {args.data}; 'before': {args.before}, 'after': this checkout")
    print(f"{'kind':<14}{'n':>5}{'caught before':>16}{'caught after':>16}   verdicts after (median similarity)")
    for kind in KINDS:
        b, a = before["kinds"][kind], after["kinds"][kind]
        verdicts = {k: v for k, v in a.items() if k not in ("n", "caught")}
        print(f"{kind:<14}{a['n']:>5}{b.get('caught', 0):>10} {b.get('caught', 0) / b['n']:>5.1%}"
              f"{a.get('caught', 0):>10} {a.get('caught', 0) / a['n']:>5.1%}   {verdicts} ({after['similarity_median'][kind]})")
    recrawls = {side: sum(s["kinds"][k].get("caught", 0) for k in ("recrawl_html", "recrawl_text"))
                for side, s in (("before", before), ("after", after))}
    n = sum(after["kinds"][k]["n"] for k in ("recrawl_html", "recrawl_text"))
    print(f"{'re-crawls':<14}{n:>5}{recrawls['before']:>10} {recrawls['before'] / n:>5.1%}"
          f"{recrawls['after']:>10} {recrawls['after'] / n:>5.1%}")
    print(f"originals merged or copies of a wrong original: before {len(before['merged'])}, after {len(after['merged'])}"
          f" (originals: {dict(after['kinds']['original'])})")
    if args.misses:
        for line in after["merged"] + after["misses"]:
            print(f"  {line}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"pages": len(cases), "before_commit": args.before, "before": before,
                                     "after": after}, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
