"""One processors module, two versions, in one process: the old file loaded beside the checkout's
own, the same stage function timed on the same inputs, A, B, A, B, ..., and their outputs compared.

    git show <commit>:processors/extraction.py > /tmp/extraction_old.py
    .venv/bin/python bench/ab_module.py extract /tmp/extraction_old.py [--rounds 5]
    .venv/bin/python bench/ab_module.py keywords /tmp/enrichment_old.py
    .venv/bin/python bench/ab_module.py clean /tmp/cleaning_old.py
    .venv/bin/python bench/ab_module.py decode /tmp/intake_old.py
    .venv/bin/python bench/ab_module.py sitelines /tmp/sitelines_old.py
    .venv/bin/python bench/ab_module.py lines /tmp/sitelines_old.py
    .venv/bin/python bench/ab_module.py neardup /tmp/neardup_old.py
    .venv/bin/python bench/ab_module.py bands /tmp/neardup_old.py [--repeats]
    .venv/bin/python bench/ab_module.py quotes /tmp/quotes_old.py
    .venv/bin/python bench/ab_module.py offline /tmp/offline_old.py [--repeats]

Stages (inputs: make bench's page-text stream, the seed, the 258 dev bodies as page text and
1,000 synthetic articles, cleaned; with --html the 258 dev pages too, with --html-only those alone):
  decode    processors.intake.decode_raw on each raw message
  clean     processors.cleaning.clean on each raw message (decoded)
  extract   processors.extraction.extract on each cleaned article
  keywords  processors.enrichment.extract_keywords on each extracted article's title, paragraphs
            and language (the old file may be an extraction.py that still has it)
  sitelines processors.sitelines.line_fingerprint of each line of each cleaned article
  lines     processors.sitelines.check_lines on the calls the offline chain makes over the stream,
            each with the state it read then (recorded once, with the checkout's code)
  neardup   processors.neardup on each extracted article's MinHash signature (made once, outside
            the timing): its sketch, its band keys, and its estimated similarity to the article
            before it
  quotes    processors.quotes.find_quotes on each extracted article's paragraphs (no people)
  bands     processors.neardup.check_bands on the calls the offline chain makes over the stream
            (recorded once, with the checkout's code; --repeats: the stream with a quarter repeats)
  offline   streams.offline.OfflineRun over the raw messages (the old file is an old
            streams/offline.py, run with the checkout's steps; a fresh run of each per round),
            A and B in turn batch by batch (which goes first alternates; a version with
            run_many runs its batches as `copydesk process` does, an older one message by
            message), every outcome and correction compared, with the clock fixed; --repeats:
            the stream with a quarter repeats
Prints the CPU time per input of each (best of the rounds), the per-round ratios A/B (above 1:
B is faster) and how many outputs are equal; with --show N, N of the lists that differ.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402 - bench/run.py
from processors import cleaning, enrichment, extraction, neardup, pipeline, quotes, sitelines  # noqa: E402
from processors.intake import decode_raw  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams import offline  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.steps import clock  # noqa: E402
from repeats import with_repeats  # noqa: E402 - bench/repeats.py


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


def _each_line(fingerprint):  # type: ignore[no-untyped-def]
    """A site-line fingerprint function applied to each of an article's lines."""
    return lambda lines, max_chars: [fingerprint(line, max_chars) for line in lines]


def _signature_uses(module):  # type: ignore[no-untyped-def]
    """What the dedup steps do with a signature: its sketch, its band keys and its similarity to
    another's."""
    return lambda sig, other: (module.sketch(sig), module.band_keys(sig), module.estimate_similarity(sig, other))


def _recorded_calls(module, name: str, messages: list[bytes], freeze=tuple) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The arguments of each call of `module.name` the offline chain makes over `messages` (as
    `freeze` keeps them at the time of the call), its keyword arguments last."""
    recorded: list[tuple] = []
    function = getattr(module, name)
    setattr(module, name, lambda *a, **k: recorded.append((*freeze(a), k)) or function(*a, **k))
    try:
        run, first = offline.OfflineRun(Settings()), 0
        for batch in offline.batches(messages):
            run.run_many(batch, first)
            first += len(batch)
    finally:
        setattr(module, name, function)
    gc.freeze()  # the recorded state is long-lived: no full collection walks it during the timing
    return recorded


def _with_options(check, answer):  # type: ignore[no-untyped-def]
    """A check called with a recorded call's arguments, its keyword arguments last; `answer`
    turns what it returns into plain values, to compare."""
    return lambda *args: answer(check(*args[:-1], **args[-1]))


def _with_state_read(args: tuple) -> tuple:
    """`check_lines`' arguments with the site-lines table's keys it reads as they are now (every
    chunk of the horizon's days), since the table changes after the call."""
    site, lines, article_id, day, lookup, options, *rest = args  # rest: `others`, when passed
    state: dict = {}
    for past in range(options.sitelines_horizon_days + 1):
        for _ in sitelines._day_chunks(site, day - past, lambda key: state.setdefault(key, lookup(key))):
            pass
    return site, lines, article_id, day, state.get, options, *rest


def _band_answer(found):  # type: ignore[no-untyped-def]
    return [(r.band_key, [c.to_dict() for c in r.candidates]) for r in found.replies], found.writes


def _lines_answer(found):  # type: ignore[no-untyped-def]
    return found.drop, found.writes


def _offline_in_turn(modules, messages: list[bytes], rounds: int):  # type: ignore[no-untyped-def]
    """Each version's `OfflineRun` over the messages, the two in turn batch by batch (the current
    `streams.offline.batches`; a version with `run_many` runs each batch as `copydesk process`
    does, an older one message by message), in CPU seconds per round, and each one's outcomes
    and corrections as (role, record) pairs (the clock fixed, so that the two versions' records
    compare)."""
    seconds: tuple[list[float], list[float]] = ([], [])
    outputs: list[list] = [[], []]
    for module in modules:
        module.clock = lambda: pipeline.Clock(now="2026-01-01T00:00:00Z")

    def run_batch(run, batch: list[bytes], first: int) -> list:  # type: ignore[no-untyped-def]
        if hasattr(run, "run_many"):
            return [(result.role, result.value, *more) for result, more in run.run_many(batch, first)]
        out = []
        for offset, message in enumerate(batch, start=first):
            result = run.run_one(message, offset)
            out.append((result.role, result.value, *run.emitted))
            run.emitted.clear()
        return out

    for round_ in range(rounds):
        runs = [module.OfflineRun(Settings()) for module in modules]
        spent, outputs, first = [0.0, 0.0], [[], []], 0
        for k, batch in enumerate(offline.batches(messages)):
            for side in ((0, 1) if (k + round_) % 2 == 0 else (1, 0)):
                t0 = time.process_time()
                outputs[side] += run_batch(runs[side], batch, first)
                spent[side] += time.process_time() - t0
            first += len(batch)
        for side in (0, 1):
            seconds[side].append(spent[side])
    return seconds, outputs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stage", choices=("decode", "clean", "extract", "keywords", "sitelines", "lines", "neardup", "bands", "quotes", "offline"))
    ap.add_argument("old", type=Path, help="the old version of the stage's module file")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--html", action="store_true")
    ap.add_argument("--html-only", action="store_true")
    ap.add_argument("--repeats", action="store_true")
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
    if args.stage == "offline":
        inputs = with_repeats(messages) if args.repeats else messages
        calls = ()
    elif args.stage == "decode":
        inputs = [(m, opts) for m in messages]
        calls = (old.decode_raw, decode_raw)
    elif args.stage == "clean":
        inputs = [(decode_raw(m, opts), opts) for m in messages]
        calls = (_or_error(old.clean, old.CleaningError), _or_error(cleaning.clean, cleaning.CleaningError))
    elif args.stage == "extract":
        inputs = [(c, opts) for c in cleaned]
        calls = (old.extract, extraction.extract)
    elif args.stage == "sitelines":
        inputs = [(c.paragraphs, opts.sitelines_max_line_chars) for c in cleaned]
        calls = tuple(_each_line(m.line_fingerprint) for m in (old, sitelines))
    elif args.stage == "neardup":
        sigs = [neardup.signature(extraction.extract(c, opts).text) for c in cleaned]
        inputs = list(zip(sigs, sigs[-1:] + sigs[:-1]))
        calls = tuple(_signature_uses(m) for m in (old, neardup))
    elif args.stage == "bands":
        inputs = _recorded_calls(neardup, "check_bands", with_repeats(messages) if args.repeats else messages)
        calls = tuple(_with_options(m.check_bands, _band_answer) for m in (old, neardup))
    elif args.stage == "quotes":
        inputs = [(enrichment.paragraphs_of(extraction.extract(c, opts).text),) for c in cleaned]
        calls = (old.find_quotes, quotes.find_quotes)
    elif args.stage == "lines":
        inputs = _recorded_calls(sitelines, "check_lines", messages, _with_state_read)
        calls = tuple(_with_options(m.check_lines, _lines_answer) for m in (old, sitelines))
    else:
        articles = [extraction.extract(c, opts) for c in cleaned]
        inputs = [(a.title, enrichment.paragraphs_of(a.text), a.language, opts.max_keywords) for a in articles]
        calls = (old.extract_keywords, enrichment.extract_keywords)
    seconds: tuple[list[float], list[float]] = ([], [])
    outputs: list[list] = [[], []]
    if args.stage == "offline":
        seconds, outputs = _offline_in_turn((old, offline), inputs, args.rounds)
    for _ in range(args.rounds if calls else 0):
        for side, call in enumerate(calls):
            t0 = time.process_time()
            outputs[side] = [call(*i) for i in inputs]
            seconds[side].append(time.process_time() - t0)
    n = len(inputs)
    equal = sum(a == b for a, b in zip(*outputs))
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(*seconds))
    if args.stage == "offline":
        ratios += f"; over all rounds {sum(seconds[0]) / sum(seconds[1]):.3f}"
    print(f"{args.stage}: {n} inputs, CPU {1e3 * min(seconds[0]) / n:.3f} -> {1e3 * min(seconds[1]) / n:.3f} ms/input "
          f"(best of {args.rounds}), ratios A/B {ratios}; {equal}/{len(outputs[1])} outputs equal")
    shown = 0
    for i, (a, b) in enumerate(zip(*outputs)):
        if a != b and shown < args.show:
            print(f"  {i}: {a}\n  {' ' * len(str(i))}  {b}")
            shown += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
