"""One processors module, two versions, in one process: the old file loaded beside the checkout's
own, the same stage function timed on the same inputs, A, B, A, B, ..., and their outputs compared.

    git show <commit>:processors/extraction.py > /tmp/extraction_old.py
    .venv/bin/python bench/ab_module.py extract /tmp/extraction_old.py [--rounds 5]
    .venv/bin/python bench/ab_module.py keywords /tmp/enrichment_old.py
    .venv/bin/python bench/ab_module.py clean /tmp/cleaning_old.py
    .venv/bin/python bench/ab_module.py decode /tmp/intake_old.py

Stages (inputs: make bench's page-text stream, the seed, the 258 dev bodies as page text and
1,000 synthetic articles, cleaned; with --html the 258 dev pages too, with --html-only those alone):
  decode    processors.intake.decode_raw on each raw message
  clean     processors.cleaning.clean on each raw message (decoded)
  extract   processors.extraction.extract on each cleaned article
  keywords  processors.enrichment.extract_keywords on each extracted article's title, paragraphs
            and language (the old file may be an extraction.py that still has it)
Prints the CPU time per input of each (best of the rounds), the per-round ratios A/B (above 1:
B is faster) and how many outputs are equal; with --show N, N of the lists that differ.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402 - bench/run.py
from processors import cleaning, enrichment, extraction, pipeline  # noqa: E402
from processors.intake import decode_raw  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.steps import clock  # noqa: E402


def load(path: Path, name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _or_error(call, error):  # type: ignore[no-untyped-def]
    """`call`, or the kind of the stage error it raised (a page with no body is an input too)."""

    def run(*args):  # type: ignore[no-untyped-def]
        try:
            return call(*args)
        except error as exc:
            return exc.kind

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=("decode", "clean", "extract", "keywords"))
    ap.add_argument("old", type=Path, help="the old version of the stage's module file")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--html", action="store_true")
    ap.add_argument("--html-only", action="store_true")
    ap.add_argument("--show", type=int, default=0)
    args = ap.parse_args()
    opts = Settings().stage
    cases = bench.fundus_cases()
    messages = [bench.seed_message(), *bench.fundus_texts(cases), *bench.distinct_articles(0, 1000, "-inproc")]
    if args.html or args.html_only:
        pages = [p for p, _ in bench.html_messages(cases)]
        messages = pages if args.html_only else messages + pages
    cleaned = []
    for offset, message in enumerate(messages):
        result = pipeline.clean_step(message, SourceRef("raw", 0, offset, None), opts, clock())
        if result.role == "cleaned":
            cleaned.append(result.handed.article)
    old = load(args.old, "ab_old_module")
    if args.stage == "decode":
        inputs = [(m, opts) for m in messages]
        calls = (old.decode_raw, decode_raw)
    elif args.stage == "clean":
        inputs = [(decode_raw(m, opts), opts) for m in messages]
        calls = (_or_error(old.clean, old.CleaningError), _or_error(cleaning.clean, cleaning.CleaningError))
    elif args.stage == "extract":
        inputs = [(c, opts) for c in cleaned]
        calls = (old.extract, extraction.extract)
    else:
        articles = [extraction.extract(c, opts) for c in cleaned]
        inputs = [(a.title, enrichment.paragraphs_of(a.text), a.language, opts.max_keywords) for a in articles]
        calls = (old.extract_keywords, enrichment.extract_keywords)
    seconds: tuple[list[float], list[float]] = ([], [])
    outputs: list[list] = [[], []]
    for _ in range(args.rounds):
        for side, call in enumerate(calls):
            t0 = time.process_time()
            outputs[side] = [call(*i) for i in inputs]
            seconds[side].append(time.process_time() - t0)
    n = len(inputs)
    equal = sum(a == b for a, b in zip(*outputs))
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(*seconds))
    print(f"{args.stage}: {n} inputs, CPU {1e3 * min(seconds[0]) / n:.3f} -> {1e3 * min(seconds[1]) / n:.3f} ms/input "
          f"(best of {args.rounds}), ratios A/B {ratios}; {equal}/{n} outputs equal")
    shown = 0
    for i, (a, b) in enumerate(zip(*outputs)):
        if a != b and shown < args.show:
            print(f"  {i}: {a}\n  {' ' * len(str(i))}  {b}")
            shown += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
