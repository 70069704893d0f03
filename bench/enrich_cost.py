"""Enrichment's cost per article beside spaCy's own `nlp.pipe` on the same texts.

    .venv/bin/python bench/enrich_cost.py      # a few minutes; writes bench/results/enrich-cost-<time>.json

The English articles of make bench's page-text stream (the seed and the fundus pages sent as page
text, those detected as English) go through the chain up to dedup in-process, and each one's
message to enrichment is kept. Then, alternating, best of `ROUNDS` passes each:

- `enrich_steps` in batches of `BATCH` (what the enrichment loop runs: the entity model through
  `nlp.pipe` on the whole batch, keywords, quotes, the record);
- spaCy alone: `nlp.pipe` over the same model inputs (`processors.entities.model_input`), same
  batches, entities read off and nothing else.

The ratio is enrichment's CPU per article over spaCy's: what copydesk adds around the model.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402

from processors import pipeline  # noqa: E402
from processors.enrichment import paragraphs_of  # noqa: E402
from processors.entities import model_input  # noqa: E402
from schemas.internal import loads_to_enrich  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams.entities_model import MODEL_PACKAGE, _pipeline  # noqa: E402
from streams.offline import OfflineRun  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.steps import clock  # noqa: E402

import run as bench  # noqa: E402

ROUNDS = int(os.environ.get("ENRICH_BENCH_ROUNDS", "3"))
BATCH = int(os.environ.get("ENRICH_BENCH_BATCH", "32"))


def to_enrich_messages(settings: Settings) -> list[bytes]:
    """The messages dedup sends to enrichment for the stream's English articles."""
    payloads = [bench.seed_message(), *bench.fundus_texts(bench.fundus_cases())]
    run = OfflineRun(settings)
    options = settings.stage
    out = []
    for offset, payload in enumerate(payloads):
        now = clock()
        here = SourceRef(settings.topics.raw, 0, offset, None)
        result = pipeline.clean_step(payload, here, options, now)
        if result.role != pipeline.HANDED_ON:
            continue
        result = pipeline.extract_step(result.handed, options, now, None)
        if result.role != "extracted" or orjson.loads(result.value)["article"]["language"] != "en":
            continue
        result = pipeline.dedup_url_step(result.value, run.urls.get, options, now, "bench")
        run.urls.update({k: v for k, v in result.writes.items() if v is not None})
        if result.role != "content":
            continue
        article = orjson.loads(result.value)["article"]
        record = {**article, "dedup": {"status": "unique", "duplicate_of": None, "cluster_id": article["id"],
                                        "similarity": 0.0}, "processed_at": now.now, "schema_version": "2.1",
                  "pipeline_version": "bench", "source": {"topic": "raw", "partition": 0, "offset": offset}}
        out.append(orjson.dumps({"record": record, "timestamp_ms": None}))
    return out


def main() -> int:
    settings = Settings.from_env({"COPYDESK_SITELINES_MIN_ARTICLES": "0"})
    options = settings.stage
    options.entities.load()
    nlp = _pipeline(MODEL_PACKAGE)
    messages = to_enrich_messages(settings)
    texts = []
    for message in messages:
        record, _ = loads_to_enrich(message)
        texts.append(model_input(record["title"], paragraphs_of(record["text"]), options.entities_max_chars))
    batches = [range(i, min(i + BATCH, len(messages))) for i in range(0, len(messages), BATCH)]
    best = {"enrich": float("inf"), "spacy": float("inf")}
    for _ in range(ROUNDS):
        started = time.process_time()
        for batch in batches:
            pipeline.enrich_steps([messages[i] for i in batch], options, clock())
        best["enrich"] = min(best["enrich"], time.process_time() - started)
        started = time.process_time()
        for batch in batches:
            with nlp.memory_zone():
                for doc in nlp.pipe([texts[i] for i in batch], batch_size=BATCH):
                    _ = [(e.label_, e.text) for e in doc.ents]
        best["spacy"] = min(best["spacy"], time.process_time() - started)
    n = len(messages)
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "articles": n,
        "batch": BATCH,
        "rounds": ROUNDS,
        "enrich_ms_per_article": round(best["enrich"] / n * 1000, 2),
        "spacy_pipe_ms_per_article": round(best["spacy"] / n * 1000, 2),
        "ratio": round(best["enrich"] / best["spacy"], 3),
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (bench.RESULTS / f"enrich-cost-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"{n} English articles in batches of {BATCH}: enrichment {result['enrich_ms_per_article']} ms CPU per article, "
        f"spaCy's nlp.pipe alone {result['spacy_pipe_ms_per_article']} ms: {result['ratio']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
