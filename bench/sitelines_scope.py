"""Site lines learnt per raw partition against one scope per site: what the furniture left in
whole pages sent as page text owes to the site-lines table, and to its partitioning.

    .venv/bin/python bench/sitelines_scope.py [--data DIR] [--per-site 8,24,72] [--partitions 8] [--cost N]
                                              [--json bench/results/sitelines_scope.json]

The extraction step (`processors.pipeline.clean_step`, then `extract_step` with a dict for the
site-lines table, as `streams.offline` runs it; `StageOptions()`'s defaults, as `make quality`)
over each stream below, four ways:
  cold     no site-lines table (what `make quality`'s whole-pages figure measures);
  1 scope  the table, every input on raw partition 0: what a global or site-keyed state gives;
  N scopes the table, each input on the raw partition a worker would give it: the crawler's key
           (the message's `url`, as `copydesk produce` and bench/run.py key raw messages) through
           the project's partitioner (`streams.tables.partition_of`), N = `--partitions`, each
           partition's lines checked alone (`StageOptions.sitelines_partitions` 1);
  N read together  the same partitions, each writing its own scope, an article checked against
           all N scopes (`sitelines_partitions` N: what the workers do).

Streams:
  dev      the 258 dev pages' rendered text (bench/quality.py `flatten`), in order of fetch time
           (then file order). At most 4 pages a publisher, crawled months apart.
  make bench  make bench's page-text stream (bench/run.py): the seed, the 258 dev bodies as page
           text (title line, blank line, body), 1,000 synthetic articles on three sites (about
           333 a site, one day), in that order. No furniture but the seed's: what site lines drop
           there are body lines.
  sites N  N articles a publisher (each of `--per-site`), every 20 minutes, the publishers
           interleaved: article k of a publisher is its dev page k (mod its pages), rendered,
           with the page's title and annotated body lines replaced by another dev page's title and
           paragraphs (a different donor for each k, never from the same publisher), paragraph for
           body line (a line that is a body paragraph, or 30 characters or more of the body; the
           donor's surplus after the last, the template's surplus lines left out), under the
           page's URL with "-k" after its path. The template's other lines (menus, teasers,
           footers) are kept as the site printed them: each recurs in every article made from
           that template, so the stream bounds what site-line learning can do (real related-story
           lists change from day to day).

Figures per stream and way, over all pages and the tuned / held-out parts (bench/quality.py
`held_out`, by the template's publisher): the furniture left (a page's lines in neither its
annotated body nor its title that are left in the published text, as bench/quality.py counts
them), body recall and precision (word 4-grams averaged over pages, as bench/quality.py), and the
share of candidate lines the site-lines check dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402 - bench/quality.py
from processors import pipeline  # noqa: E402
from processors.extraction import identify  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams.steps import apply_writes, clock  # noqa: E402
from streams.tables import partition_of  # noqa: E402


@dataclass
class Item:
    """One page-text input and its annotation (the body and title it should come out with)."""

    url: str
    fetched_at: str
    text: str
    body: str
    title: str
    held_out: bool


@dataclass
class Tally:
    """One part's counts: furniture lines and those left, candidate lines and those the site-lines
    check dropped, and each page's body recall and precision."""

    furniture: int = 0
    left: int = 0
    lines: int = 0
    dropped: int = 0
    recall: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float | int]:
        return {
            "pages": len(self.recall),
            "furniture_lines": self.furniture,
            "furniture_left": self.left,
            "furniture_left_share": round(self.left / self.furniture, 4) if self.furniture else 0.0,
            "body_recall": round(sum(self.recall) / len(self.recall), 4) if self.recall else 0.0,
            "body_precision": round(sum(self.precision) / len(self.precision), 4) if self.precision else 0.0,
            "candidate_lines": self.lines,
            "dropped_by_site_lines": self.dropped,
        }


def _key(line: str) -> str:
    return quality._squeezed(line).casefold()


def dev_stream(cases: list[tuple[dict, str]]) -> list[Item]:
    items = [
        Item(case["url"], quality.fetched_at(case), quality.flatten(html), case["expected"]["body"],
             case["expected"]["title"], quality.held_out(case))
        for case, html in cases
    ]
    return sorted(items, key=lambda item: item.fetched_at)  # stable: file order among equals


def sites_stream(cases: list[tuple[dict, str]], per_site: int) -> list[Item]:
    """`per_site` articles a publisher: its rendered pages' furniture around other pages' bodies."""
    rendered = [(case, quality.flatten(html)) for case, html in cases]
    publishers: dict[str, list[tuple[dict, str]]] = {}
    for case, text in rendered:
        if text:
            publishers.setdefault(case["publisher"], []).append((case, text))
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    donors = [case for case, _ in rendered]
    items = []
    for k in range(per_site):
        when = (start + timedelta(minutes=20 * k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for n, (publisher, pages) in enumerate(publishers.items()):
            case, text = pages[k % len(pages)]
            others = [d for d in donors if d["publisher"] != publisher]
            donor = others[(n * 37 + k) % len(others)]["expected"]
            body, title = _key(case["expected"]["body"]), _key(case["expected"]["title"])
            template = text.splitlines()
            paragraphs_of = {_key(p) for p in case["expected"]["body"].split("\n")}
            at = [i for i, line in enumerate(template) if _body_line(_key(line), title, body, paragraphs_of)]
            paragraphs = [p.strip() for p in donor["body"].split("\n") if p.strip()]
            # The donor's paragraphs one for one in the template's body lines (the rest after the
            # last), so that captions and teasers between them stay between body lines.
            fill = {i: [paragraph] for i, paragraph in zip(at, paragraphs)}
            if at:
                fill[at[-1]] = fill.get(at[-1], []) + paragraphs[len(at):]
            lines = []
            for i, line in enumerate(template):
                if i in fill or i in at:
                    lines += fill.get(i, [])
                elif _key(line) and _key(line) == title:
                    lines.append(donor["title"])
                else:
                    lines.append(line)
            parts = urlsplit(case["url"])
            url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}-{k}"))
            items.append(Item(url, when, "\n".join(lines), donor["body"], donor["title"], quality.held_out(case)))
    return items


def _body_line(key: str, title: str, body: str, paragraphs: set[str]) -> bool:
    """A template line that holds the annotated body: one of its paragraphs, or 30 characters
    or more of it (a short line found inside the body, "News", is a menu's as often)."""
    return bool(key) and key != title and (key in paragraphs or (len(key) >= 30 and key in body))


def bench_stream(cases: list[tuple[dict, str]]) -> list[Item]:
    """make bench's page-text stream (bench/run.py's stages): the seed, the dev bodies as page
    text, 1,000 synthetic articles on three sites; the body is what follows the title line."""
    import run as make_bench  # bench/run.py

    held = {case["url"]: quality.held_out(case) for case, _ in cases}
    messages = [
        make_bench.seed_message(),
        *make_bench.fundus_texts([case for case, _ in cases]),
        *make_bench.distinct_articles(0, 1000, "-inproc"),
    ]
    items = []
    for value in map(orjson.loads, messages):
        title, _, body = value["text"].partition("\n\n")
        items.append(Item(value["url"], value["fetched_at"], value["text"], body or title, title,
                          held.get(value["url"], False)))
    return items


def run(items: list[Item], options: StageOptions, partitions: int | None, together: bool = False) -> dict[str, dict]:
    """Each item through the extraction step in order; `partitions` None: no site-lines table;
    `together`: each article checked against every partition's lines."""
    if together and partitions:
        options = replace(options, sitelines_partitions=partitions)
    table: dict[str, dict] = {}
    tallies = {"all": Tally(), "tuned": Tally(), "held_out": Tally()}
    for offset, item in enumerate(items):
        payload = orjson.dumps({"url": item.url, "fetched_at": item.fetched_at, "text": item.text or "-"})
        partition = 0 if not partitions else partition_of(item.url, partitions)
        source = SourceRef("raw", partition, offset, None)
        now = clock()
        published, candidates, dropped = "", 0, 0
        cleaned = pipeline.clean_step(payload, source, options, now)
        if cleaned.role == pipeline.HANDED_ON:
            article = cleaned.handed.article
            candidates = len(article.paragraphs)
            if partitions is not None:
                # The check the step makes below, read only (the table is written after the step).
                _, check = pipeline.drop_site_lines(article, identify(article), source, table.get, options)
                dropped = len(check.drop) if check is not None else 0
            lookup = table.get if partitions is not None else None
            result = pipeline.extract_step(cleaned.handed, options, now, lookup, in_process=True)
            apply_writes(table, result.writes)
            if result.role == "extracted":
                published = result.handed.article.text
        body, title = _key(item.body), _key(item.title)
        paragraphs = [_key(p) for p in published.split("\n\n")]
        joined = "".join(paragraphs)
        furniture = left = 0
        for line in item.text.splitlines():
            key = _key(line)
            if not key or key in body or key == title:
                continue
            furniture += 1
            left += key in paragraphs or (len(key) >= 30 and key in joined)
        gold, got = quality.shingles(item.body), quality.shingles(published)
        hit = len(gold & got)
        for name in ("all", "held_out" if item.held_out else "tuned"):
            tally = tallies[name]
            tally.furniture += furniture
            tally.left += left
            tally.lines += candidates
            tally.dropped += dropped
            tally.recall.append(hit / len(gold) if gold else 0.0)
            tally.precision.append(hit / len(got) if got else 0.0)
    return {name: tally.summary() for name, tally in tallies.items()}


def check_cost(items: list[Item], options: StageOptions, partitions: int, rounds: int) -> dict[str, dict]:
    """CPU of `processors.sitelines.check_lines` per article over `items` cleaned once, as the
    workers call it at `partitions` partitions: each partition's lines alone and read together
    (each way its own dict table, its writes applied), A and B in turn `rounds` times; the best
    round of each, and the table reads per article."""
    from processors import dedup, sitelines

    calls = []
    for offset, item in enumerate(items):
        payload = orjson.dumps({"url": item.url, "fetched_at": item.fetched_at, "text": item.text or "-"})
        source = SourceRef("raw", partition_of(item.url, partitions), offset, None)
        cleaned = pipeline.clean_step(payload, source, options, clock())
        if cleaned.role == pipeline.HANDED_ON:
            article = cleaned.handed.article
            identity = identify(article)
            calls.append((identity.site, source.partition, article.paragraphs, identity.id, dedup.day_of(article.fetched_at)))
    ways = {"alone": replace(options, sitelines_partitions=1), "together": replace(options, sitelines_partitions=partitions)}
    best: dict[str, float] = {}
    reads: dict[str, int] = {}
    for _ in range(rounds):
        for way, opts in ways.items():
            table: dict[str, dict] = {}
            count = [0]

            def lookup(key: str, get=table.get, count=count) -> Any:
                count[0] += 1
                return get(key)

            spent = 0.0
            for site, partition, lines, article_id, day in calls:
                own, others = pipeline.site_lines_scopes(site, partition, opts.sitelines_partitions)
                started = time.process_time()
                check = sitelines.check_lines(own, lines, article_id, day, lookup, opts, others)
                spent += time.process_time() - started
                table.update(check.writes)
            best[way] = min(best.get(way, spent), spent)
            reads[way] = count[0]
    return {way: {"cpu_us_per_article": round(best[way] / len(calls) * 1e6, 1),
                  "reads_per_article": round(reads[way] / len(calls), 1)} for way in ways}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=quality.DEFAULT_DATA)
    parser.add_argument("--per-site", default="8,24,72", help="articles a publisher, one sites stream each")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "sitelines_scope.json")
    parser.add_argument("--cost", type=int, metavar="N", help="only the check's CPU, sites N stream, best of 3 rounds")
    args = parser.parse_args()
    cases = quality.load_cases(args.data, None)
    options = StageOptions()
    if args.cost:
        print(json.dumps(check_cost(sites_stream(cases, args.cost), options, args.partitions, 3)))
        return 0
    per_site = [int(n) for n in args.per_site.split(",")]
    streams = {"dev": dev_stream(cases), "make bench": bench_stream(cases)}
    streams.update((f"sites {n}", sites_stream(cases, n)) for n in per_site)
    ways = {
        "cold": (None, False),
        "1 scope": (1, False),
        f"{args.partitions} scopes": (args.partitions, False),
        f"{args.partitions} read together": (args.partitions, True),
    }
    out: dict[str, dict] = {}
    for name, items in streams.items():
        sites = len({urlsplit(item.url).hostname for item in items})
        print(f"\n{name}: {len(items)} pages, {sites} sites")
        print(f"{'way':<18}{'part':<10}{'furniture left':>22}{'body recall':>13}{'precision':>11}"
              f"{'site-line drops':>20}")
        for way, (partitions, together) in ways.items():
            started = time.perf_counter()
            figures = run(items, options, partitions, together)
            out.setdefault(name, {})[way] = figures
            for part, f in figures.items():
                print(f"{way:<18}{part:<10}{f['furniture_left']:>7}/{f['furniture_lines']:<6}"
                      f" {f['furniture_left_share']:>7.2%}"
                      f"{f['body_recall']:>13.4f}{f['body_precision']:>11.4f}"
                      f"{f['dropped_by_site_lines']:>8}/{f['candidate_lines']:<6}"
                      f" {f['dropped_by_site_lines'] / max(f['candidate_lines'], 1):>5.1%}")
            print(f"{'':<18}({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "commit": quality._commit(ROOT),
        "per_site": per_site,
        "partitions": args.partitions,
        "streams": out,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
