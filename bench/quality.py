"""`make quality`: copydesk's cleaning and extraction against annotated news pages, beside bare
trafilatura on the same pages in the same run.

Data: ../shared/data/fundus-news (258 pages, 40 countries; `cases.jsonl` gives each page's
annotated title, authors, publication date and body). Metrics:
- body F1: word 4-gram shingles of the body (text NFKC-normalised, whitespace collapsed, case
  folded); per page precision and recall, each averaged over pages, then F1 of the two averages;
- titles: exact match after normalisation (NFKC, format characters dropped, quotes made
  straight, whitespace collapsed: the dataset's README warns of such differences);
- dates: the publication date equals the annotated one, to the day (as written on the page, or
  in UTC: either counts);
- authors: F1 of the normalised name sets per page (both empty counts 1), averaged.

Page text: each annotated page's title and body sent as page text, as a crawler that flattened
it would, in two layouts: "blank" (the title line, a blank line, the body's paragraphs separated
by blank lines) and "lines" (one paragraph per line, no blank line anywhere). Per script of the
body (its most frequent letters' script), the share of pages enriched (not dead-lettered) with at
least 90% of the body kept (a paragraph counts as kept when its text, NFC and without spaces,
is in the published text), and in the "lines" layout the share whose title is found.

    python bench/quality.py [--data DIR] [--limit N] [--json bench/results/quality.json] [--misses]
                            [--baseline bench/results/quality-baseline.json] [--code DIR]

Whole pages: each dev page's rendered text (`flatten`: every block a line, menus and footers
included) sent as page text; the body kept, the share of the other lines left in it, and the titles
right (all, tuned and held-out).

Held out: the pages of about a third of the publishers (`held_out`: CRC-32 of the publisher's
name divisible by 3; 83 pages, 18 countries) are scored apart as well as in the whole, and
`--misses` leaves them out (`--held-out-misses` shows them): changes are tuned on the rest, and
the held-out figures tell whether they carry over to sites nobody looked at.

`--misses` also prints the furniture lines left (with their count), and, per page, copydesk's wrong titles and dates and its authors when they
differ from the annotation (expected, then what copydesk gave), and the page-text pages that
fall short. Each figure is printed beside the one in `--baseline` (the figures of an earlier
commit, measured by this script: `git archive REV processors schemas | tar -x -C DIR`, then
`--code DIR --json FILE`); `--code DIR` imports copydesk's processors and schemas from DIR.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import re
import subprocess
import sys
import time
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "--code" in sys.argv[:-1]:
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--code") + 1]).resolve()))

import trafilatura  # noqa: E402

from processors.cleaning import clean  # noqa: E402
from processors.errors import StageError  # noqa: E402
from processors.extraction import extract  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from schemas.models import RawArticle  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fundus-news"
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")
GOALS = {"body_f1": 0.97, "title_exact": 0.95, "date_day": 0.97, "authors_f1": 0.93}


_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})


def normal(text: str | None) -> str:
    """NFKC, invisible format characters (soft hyphens, zero-width spaces) dropped, curly quotes
    made straight, whitespace collapsed: the annotations differ from pages in just these."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return _SPACES.sub(" ", text).strip()


def shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = _WORDS.findall(normal(text).casefold())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return set(zip(*(words[i:] for i in range(n))))


def day_matches(predicted: str | None, expected: str | None) -> bool:
    if not predicted or not expected:
        return False
    if predicted[:10] == expected[:10]:
        return True
    try:
        p = datetime.fromisoformat(predicted.replace("Z", "+00:00"))
        e = datetime.fromisoformat(expected.replace("Z", "+00:00"))
    except ValueError:
        return False
    if p.tzinfo is None or e.tzinfo is None:
        return False
    return p.astimezone(timezone.utc).date() == e.astimezone(timezone.utc).date()


def set_f1(predicted: list[str], expected: list[str]) -> float:
    p = {normal(a).casefold() for a in predicted if normal(a)}
    e = {normal(a).casefold() for a in expected if normal(a)}
    if not p and not e:
        return 1.0
    if not p or not e:
        return 0.0
    hit = len(p & e)
    return 0.0 if hit == 0 else 2 * hit / (len(p) + len(e))


@dataclass
class Scores:
    precision: list[float]
    recall: list[float]
    titles: list[bool]
    dates: list[bool]
    authors: list[float]
    seconds: float = 0.0
    failures: int = 0
    #: (page, field, expected, got) for each title, date and author set that is not right.
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls) -> Scores:
        return cls([], [], [], [], [])

    def add(
        self, expected: dict, body: str, title: str | None, date: str | None, authors: list[str], page: str = ""
    ) -> None:
        self.pages.append(page)
        gold, got = shingles(expected["body"]), shingles(body)
        hit = len(gold & got)
        self.precision.append(hit / len(got) if got else 0.0)
        self.recall.append(hit / len(gold) if gold else 0.0)
        self.titles.append(normal(title) == normal(expected["title"]))
        self.dates.append(day_matches(date, expected.get("published_at")))
        self.authors.append(set_f1(authors, expected.get("authors") or []))
        for name, right, want, have in (
            ("title", self.titles[-1], expected["title"], title),
            ("date", self.dates[-1], expected.get("published_at"), date),
            ("authors", self.authors[-1] == 1.0, expected.get("authors") or [], authors),
        ):
            if not right:
                self.misses.append((page, name, want, have))

    def part(self, keep: list[bool]) -> Scores:
        """The scores of the pages whose flag in `keep` (one per page, in order) is true."""
        pick = [i for i, k in enumerate(keep) if k]
        files = {self.pages[i] for i in pick}
        return Scores(
            [self.precision[i] for i in pick], [self.recall[i] for i in pick], [self.titles[i] for i in pick],
            [self.dates[i] for i in pick], [self.authors[i] for i in pick],
            misses=[m for m in self.misses if m[0] in files], pages=[self.pages[i] for i in pick],
        )

    def summary(self, pages: int) -> dict[str, float]:
        p = sum(self.precision) / len(self.precision)
        r = sum(self.recall) / len(self.recall)
        return {
            "body_precision": round(p, 4),
            "body_recall": round(r, 4),
            "body_f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "title_exact": round(sum(self.titles) / len(self.titles), 4),
            "date_day": round(sum(self.dates) / len(self.dates), 4),
            "authors_f1": round(sum(self.authors) / len(self.authors), 4),
            "pages_per_s": round(pages / self.seconds, 1) if self.seconds else 0.0,
            "failures": self.failures,
        }


def load_cases(data: Path, limit: int | None) -> list[tuple[dict, str]]:
    cases = [json.loads(line) for line in (data / "cases.jsonl").open(encoding="utf-8")]
    if limit:
        cases = cases[:limit]
    return [(c, gzip.decompress((data / c["file"]).read_bytes()).decode("utf-8", "replace")) for c in cases]


def held_out(case: dict) -> bool:
    """Whether the page's publisher is in the held-out part (about a third of the publishers)."""
    return zlib.crc32(case["publisher"].encode("utf-8")) % 3 == 0


def fetched_at(case: dict) -> str:
    return case["crawl_date"].replace(" ", "T")[:19] + "Z"


def run_copydesk(cases: list[tuple[dict, str]], options: StageOptions) -> Scores:
    scores = Scores.empty()
    started = time.perf_counter()
    for case, html in cases:
        raw = RawArticle(url=case["url"], fetched_at=fetched_at(case), html=html)
        try:
            article = extract(clean(raw, options), options)
        except StageError:
            scores.failures += 1
            scores.add(case["expected"], "", None, None, [], case["file"])
            continue
        scores.add(
            case["expected"], article.text, article.title, article.published_at, list(article.authors), case["file"]
        )
    scores.seconds = time.perf_counter() - started
    return scores


def run_trafilatura(cases: list[tuple[dict, str]]) -> Scores:
    scores = Scores.empty()
    started = time.perf_counter()
    for case, html in cases:
        doc = trafilatura.bare_extraction(html, url=case["url"], with_metadata=True)
        if doc is None:
            scores.failures += 1
            scores.add(case["expected"], "", None, None, [])
            continue
        authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
        scores.add(case["expected"], doc.text or "", doc.title, doc.date, authors)
    scores.seconds = time.perf_counter() - started
    return scores


_SCRIPT_NAMES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "HANGUL"}
PAGE_TEXT_LAYOUTS = ("blank", "lines")
KEPT_SHARE = 0.9


def script_of(text: str) -> str:
    """The Unicode script of most of the text's letters (the first word of their names)."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "UNKNOWN").split()[0]
            name = _SCRIPT_NAMES.get(name, name)
            counts[name] = counts.get(name, 0) + 1
    return max(sorted(counts), key=counts.__getitem__) if counts else "NONE"


def page_text(expected: dict, layout: str) -> str:
    paragraphs = [p.strip() for p in expected["body"].split("\n") if p.strip()]
    if layout == "blank":
        return expected["title"] + "\n\n" + "\n\n".join(paragraphs)
    return "\n".join([expected["title"], *paragraphs])


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


def kept_share(expected_body: str, published: str) -> float:
    """The share of the body's characters (outside spaces) in paragraphs found in `published`."""
    published = _squeezed(published)
    paragraphs = [_squeezed(p) for p in expected_body.split("\n") if p.strip()]
    total = sum(map(len, paragraphs))
    return sum(len(p) for p in paragraphs if p in published) / total if total else 0.0


def run_page_text(cases: list[tuple[dict, str]], options: StageOptions, layout: str) -> tuple[dict, list[str]]:
    """Per script: pages, pages enriched with at least `KEPT_SHARE` of the body kept, titles
    found; and a line per page that falls short."""
    per_script: dict[str, dict[str, int]] = {}
    short: list[str] = []
    for case, _html in cases:
        expected = case["expected"]
        script = script_of(expected["body"])
        counts = per_script.setdefault(script, {"pages": 0, "kept": 0, "titles": 0})
        counts["pages"] += 1
        raw = RawArticle(url=case["url"], fetched_at=fetched_at(case), text=page_text(expected, layout))
        try:
            article = extract(clean(raw, options), options)
        except StageError as error:
            short.append(f"{layout} {script} {case['file']}: {error}")
            continue
        share = kept_share(expected["body"], article.text)
        if share >= KEPT_SHARE:
            counts["kept"] += 1
        else:
            short.append(f"{layout} {script} {case['file']}: {share:.0%} of the body kept")
        if normal(article.title) == normal(expected["title"]):
            counts["titles"] += 1
    every = {"pages": 0, "kept": 0, "titles": 0}
    for counts in per_script.values():
        for key in every:
            every[key] += counts[key]
    return {"ALL": every, **dict(sorted(per_script.items()))}, short


#: Elements that start a new line in a page's text as a browser renders it (innerText).
_BLOCKS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 br tr td th section article header footer nav aside figure figcaption "
    "blockquote pre table form main dd dt dl address hr button label select option time".split()
)
_UNRENDERED = frozenset({"script", "style", "noscript", "template", "svg", "head", "iframe"})


def flatten(html: str) -> str:
    """The whole page's text, one line per block, as a crawler that saved a page's rendered text
    would send it: menus, teasers, footers and all."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return ""
    return "\n".join(rendered_lines(tree))


def rendered_lines(tree) -> list[str]:  # type: ignore[no-untyped-def]
    """A parsed page's rendered text as its lines (`flatten`), for a caller that holds the tree."""
    import lxml.etree

    lines: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            lines.append(text)

    hidden = 0
    for event, element in lxml.etree.iterwalk(tree, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _UNRENDERED:
                hidden += 1
            elif not hidden:
                if tag in _BLOCKS:
                    flush()
                buffer.append(element.text or "")
            continue
        if tag in _UNRENDERED:
            hidden -= 1
        elif not hidden and tag in _BLOCKS:
            flush()
        if not hidden:
            buffer.append(element.tail or "")
    flush()
    return lines


def furniture_left(text: str, expected: dict, published: str) -> tuple[int, list[str]]:
    """Of a whole page's lines (`text`) that are neither in the annotated body nor its title
    (furniture, bylines, datelines): how many there are, and those left in the published text
    (equal to a published paragraph, or inside one when 30 characters or longer)."""
    body, title = _squeezed(expected["body"]).casefold(), _squeezed(expected["title"]).casefold()
    paragraphs = [_squeezed(p).casefold() for p in published.split("\n\n")]
    joined = "".join(paragraphs)
    furniture, left = 0, []
    for line in text.splitlines():
        key = _squeezed(line).casefold()
        if not key or key in body or key == title:
            continue
        furniture += 1
        if key in paragraphs or (len(key) >= 30 and key in joined):
            left.append(line)
    return furniture, left


def run_flattened(cases: list[tuple[dict, str]], options: StageOptions) -> tuple[dict, list[str]]:
    """Each dev page's whole rendered text sent as page text (`flatten`): pages enriched with at
    least `KEPT_SHARE` of the annotated body kept, the mean share kept, and of the page's lines
    that are neither in the annotated body nor its title (furniture, bylines, datelines), the
    share left in the published text (equal to a published paragraph, or inside one when 30
    characters or longer); and the titles right (matched as the HTML path's are), in the whole
    and in the tuned and held-out parts."""
    pages = kept = furniture = left = 0
    shares: list[float] = []
    scores = Scores.empty()
    leaks: dict[str, int] = {}
    for case, html in cases:
        expected = case["expected"]
        text = flatten(html)
        pages += 1
        raw = RawArticle(url=case["url"], fetched_at=fetched_at(case), text=text or "-")
        try:
            article = extract(clean(raw, options), options)
            published, title = article.text, article.title
        except StageError:
            published, title = "", None
        share = kept_share(expected["body"], published)
        shares.append(share)
        scores.add(expected, published, title, None, [], case["file"])
        kept += share >= KEPT_SHARE
        lines, leaked = furniture_left(text, expected, published)
        furniture += lines
        left += len(leaked)
        for line in leaked:
            leaks[line[:100]] = leaks.get(line[:100], 0) + 1
    summary = {
        "pages": pages,
        "kept": kept,
        "mean_kept": round(sum(shares) / len(shares), 4) if shares else 0.0,
        "furniture_lines": furniture,
        "furniture_left": left,
        "furniture_left_share": round(left / furniture, 4) if furniture else 0.0,
        **{key: value for key, value in scores.summary(pages).items() if key.startswith("body_")},
        "titles": sum(scores.titles),
        "title_exact": round(sum(scores.titles) / pages, 4) if pages else 0.0,
        "title_parts": {
            part: {"pages": len(picked.titles), "titles": sum(picked.titles)}
            for part, picked in (
                ("tuned", scores.part([not held_out(case) for case, _html in cases])),
                ("held_out", scores.part([held_out(case) for case, _html in cases])),
            )
        },
    }
    return summary, [f"{n} {line}" for line, n in sorted(leaks.items(), key=lambda kv: -kv[1])]


def _share(counts: dict | None, key: str) -> str:
    if not counts or not counts.get("pages") or key not in counts:
        return "-"
    return f"{counts[key]}/{counts['pages']}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "quality.json")
    parser.add_argument("--misses", action="store_true", help="print copydesk's misses per page")
    parser.add_argument("--held-out-misses", action="store_true", help="with --misses: the held-out pages' too")
    parser.add_argument("--baseline", type=Path, default=ROOT / "bench" / "results" / "quality-baseline.json")
    parser.add_argument("--code", type=Path, default=None, help="import processors and schemas from here")
    parser.add_argument("--commit", default=None, help="the commit --code holds, for the JSON")
    args = parser.parse_args()
    if not (args.data / "cases.jsonl").exists():
        print(f"quality: no annotated pages at {args.data}", file=sys.stderr)
        return 2
    cases = load_cases(args.data, args.limit)
    copydesk = run_copydesk(cases, StageOptions())
    ours = copydesk.summary(len(cases))
    held = [held_out(case) for case, _html in cases]
    parts = {
        "tuned": copydesk.part([not h for h in held]).summary(0),
        "held_out": copydesk.part(held).summary(0),
    }
    page_texts = {}
    short_pages: list[str] = []
    for layout in PAGE_TEXT_LAYOUTS:
        page_texts[layout], short = run_page_text(cases, StageOptions(), layout)
        short_pages += short
    flattened, leaks = run_flattened(cases, StageOptions())
    if args.misses:
        for line in leaks:
            print(f"furniture left {line}")
        shown = copydesk if args.held_out_misses else copydesk.part([not h for h in held])
        if not args.held_out_misses:
            print(f"(the {sum(held)} held-out pages' misses are not shown: --held-out-misses)")
        for page, name, want, have in shown.misses:
            print(f"{page}  {name}\n    expected {want!r}\n    got      {have!r}")
        for line in short_pages:
            print(f"page text {line}")
    bare = run_trafilatura(cases).summary(len(cases))
    baseline = json.loads(args.baseline.read_text()) if args.baseline and args.baseline.exists() else {}
    before = baseline.get("copydesk", {})
    print(f"{len(cases)} annotated pages from {args.data}")
    if baseline:
        print(f"'before': {args.baseline.name}, measured at {baseline.get('commit', '?')}")
    print(f"{'metric':<16}{'before':>10}{'copydesk':>10}{'trafilatura':>13}{'goal':>8}")
    for key in ("body_precision", "body_recall", "body_f1", "title_exact", "date_day", "authors_f1", "pages_per_s", "failures"):
        goal = GOALS.get(key)
        print(f"{key:<16}{before.get(key, '-'):>10}{ours[key]:>10}{bare[key]:>13}{goal if goal is not None else '':>8}")
    before_parts = baseline.get("parts", {})
    print(f"\nTuned ({len(held) - sum(held)} pages) and held-out ({sum(held)} pages, publishers nobody tuned on)")
    print(f"{'metric':<16}{'before':>10}{'tuned':>10}{'before':>10}{'held-out':>10}")
    for key in ("body_precision", "body_recall", "body_f1", "title_exact", "date_day", "authors_f1"):
        cells = [
            f"{before_parts.get(part, {}).get(key, '-'):>10}{parts[part][key]:>10}" for part in ("tuned", "held_out")
        ]
        print(f"{key:<16}{''.join(cells)}")
    print(f"\nPage text, per script: pages enriched with >= {KEPT_SHARE:.0%} of the body kept (before -> now);"
          " titles found in the 'lines' layout")
    print(f"{'script':<12}{'blank':>22}{'lines':>22}{'titles (lines)':>22}")
    before_text = baseline.get("page_text", {})
    for script in page_texts["blank"]:
        cells = [
            f"{_share(before_text.get(layout, {}).get(script), 'kept')} -> {_share(page_texts[layout][script], 'kept')}"
            for layout in PAGE_TEXT_LAYOUTS
        ]
        titles = (f"{_share(before_text.get('lines', {}).get(script), 'titles')} -> "
                  f"{_share(page_texts['lines'][script], 'titles')}")
        print(f"{script:<12}{cells[0]:>22}{cells[1]:>22}{titles:>22}")
    before_flat = baseline.get("flattened", {})
    print("\nWhole pages' rendered text as page text (menus, teasers, footers and all): before -> now")
    for key, label in (
        ("kept", "pages enriched with >= 90% of the body kept"),
        ("mean_kept", "mean share of the body kept"),
        ("furniture_left_share", f"furniture lines left (of {flattened['furniture_lines']})"),
        ("body_precision", "body precision (word 4-grams, as above)"),
        ("body_recall", "body recall"),
        ("body_f1", "body F1"),
    ):
        print(f"  {label:<48}{before_flat.get(key, '-'):>10} -> {flattened[key]}")
    title_cells = [("all", before_flat, flattened)] + [
        (part.replace("_", "-"), before_flat.get("title_parts", {}).get(part), flattened["title_parts"][part])
        for part in ("tuned", "held_out")
    ]
    print("  titles right (as the HTML path's titles above)    "
          + ", ".join(f"{name} {_share(was, 'titles')} -> {_share(now, 'titles')}" for name, was, now in title_cells))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "pages": len(cases),
                "commit": args.commit or _commit(args.code or ROOT),
                "copydesk": ours,
                "parts": parts,
                "trafilatura_bare": bare,
                "page_text": page_texts,
                "flattened": flattened,
                "goals": GOALS,
                "machine": {"python": platform.python_version(), "platform": platform.platform()},
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    return 0


def _commit(directory: Path) -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
