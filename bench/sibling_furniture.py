"""What the furniture trafilatura leaves out of a site's HTML pages would take off the same site's
page text: each dev page with a sibling (another page of its publisher) sent as page text
(`quality.flatten`, cold: no site-lines table), once as `make quality` sends it and once with the
lines its siblings taught dropped from its cleaned paragraphs, as the site-lines step drops them
(`sitelines.line_fingerprint`; never all of a page's lines).

A sibling teaches the lines of its rendered page (`quality.rendered_lines`) that are neither in the
body nor the title the HTML path extracts from it (a line counts as body when its fingerprint is a
paragraph's, or when, of 20 characters or more, it is inside the body's text, compared without
spaces and invisible format characters). `--min-siblings K`: a line needs K siblings to teach it
(1: one HTML page is enough at once; 3: each counts as one article of the site-lines step's 3).
`--own`: every page is taught by its own HTML instead (the same article crawled as HTML and as
page text): the most a page's furniture could lose, and which body lines that would cost.

Printed: the furniture lines left (as `make quality` counts them; tuned / held-out), the body
lines lost and body recall, before and after; how many of the lines still left are on a sibling's
rendered page at all; the lines a page teaches (what it would add to the site-lines table); and,
measured side by side in each round, the HTML chain's time per page against rendering and
fingerprinting its lines from the parsed tree.

    python bench/sibling_furniture.py [--data DIR] [--min-siblings K] [--own] [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402

from processors import sitelines  # noqa: E402
from processors.cleaning import _parse_html, clean  # noqa: E402
from processors.errors import StageError  # noqa: E402
from processors.extraction import extract  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from schemas.models import RawArticle  # noqa: E402


def _key(text: str) -> str:
    return "".join(c for c in quality._squeezed(text).casefold() if unicodedata.category(c) != "Cf")


def taught_lines(case: dict, html: str, options: StageOptions) -> set[str]:
    """The fingerprints of the page's rendered lines that the HTML path leaves out of its body."""
    try:
        cleaned = clean(RawArticle(url=case["url"], fetched_at=quality.fetched_at(case), html=html), options)
        body, title = cleaned.paragraphs, cleaned.hints.title or ""
    except StageError:
        body, title = (), ""
    limit = options.sitelines_max_line_chars
    kept = {sitelines.line_fingerprint(p, limit) for p in (*body, title)}
    joined = _key("".join(body))
    taught = set()
    for line in quality.flatten(html).splitlines():
        fingerprint = sitelines.line_fingerprint(line, limit)
        if fingerprint is None or fingerprint in kept or (len(key := _key(line)) >= 20 and key in joined):
            continue
        taught.add(fingerprint)
    return taught


def page_text(case: dict, html: str, options: StageOptions, drop: set[str]) -> tuple[int, list[str], list[str], float]:
    """The page's whole text cleaned as page text, less the paragraphs whose fingerprints are in
    `drop`: its furniture lines, those left, the annotated body lines lost, and body recall."""
    text = quality.flatten(html)
    raw = RawArticle(url=case["url"], fetched_at=quality.fetched_at(case), text=text or "-")
    try:
        cleaned = clean(raw, options)
        limit = options.sitelines_max_line_chars
        kept = tuple(p for p in cleaned.paragraphs if sitelines.line_fingerprint(p, limit) not in drop)
        if kept:
            cleaned = replace(cleaned, paragraphs=kept)
        published = extract(cleaned, options).text
    except StageError:
        published = ""
    expected = case["expected"]
    furniture, left = quality.furniture_left(text, expected, published)
    squeezed = quality._squeezed(published)
    lost = [p for p in expected["body"].split("\n") if p.strip() and quality._squeezed(p) not in squeezed]
    scores = quality.Scores.empty()
    scores.add(expected, published, None, None, [])
    return furniture, left, lost, scores.recall[0]


def costs(cases: list[tuple[dict, str]], options: StageOptions, rounds: int) -> None:
    """Per round, side by side: the HTML chain (clean and extract) per page, then rendering and
    fingerprinting the lines of the same pages' parsed trees (the tree the chain already holds)."""
    raws = [RawArticle(url=c["url"], fetched_at=quality.fetched_at(c), html=h) for c, h in cases]
    trees = [tree for tree in map(_parse_html, (raw.html for raw in raws)) if tree is not None]
    limit = options.sitelines_max_line_chars
    for number in range(rounds):
        started = time.perf_counter()
        for raw in raws:
            try:
                extract(clean(raw, options), options)
            except StageError:
                pass
        middle = time.perf_counter()
        for tree in trees:
            for line in quality.rendered_lines(tree):
                sitelines.line_fingerprint(line, limit)
        chain, lines = (middle - started) / len(raws), (time.perf_counter() - middle) / len(trees)
        print(f"round {number}: HTML chain {chain * 1000:.1f} ms a page, its lines rendered and "
              f"fingerprinted {lines * 1000:.2f} ms ({lines / chain:.3f} of the chain)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=quality.DEFAULT_DATA)
    parser.add_argument("--min-siblings", type=int, default=1)
    parser.add_argument("--own", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    options = StageOptions()
    cases = quality.load_cases(args.data, None)
    taught = {case["file"]: taught_lines(case, html, options) for case, html in cases}
    rendered = {case["file"]: set(map(_fingerprint, quality.flatten(html).splitlines())) - {None} for case, html in cases}
    sites: dict[str, list[dict]] = defaultdict(list)
    for case, _html in cases:
        sites[case["publisher"]].append(case)
    totals: dict[str, int] = defaultdict(int)
    recalls: list[tuple[float, float]] = []
    for case, html in cases:
        siblings = [other["file"] for other in sites[case["publisher"]] if other is not case]
        if args.own:
            drop = taught[case["file"]]
        elif siblings:
            counts: dict[str, int] = defaultdict(int)
            for sibling in siblings:
                for fingerprint in taught[sibling]:
                    counts[fingerprint] += 1
            drop = {fingerprint for fingerprint, n in counts.items() if n >= args.min_siblings}
        else:
            continue
        part = "held_out" if quality.held_out(case) else "tuned"
        furniture, left, lost, recall = page_text(case, html, options, set())
        _furniture, left_after, lost_after, recall_after = page_text(case, html, options, drop)
        totals["pages"] += 1
        totals["furniture"] += furniture
        totals[f"{part} left"] += len(left)
        totals[f"{part} left after"] += len(left_after)
        totals["body lines lost"] += len(lost)
        totals["body lines lost after"] += len(lost_after)
        totals["pages with fewer left"] += len(left_after) < len(left)
        on_siblings = set().union(*(rendered[sibling] for sibling in siblings))
        totals["left after, on a sibling page"] += sum(_fingerprint(line) in on_siblings for line in left_after)
        recalls.append((recall, recall_after))
        for line in lost_after:
            if line not in lost:
                print(f"  lost: {case['file']}: {line[:100]}")
    left = totals["tuned left"] + totals["held_out left"]
    after = totals["tuned left after"] + totals["held_out left after"]
    print(f"pages {totals['pages']}; furniture left {left} -> {after} of {totals['furniture']} "
          f"(tuned {totals['tuned left']} -> {totals['tuned left after']}, held-out "
          f"{totals['held_out left']} -> {totals['held_out left after']}); pages with fewer left "
          f"{totals['pages with fewer left']}; of those left after, on a sibling's rendered page "
          f"{totals['left after, on a sibling page']}")
    print(f"body lines lost {totals['body lines lost']} -> {totals['body lines lost after']}; body recall "
          f"{sum(r for r, _ in recalls) / len(recalls):.4f} -> {sum(r for _, r in recalls) / len(recalls):.4f}")
    sizes = [len(lines) for lines in taught.values()]
    state = [len(orjson.dumps({fp: ["0" * 12] for fp in lines})) for lines in taught.values()]
    print(f"lines a page teaches: mean {sum(sizes) / len(sizes):.1f}, max {max(sizes)}; as site-lines "
          f"state (one tag each): mean {sum(state) / len(state):.0f} bytes, max {max(state)}")
    costs(cases, options, args.rounds)
    return 0


def _fingerprint(line: str) -> str | None:
    return sitelines.line_fingerprint(line, StageOptions().sitelines_max_line_chars)


if __name__ == "__main__":
    sys.exit(main())
