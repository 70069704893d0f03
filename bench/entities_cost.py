"""What entities and quotes cost per article, and how much they lower in-process throughput.

    .venv/bin/python bench/entities_cost.py          # about 2 minutes; writes bench/results/entities-cost.json

(a) the seed article (best of 10 x `ROUNDS` passes) and (b) the English pages of the fundus set (HTML, cleaned by copydesk,
those whose detected language is English): ms per article of the entity step
(`processors.entities.find_entities` with spaCy's NER) and of the quote step
(`processors.quotes.find_quotes`), best of `ROUNDS` passes. (c) clean+extract over the same
page-text messages as `bench/run.py`'s stages section (the seed, the 258 fundus bodies as page
text, synthetic articles), with entities off and on, alternating rounds, best of each.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from processors import pipeline  # noqa: E402
from processors.cleaning import clean  # noqa: E402
from processors.entities import find_entities  # noqa: E402
from processors.extraction import clean_title, detect_language, site_of, canonical_url  # noqa: E402
from processors.intake import decode_raw  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from processors.quotes import find_quotes  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams.entities_model import SpacyRecogniser  # noqa: E402
from streams.steps import clock  # noqa: E402

import run as bench  # noqa: E402  (bench/run.py: the same inputs as its stages section)

ROUNDS = int(os.environ.get("ENTITIES_BENCH_ROUNDS", "3"))


def articles(payloads: list[bytes], options: StageOptions) -> list[tuple[str | None, tuple[str, ...], str | None]]:
    """(title, paragraphs, language) of each payload, as `extract` computes them."""
    out = []
    for payload in payloads:
        try:
            cleaned = clean(decode_raw(payload, options), options)
        except Exception:  # noqa: BLE001 - a dead letter in the real chain; not measured here
            continue
        paragraphs = tuple(p.strip() for p in cleaned.paragraphs if p.strip())
        site = site_of(canonical_url(cleaned.url, cleaned.hints.canonical_url))
        title = clean_title(cleaned.hints.title or cleaned.crawler_title, cleaned.hints.site_name, site)
        out.append((title, paragraphs, detect_language("\n\n".join(paragraphs), cleaned.hints.language)))
    return out


def per_article_ms(items, options: StageOptions, rounds: int = ROUNDS) -> dict:
    recogniser = options.entities
    ent_best = quote_best = float("inf")
    per_ent: list[float] = []
    for _ in range(rounds):
        t_ent = t_quote = 0.0
        times = []
        for title, paragraphs, language in items:
            t0 = time.perf_counter()
            entities = find_entities(title, paragraphs, language, recogniser, options.entities_max_chars)
            t1 = time.perf_counter()
            find_quotes(paragraphs, entities.people)
            t2 = time.perf_counter()
            t_ent += t1 - t0
            t_quote += t2 - t1
            times.append(1e3 * (t1 - t0))
        if t_ent < ent_best:
            per_ent = times
        ent_best, quote_best = min(ent_best, t_ent), min(quote_best, t_quote)
    n = len(items)
    chars = [min(len("\n\n".join(((t,) if t else ()) + p)), options.entities_max_chars) for t, p, _ in items]
    return {
        "articles": n,
        "entity_ms_per_article": 1e3 * ent_best / n,
        "entity_ms_p50": statistics.median(per_ent),
        "entity_ms_max": max(per_ent),
        "quote_ms_per_article": 1e3 * quote_best / n,
        "model_chars_mean": statistics.mean(chars),
        "model_chars_max": max(chars),
    }


def clean_extract_seconds(payloads: list[bytes], options: StageOptions) -> float:
    t0 = time.perf_counter()
    for offset, payload in enumerate(payloads):
        now = clock()
        result = pipeline.clean_step(payload, SourceRef("raw", 0, offset, None), options, now)
        if result.role == "cleaned":
            pipeline.extract_step(result.handed, options, now)
    return time.perf_counter() - t0


def main() -> int:
    recogniser = SpacyRecogniser()
    t0 = time.perf_counter()
    recogniser.load()
    load_s = time.perf_counter() - t0
    on, off = StageOptions(entities=recogniser), StageOptions()
    out: dict = {"model": recogniser.package, "model_load_s": load_s, "entities_max_chars": on.entities_max_chars,
                 "rounds": ROUNDS}

    seed = articles([bench.seed_message()], on)
    per_article_ms(seed, on, 2)  # warm-up: the first calls after a load are slower
    out["seed"] = per_article_ms(seed, on, 10 * ROUNDS)

    cases = bench.fundus_cases()
    pages = articles([p for p, _ in bench.html_messages(cases)], on)
    english = [a for a in pages if a[2] == "en"]
    out["fundus_english_html"] = per_article_ms(english, on)

    texts = [bench.seed_message(), *bench.fundus_texts(cases), *bench.distinct_articles(0, 1000, "-inproc")]
    clean_extract_seconds(texts[:20], on)  # warm-up
    seconds = {"off": [], "on": []}
    for _ in range(ROUNDS):
        seconds["off"].append(clean_extract_seconds(texts, off))
        seconds["on"].append(clean_extract_seconds(texts, on))
    n = len(texts)
    english_texts = sum(1 for a in articles(texts, off) if a[2] == "en")
    out["page_text_clean_extract"] = {
        "articles": n,
        "english_articles": english_texts,
        "articles_per_s_entities_off": n / min(seconds["off"]),
        "articles_per_s_entities_on": n / min(seconds["on"]),
        "ratio_on_over_off": min(seconds["off"]) / min(seconds["on"]),
        "all_rounds_seconds": seconds,
    }
    text = json.dumps(out, indent=2)
    print(text)
    (ROOT / "bench" / "results" / "entities-cost.json").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
