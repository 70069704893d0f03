"""Which rule of the page-text cleaner drops the annotated body lines of the dev pages' whole
rendered text (bench/quality.py's `flatten`), grouped by rule; and the whole-page figures split
into the tuned and held-out pages (`quality.held_out`), with the titles the text path chose.

The cleaner is not changed to be traced: its source is read, and each `continue` of
`_clean_text`'s line loop is made to record the rule above it (the `if` it closes) before it
runs; what `_assemble` drops is told by wrapping the functions it calls (the span, the runs of
headlines, the author's note, the lone headlines) in that copy of the module.

    python bench/body_losses.py [--data DIR] [--limit N] [--lines] [--rule TEXT] [--held-out]

`--lines` prints each lost line with its page; `--rule` only the groups whose name holds TEXT;
`--held-out` includes the held-out pages' lost lines (the counts always cover the tuned pages
only, unless given).
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402

from processors import cleaning  # noqa: E402
from processors.errors import StageError  # noqa: E402
from processors.extraction import extract  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from schemas.models import RawArticle  # noqa: E402

_CONTINUE = re.compile(r"^(?P<indent>\s+)continue\b")


def traced_module() -> types.ModuleType:
    """A copy of `processors.cleaning` whose `_clean_text` records why each line went."""
    source = Path(cleaning.__file__).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(source) if line.startswith("def _clean_text("))
    end = next(i for i in range(start + 1, len(source)) if source[i].startswith("def "))
    out = []
    for i, line in enumerate(source):
        if start < i < end:
            match = _CONTINUE.match(line)
            if match:
                indent = len(match["indent"])
                j = i - 1
                while j > start and not (
                    source[j].lstrip().startswith(("if ", "elif ", "if(", "elif("))
                    and len(source[j]) - len(source[j].lstrip()) < indent
                ):
                    j -= 1
                label = " ".join(source[j].split())[:70] + f" [line {i + 1}]"
                line = f"{match['indent']}_TRACE.dropped[number] = {label!r}; " + line.lstrip()
            elif "kept.append(_line(" in line:
                line = line.replace("kept.append(_line(", "_TRACE.kept.append(number); kept.append(_line(")
        out.append(line)
    module = types.ModuleType("traced_cleaning")
    module.__file__ = cleaning.__file__
    module.__dict__["_TRACE"] = Trace()
    exec(compile("\n".join(out), cleaning.__file__, "exec"), module.__dict__)  # noqa: S102
    _wrap_assembly(module)
    return module


class Trace:
    """What one page's cleaning dropped, and where."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        #: raw line number -> the rule that dropped it in the line loop
        self.dropped: dict[int, str] = {}
        #: raw line numbers of the lines kept by the loop, in order
        self.kept: list[int] = []
        #: line text -> the step of `_assemble` that dropped it
        self.assembly: dict[str, str] = {}


def _wrap_assembly(module: types.ModuleType) -> None:
    trace: Trace = module._TRACE
    body_span = module._body_span

    def traced_span(lines):  # type: ignore[no-untyped-def]
        span = body_span(lines)
        plain = module._densest_span(lines)
        for i, ln in enumerate(lines):
            if span is None:
                trace.assembly.setdefault(ln.text, "no span")
            elif i < span[0]:
                trace.assembly.setdefault(ln.text, "before the span")
            elif i > span[1]:
                where = "after the span (gaps drew its end in)" if plain and i <= plain[1] else "after the span"
                trace.assembly.setdefault(ln.text, where)
        return span

    module._body_span = traced_span

    def dropping(name: str, function):  # type: ignore[no-untyped-def]
        def wrapped(lines, *args):  # type: ignore[no-untyped-def]
            out = function(lines, *args)
            left = {id(ln) for ln in out}
            for ln in lines:
                if id(ln) not in left:
                    trace.assembly.setdefault(ln.text, name + (f" {args}" if args else ""))
            return out

        return wrapped

    for name in ("_without_headline_runs", "_without_author_note", "_without_lone_headlines"):
        setattr(module, name, dropping(name, getattr(module, name)))


def squeezed(text: str) -> str:
    return quality._squeezed(text).casefold()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=quality.DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--lines", action="store_true")
    parser.add_argument("--rule", default=None)
    parser.add_argument("--held-out", action="store_true")
    args = parser.parse_args()
    module = traced_module()
    trace: Trace = module._TRACE
    cases = quality.load_cases(args.data, args.limit)
    options = StageOptions()
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    chars: dict[str, int] = defaultdict(int)
    parts = {False: [0, 0, [], 0], True: [0, 0, [], 0]}  # furniture lines, left, recall per page, titles
    for case, html in cases:
        expected = case["expected"]
        held = quality.held_out(case)
        text = quality.flatten(html)
        raw = RawArticle(url=case["url"], fetched_at=quality.fetched_at(case), text=text or "-")
        trace.reset()
        # the traced copy cleans; the pipeline's `clean` calls it through the module's name
        original = cleaning._clean_text
        cleaning._clean_text = module._clean_text
        try:
            cleaned = cleaning.clean(raw, options)
            published = extract(cleaned, options).text
            title = cleaned.hints.title
        except StageError:
            published, title = "", None
        finally:
            cleaning._clean_text = original
        scores = quality.Scores.empty()
        scores.add(expected, published, None, None, [])
        part = parts[held]
        part[2].append(scores.recall[0])
        part[3] += quality.normal(title) == quality.normal(expected["title"])
        furniture, left = quality.furniture_left(text, expected, published)
        part[0] += furniture
        part[1] += len(left)
        if held and not args.held_out:
            continue
        lines = text.splitlines()
        keys = [squeezed(line) for line in lines]
        published_key = quality._squeezed(published)
        kept_at = set(trace.kept)
        for paragraph in expected["body"].split("\n"):
            if not paragraph.strip() or quality._squeezed(paragraph) in published_key:
                continue
            key = squeezed(paragraph)
            numbers = [n for n, k in enumerate(keys) if k == key]
            if not numbers:
                rule = "not a line of the page's text"
            else:
                number = numbers[0]
                if number in trace.dropped:
                    rule = "loop: " + trace.dropped[number]
                elif number in kept_at:
                    text = " ".join(lines[number].split())
                    rule = "assembly: " + trace.assembly.get(text, "joined, echoed or repeated")
                else:
                    rule = "never reached"
            groups[rule].append((case["file"], paragraph))
            chars[rule] += len(paragraph)
    for held, name in ((False, "tuned"), (True, "held-out")):
        furniture, left, recalls, titles = parts[held]
        print(f"{name}: furniture left {left}/{furniture} = {left / furniture:.4f}; body recall "
              f"{sum(recalls) / len(recalls):.4f}; titles {titles}/{len(recalls)}")
    furniture = parts[False][0] + parts[True][0]
    left = parts[False][1] + parts[True][1]
    recalls = parts[False][2] + parts[True][2]
    print(f"all: furniture left {left}/{furniture} = {left / furniture:.4f}; body recall "
          f"{sum(recalls) / len(recalls):.4f}; titles {parts[False][3] + parts[True][3]}/{len(recalls)}")
    which = "all" if args.held_out else "tuned"
    print(f"\nannotated body lines lost ({which} pages), by rule: lines, characters, pages")
    for rule, lost in sorted(groups.items(), key=lambda kv: -chars[kv[0]]):
        if args.rule and args.rule not in rule:
            continue
        print(f"{len(lost):5} {chars[rule]:7} {len({page for page, _ in lost}):4}  {rule}")
        if args.lines:
            for page, paragraph in lost:
                print(f"        {page}: {paragraph[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
