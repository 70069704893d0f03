"""`make bench`: throughput, latency, framework tax, scaling, dedup cost and memory, as ratios
measured side by side in one run (the machine is shared and noisy: absolute figures move 2x
between runs, ratios much less). Prints one table and writes bench/results/bench-<date>.json
(and bench/results/latest.json) with a description of the machine.

    .venv/bin/python bench/run.py             # about 20 minutes
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # about 3 minutes, smaller counts

Starts its own Kafka broker (deploy/kafka/broker.sh, port BENCH_KAFKA_PORT=59092, data in
BENCH_KAFKA_DIR=/tmp/bench-kafka, wiped first) and stops it at the end; BENCH_ONLY=stages,tax,...
runs a subset. bench/README.md describes each measurement.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processors import pipeline  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams import offline as offline_module  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.steps import clock  # noqa: E402
from tests.integration.workers import WorkerProcess  # noqa: E402 - the tests' worker process
from bench.repeats import with_repeats  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}
DATA = Path(os.environ.get("BENCH_FUNDUS", "/work/shared/data/fundus-news"))
SEED = ROOT / "tests" / "data" / "seed.txt"
RESULTS = ROOT / "bench" / "results"
PORT = int(os.environ.get("BENCH_KAFKA_PORT", "59092"))
KAFKA_DIR = Path(os.environ.get("BENCH_KAFKA_DIR", "/tmp/bench-kafka"))
BOOTSTRAP = f"127.0.0.1:{PORT}"
PY = sys.executable
MAX_RECORD_BYTES = 4 * 8 * 1024 * 1024 + 1024 * 1024

# Sizes: (quick, full)
SIZES = {
    "html_pages": (60, 258),
    "stage_rounds": (1, 2),
    "synthetic_texts": (200, 1000),
    "tax_messages": (2000, 6000),
    "e2e_messages": (300, 3000),
    "scale_messages": (300, 2000),
    "lean_messages": (300, 1000),
    "memory_seconds": (30, 240),
}


def size(name: str) -> int:
    return SIZES[name][0 if QUICK else 1]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def wanted(section: str) -> bool:
    return not ONLY or section in ONLY


# ------------------------------------------------------------------------------------ inputs


def fundus_cases() -> list[dict]:
    return [json.loads(line) for line in (DATA / "cases.jsonl").open(encoding="utf-8")]


def rfc3339(crawl_date: str) -> str:
    return datetime.fromisoformat(crawl_date).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def html_messages(cases: list[dict]) -> list[tuple[bytes, str]]:
    """(raw message, html) for each annotated page."""
    out = []
    for case in cases:
        html = gzip.decompress((DATA / case["file"]).read_bytes()).decode("utf-8", errors="replace")
        raw = {"url": case["url"], "fetched_at": rfc3339(case["crawl_date"]), "html": html}
        out.append((orjson.dumps(raw), html))
    return out


def fundus_texts(cases: list[dict]) -> list[bytes]:
    """Page-text messages made from the annotated bodies (title line, blank line, body)."""
    out = []
    for case in cases:
        title = case["expected"].get("title") or ""
        out.append(orjson.dumps({"url": case["url"], "fetched_at": rfc3339(case["crawl_date"]),
                                 "text": f"{title}\n\n{case['expected']['body']}", "title": title or None}))
    return out


def seed_message() -> bytes:
    return orjson.dumps({"url": "https://www.rt.com/news/333423-isis-libya-recruitment/",
                         "fetched_at": "2016-02-24T13:00:00Z", "text": SEED.read_text(encoding="utf-8")})


_WORDS: list[str] | None = None


def with_copies(values: list[bytes], share: float) -> list[bytes]:
    """`values` where every 1/`share`-th message (a quarter with 0.25) is a copy of an earlier one
    under another site's URL: syndication, which dedup publishes on duplicates."""
    if share <= 0:
        return values
    step = max(2, round(1 / share))
    out = list(values)
    for i in range(step - 1, len(out), step):
        copy = orjson.loads(out[i // 2])
        copy["url"] = copy["url"].replace("https://news", "https://mirror", 1) + f"-copy{i}"
        out[i] = orjson.dumps(copy)
    return out


async def records_per_topic(prefix: str) -> dict[str, int]:
    """Records (end offsets, transaction markers included) on every topic named `prefix...`, by
    the name's part after the prefix: what a run cost Kafka, internal hops and changelogs too."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    tps = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    out: Counter = Counter()
    for tp, end in ends.items():
        out[tp.topic[len(prefix):]] += end
    return dict(out)


async def delete_topics(prefix: str) -> None:
    """Delete a finished run's topics (every name starting with `prefix`): a broker that keeps
    the partitions of every earlier run of a series costs more CPU per input as they pile up,
    and starves the worker beside it (bench/README.md)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


def distinct_articles(start: int, n: int, tag: str = "") -> list[bytes]:
    """Page-text messages with distinct bodies, the recipe of tests/integration/test_pipeline.py's
    `distinct_articles` (sentences drawn at random from the seed's words, about 1.7 KB each)."""
    global _WORDS
    if _WORDS is None:
        _WORDS = sorted(set(SEED.read_text(encoding="utf-8").split()))
    words = _WORDS
    out = []
    for i in range(start, start + n):
        rng = random.Random(i)
        paragraphs = [" ".join(rng.choice(words) for _ in range(45)).capitalize() + "." for _ in range(4)]
        out.append(orjson.dumps({
            "url": f"https://news{i % 3}.example.com/story{tag}/{i}",
            "fetched_at": "2024-05-03T10:00:00Z",
            "text": f"Headline of story number {i}\n\n" + "\n\n".join(paragraphs),
        }))
    return out


# -------------------------------------------------------------------------------- 1. stages


def clean_extract(payloads: list[bytes], opts: Any = None) -> tuple[float, float, int]:
    """Seconds in clean_step and extract_step over the payloads, and how many were extracted.
    `opts`: the stage options (default: `Settings().stage`, entities off)."""
    opts = opts or Settings().stage
    t_clean = t_extract = 0.0
    ok = 0
    for offset, payload in enumerate(payloads):
        here = SourceRef("raw", 0, offset, None)
        now = clock()
        t0 = time.perf_counter()
        result = pipeline.clean_step(payload, here, opts, now)
        t1 = time.perf_counter()
        t_clean += t1 - t0
        if result.role == "cleaned":
            extracted = pipeline.extract_step(result.handed, opts, now)
            t_extract += time.perf_counter() - t1
            ok += extracted.role == "extracted"
    return t_clean, t_extract, ok


def bare_trafilatura(pages: list[str]) -> float:
    import trafilatura

    t0 = time.perf_counter()
    for html in pages:
        trafilatura.bare_extraction(html, with_metadata=True)
    return time.perf_counter() - t0


def html_side_by_side(pages: list[tuple[bytes, str]], rounds: int, group: int = 16) -> dict[str, Any]:
    """The pages through copydesk and through bare trafilatura in turn, `group` pages at a time
    (what `copydesk process` takes as a batch would be more pages than make sense here), in CPU
    seconds of this process (one thread), so that both sides see the same machine at the same
    moment: `copydesk process`'s work on the group (`OfflineRun.run_many` on the raw messages,
    their outcomes and corrections handed to a writer, one run's tables across the pages as
    `process` keeps them) against bare `trafilatura.extract(html)` on each of its pages;
    copydesk clean+extract against bare `trafilatura.bare_extraction(html, with_metadata=True)`.
    Which side goes first alternates group by group and round by round. The chain's time is
    also split by stage (`run_guarded` timed), to show where it spends beyond bare extract."""
    import trafilatura

    opts = Settings().stage
    clock_ = time.process_time
    per_stage: dict[str, float] = defaultdict(float)
    original = offline_module.run_guarded

    def timed(stage, call, *args, **kwargs):  # noqa: ANN001
        t0 = clock_()
        try:
            return original(stage, call, *args, **kwargs)
        finally:
            per_stage[stage] += clock_() - t0

    sink = []

    def chain(run: Any, first: int, raws: list[bytes]) -> None:
        for result, more in run.run_many(raws, first):
            sink.append((result.role, result.value))  # what `process` hands its writer
            sink.extend(more)

    def clean_extract_each(first: int, raws: list[bytes]) -> None:
        for offset, raw in enumerate(raws, start=first):
            result = pipeline.clean_step(raw, SourceRef("raw", 0, offset, None), opts, clock())
            if result.role == "cleaned":
                pipeline.extract_step(result.handed, opts, clock())

    def each(htmls: list[str], call: Any) -> None:
        for html in htmls:
            call(html)

    sides: dict[str, list[list[float]]] = {k: [] for k in ("process", "extract", "clean_extract", "bare_extraction")}
    offline_module.run_guarded = timed
    try:
        for round_ in range(rounds):
            run = offline_module.OfflineRun(Settings())
            times = {k: 0.0 for k in sides}
            for g, first in enumerate(range(0, len(pages), group)):
                raws = [raw for raw, _ in pages[first:first + group]]
                htmls = [html for _, html in pages[first:first + group]]
                pairs = (
                    (("process", lambda: chain(run, first, raws)), ("extract", lambda: each(htmls, trafilatura.extract))),
                    (("clean_extract", lambda: clean_extract_each(first, raws)),
                     ("bare_extraction", lambda: each(htmls, lambda h: trafilatura.bare_extraction(h, with_metadata=True)))),
                )
                for pair in pairs:
                    for name, call in (pair if (g + round_) % 2 == 0 else pair[::-1]):
                        t0 = clock_()
                        call()
                        times[name] += clock_() - t0
                sink.clear()
            for k in sides:
                sides[k].append(times[k])
    finally:
        offline_module.run_guarded = original
    n = len(pages)
    total = {k: sum(v) for k, v in sides.items()}
    return {
        "pages": n,
        "rounds": rounds,
        "cpu_ms_per_page": {k: 1e3 * v / (n * rounds) for k, v in total.items()},
        "ratio_process_over_bare_extract": total["extract"] / total["process"],
        "ratio_process_over_bare_extract_per_round": [e / p for e, p in zip(sides["extract"], sides["process"])],
        "ratio_clean_extract_over_bare_extraction": total["bare_extraction"] / total["clean_extract"],
        "ratio_clean_extract_over_bare_extraction_per_round": [
            b / c for b, c in zip(sides["bare_extraction"], sides["clean_extract"])
        ],
        "process_cpu_ms_per_page_by_stage": {k: 1e3 * v / (n * rounds) for k, v in per_stage.items()},
    }


def offline_chain(payloads: list[bytes]) -> tuple[float, dict[str, float], Counter]:
    """The whole chain in-process (streams.offline.OfflineRun, in batches as `copydesk process`
    runs it), CPU seconds of this process (one thread, entities off) in total and per stage: on
    a shared machine the CPU an input takes moves far less than the wall clock."""
    per_stage: dict[str, float] = defaultdict(float)
    original = offline_module.run_guarded

    def timed(stage, call, *args, **kwargs):  # noqa: ANN001
        t0 = time.process_time()
        try:
            return original(stage, call, *args, **kwargs)
        finally:
            per_stage[stage] += time.process_time() - t0

    offline_module.run_guarded = timed
    roles: Counter = Counter()
    try:
        run = offline_module.OfflineRun(Settings())
        t0 = time.process_time()
        offset = 0
        for batch in offline_module.batches(payloads):  # as `copydesk process` runs them
            roles.update(result.role for result, _ in run.run_many(batch, offset))
            offset += len(batch)
        total = time.process_time() - t0
    finally:
        offline_module.run_guarded = original
    return total, dict(per_stage), roles


def cprofile_chain(payloads: list[bytes]) -> list[tuple[str, float]]:
    """Share of the offline chain's time by function (own time), page text, under cProfile."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    offline_chain(payloads)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values()) or 1.0
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    return [(f"{Path(f).name}:{line}({fn})", round(v[2] / total, 3)) for (f, line, fn), v in top]


def bench_stages(rows: list, out: dict) -> None:
    cases = fundus_cases()
    pages = html_messages(cases)[: size("html_pages")]
    texts = [seed_message(), *fundus_texts(cases), *distinct_articles(0, size("synthetic_texts"), "-inproc")]
    rounds = size("stage_rounds")
    log(f"stages: {len(pages)} html pages, {len(texts)} text articles, {rounds} round(s) each, alternating")
    # warm up imports and caches outside the timing
    clean_extract([p for p, _ in pages[:3]])
    bare_trafilatura([h for _, h in pages[:3]])
    html_side_by_side(pages[:3], 1)
    repeated = with_repeats(texts)
    html = html_side_by_side(pages, rounds)
    text_ce, chain_text, chain_rep = [], [], []
    for _ in range(rounds):  # alternate, so both see the same machine
        c2, e2, ok_text = clean_extract(texts)
        text_ce.append((c2, e2))
        chain_text.append(offline_chain(texts))
        chain_rep.append(offline_chain(repeated))
    n_html, n_text = len(pages), len(texts)
    best_text = min(text_ce, key=sum)
    best_chain_text = min(chain_text, key=lambda r: r[0])
    best_chain_rep = min(chain_rep, key=lambda r: r[0])
    ms = html["cpu_ms_per_page"]
    res = {
        "html_pages": n_html,
        "html_side_by_side": html,
        "copydesk_clean_extract_html_pages_per_s": 1e3 / ms["clean_extract"],
        "bare_trafilatura_pages_per_s": 1e3 / ms["bare_extraction"],
        "ratio_copydesk_over_bare_trafilatura": html["ratio_clean_extract_over_bare_extraction"],
        "text_articles": n_text,
        "text_extracted_ok": ok_text,
        "copydesk_clean_extract_text_articles_per_s": n_text / sum(best_text),
        "text_clean_articles_per_s": n_text / best_text[0],
        "text_extract_articles_per_s": n_text / best_text[1],
        "offline_chain_text_articles_per_s": n_text / best_chain_text[0],
        "offline_chain_text_ms_per_stage": {k: 1e3 * v / n_text for k, v in best_chain_text[1].items()},
        "offline_chain_text_roles": dict(best_chain_text[2]),
        "offline_chain_text_repeats_inputs": len(repeated),
        "offline_chain_text_repeats_articles_per_s": len(repeated) / best_chain_rep[0],
        "offline_chain_text_repeats_roles": dict(best_chain_rep[2]),
        "offline_chain_html_pages_per_s": 1e3 / ms["process"],
        "bare_trafilatura_extract_pages_per_s": 1e3 / ms["extract"],
        "ratio_process_over_bare_extract": html["ratio_process_over_bare_extract"],
        "offline_chain_html_ms_per_stage": html["process_cpu_ms_per_page_by_stage"],
    }
    # The same, once, with the entity model on (COPYDESK_ENTITIES=on, the workers' default):
    # spaCy's NER reads up to COPYDESK_ENTITIES_MAX_CHARS of every English article.
    with_entities = Settings.from_env({"COPYDESK_ENTITIES": "on"}).stage
    clean_extract(texts[:3], with_entities)  # loads the model outside the timing
    ce_on = clean_extract([p for p, _ in pages], with_entities)
    te_on = clean_extract(texts, with_entities)
    res["entities_on"] = {
        "copydesk_clean_extract_html_pages_per_s": n_html / sum(ce_on[:2]),
        "copydesk_clean_extract_text_articles_per_s": n_text / sum(te_on[:2]),
        "text_extract_ms_per_article": 1e3 * te_on[1] / n_text,
    }
    res["cprofile_text_chain"] = cprofile_chain(texts)
    out["stages"] = res

    def spread(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    rows += [
        ("1 stages", "HTML, 16 pages at a time in turn (CPU ms/page): copydesk clean+extract / bare_extraction(with_metadata)",
         f"{ms['clean_extract']:.1f} / {ms['bare_extraction']:.1f} ms"),
        ("1 stages", "  copydesk process (the chain) / bare trafilatura.extract",
         f"{ms['process']:.1f} / {ms['extract']:.1f} ms"),
        ("1 stages", "  the chain by stage, ms/page",
         ", ".join(f"{k} {v:.2f}" for k, v in html["process_cpu_ms_per_page_by_stage"].items())),
        ("1 stages", "  with entities on (spaCy NER, the default), HTML clean+extract",
         f"{res['entities_on']['copydesk_clean_extract_html_pages_per_s']:.1f} pages/s (wall clock, alone)"),
        ("1 stages", "copydesk clean+extract, page text", f"{res['copydesk_clean_extract_text_articles_per_s']:.0f} articles/s"),
        ("1 stages", "  with entities on (spaCy NER, the default), page text",
         f"{res['entities_on']['copydesk_clean_extract_text_articles_per_s']:.0f} articles/s, "
         f"extract {res['entities_on']['text_extract_ms_per_article']:.1f} ms/article"),
        ("1 stages", "  clean / extract alone, page text", f"{res['text_clean_articles_per_s']:.0f} / {res['text_extract_articles_per_s']:.0f} articles/s"),
        ("1 stages", "offline chain (OfflineRun), page text, per CPU second", f"{res['offline_chain_text_articles_per_s']:.0f} articles/s"),
        ("1 stages", "  CPU ms/article by stage, page text",
         ", ".join(f"{k} {v:.2f}" for k, v in res["offline_chain_text_ms_per_stage"].items())),
        ("1 stages", "  the same stream with a quarter repeats", f"{res['offline_chain_text_repeats_articles_per_s']:.0f} articles/s"),
        ("goals", "page text in-process, dedup included, per CPU second (goal 1,500/s)",
         f"{res['offline_chain_text_articles_per_s']:.0f} articles/s = {res['offline_chain_text_articles_per_s'] / 1500:.2f} of the goal; "
         f"a quarter repeats {res['offline_chain_text_repeats_articles_per_s']:.0f} = "
         f"{res['offline_chain_text_repeats_articles_per_s'] / 1500:.2f}"),
        ("goals", "HTML clean+extract / bare_extraction(with_metadata), in turn (goal 1.0x)",
         f"{html['ratio_clean_extract_over_bare_extraction']:.2f}x "
         f"(rounds {spread(html['ratio_clean_extract_over_bare_extraction_per_round'])})"),
        ("goals", "copydesk process (the chain) / bare trafilatura.extract, in turn (goal 1.0x)",
         f"{html['ratio_process_over_bare_extract']:.2f}x (rounds {spread(html['ratio_process_over_bare_extract_per_round'])})"),
        ("profile", "offline chain, page text, cProfile own time (top 5)",
         ", ".join(f"{k} {v:.0%}" for k, v in res["cprofile_text_chain"][:5])),
    ]


# ---------------------------------------------------------------------------------- broker


class Broker:
    def __init__(self) -> None:
        self.script = ROOT / "deploy" / "kafka" / "broker.sh"
        self.version = "?"

    def start(self) -> None:
        subprocess.run([str(self.script), "stop", "--data-dir", str(KAFKA_DIR)], capture_output=True)
        shutil.rmtree(KAFKA_DIR, ignore_errors=True)
        p = subprocess.run([str(self.script), "start", "--port", str(PORT), "--data-dir", str(KAFKA_DIR)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"broker did not start: {p.stderr}")
        for word in p.stderr.split():
            if word[:1].isdigit() and word.count(".") == 2:
                self.version = word
                break
        log(f"broker: {p.stderr.strip()}")

    def stop(self) -> None:
        subprocess.run([str(self.script), "stop", "--data-dir", str(KAFKA_DIR)], capture_output=True)
        log("broker stopped")


async def create_topics(names: list[str], partitions: int = 4) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1, topic_configs={"max.message.bytes": str(MAX_RECORD_BYTES)})
                                   for n in names])
    finally:
        await admin.close()


async def produce(topic: str, values: list[bytes], rate: float | None = None, keyed: bool = True) -> tuple[float, float]:
    """Send values (keyed by their url, as `copydesk produce` does), paced at `rate` per second
    when given; returns (first send time, time the last was acknowledged)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=5, max_request_size=MAX_RECORD_BYTES)
    await producer.start()
    try:
        futures = []
        t0 = time.time()
        for i, value in enumerate(values):
            if rate:
                delay = t0 + i / rate - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            key = None
            if keyed:
                key = orjson.loads(value).get("url", "").encode() or None
            futures.append(await producer.send(topic, value, key=key))
        await producer.flush()
        for f in futures:
            await f
        return t0, time.time()
    finally:
        await producer.stop()


async def read_topics(topics: list[str], expect: int, timeout_s: float, on_progress=None) -> list:  # noqa: ANN001
    """Every record of the topics from the beginning until `expect` or the timeout:
    (topic, partition, offset, timestamp_ms, key, value)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest",
                                enable_auto_commit=False, fetch_max_bytes=64 * 1024 * 1024,
                                max_partition_fetch_bytes=MAX_RECORD_BYTES)
    await consumer.start()
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expect and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300, max_records=5000)
            for tp, messages in batches.items():
                records.extend((tp.topic, tp.partition, m.offset, m.timestamp, m.key, m.value) for m in messages)
            if on_progress:
                on_progress(len(records))
    finally:
        await consumer.stop()
    return records


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its reaped children), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def broker_pid() -> int | None:
    try:
        return int((KAFKA_DIR / "broker.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pipeline_env(tag: str, workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
        "COPYDESK_APP_ID": f"bench-{tag}",
        "COPYDESK_TOPIC_PREFIX": f"bench-{tag}.articles",
        "COPYDESK_PARTITIONS": "4",
        "COPYDESK_DATA_DIR": str(workdir / tag),
        "COPYDESK_SESSION_TIMEOUT_SECONDS": "10",
        **(extra or {}),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


# ---------------------------------------------------------------------------- 2. framework tax

NO_LINGER = {"PRODUCER_LINGER": "0", "PRODUCER_MAX_BATCH_SIZE": "16384"}
TAX_CONFIGS = [
    # (name, mode, env, in quick mode too). The faust baseline is what streams/app.py and
    # streams/agents/chain.py do: linger 5 ms, 256 KB batches, manual acks after each send.
    ("aiokafka loop (defaults: linger 0, 16 KB batches)", "aiokafka", {}, True),
    ("faust baseline (copydesk's App arguments and agent loop)", "faust", {}, True),
    ("faust without linger and 256 KB batches (faust's defaults)", "faust", NO_LINGER, False),
    ("faust noack_take(100, within=50 ms), ack after each send", "faust", {"BENCH_TAKE": "100"}, True),
    ("faust noack_take(100, within=10 ms), ack after each send", "faust", {"BENCH_TAKE": "100", "BENCH_WITHIN": "0.01"}, True),
    ("faust producer_linger 20 ms", "faust", {"PRODUCER_LINGER": "0.02"}, False),
    ("faust stream_buffer_maxsize 16384 (default 4096)", "faust", {"STREAM_BUFFER_MAXSIZE": "16384"}, False),
    ("faust broker_commit_every 100000 (default 10000)", "faust", {"BROKER_COMMIT_EVERY": "100000"}, False),
    ("faust consumer_max_fetch_size 1 MiB (copydesk: 33 MiB)", "faust", {"CONSUMER_MAX_FETCH_SIZE": "1048576"}, False),
    ("faust broker_max_poll_records 500 (default unlimited)", "faust", {"BROKER_MAX_POLL_RECORDS": "500"}, False),
    ("aiokafka loop, linger 5 ms + 256 KB batches", "aiokafka",
     {"BENCH_AIOKAFKA_LINGER_MS": "5", "BENCH_AIOKAFKA_BATCH_BYTES": "262144"}, False),
    ("faust baseline, again", "faust", {}, True),
    ("aiokafka loop (defaults), again", "aiokafka", {}, True),
]


async def passthrough_run(name: str, mode: str, env: dict[str, str], n: int, workdir: Path) -> dict:
    tag = uuid.uuid4().hex[:8]
    raw, a, b = f"tax-{tag}.raw", f"tax-{tag}.a", f"tax-{tag}.b"
    await create_topics([raw, a, b])
    await asyncio.sleep(1.0)  # leaders
    body = (b"x" * 4096)
    values = [orjson.dumps({"i": i}) + body[: 4096 - 12] for i in range(n)]
    await produce(raw, values, keyed=False)
    logf = workdir / f"tax-{tag}.log"
    proc = subprocess.Popen([PY, str(ROOT / "bench" / "passthrough.py"), mode, BOOTSTRAP, f"tax-{tag}", raw, a, b],
                            cwd=workdir, env={**os.environ, **env}, stdout=logf.open("wb"), stderr=subprocess.STDOUT)
    try:
        first: list[tuple[int, float]] = []

        def progress(count: int) -> None:  # the pass-through's CPU from its first output on
            if count and not first:
                first.append((count, cpu_seconds(proc.pid)))

        got = await read_topics([b], n, timeout_s=max(120, n / 100), on_progress=progress)
        cpu_end = cpu_seconds(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    first_hop = await read_topics([a], n, timeout_s=60)
    if len(got) < n or not first_hop:
        return {"name": name, "error": f"{len(got)}/{n} on b; log {logf}"}
    start = min(r[3] for r in first_hop)
    end = max(r[3] for r in got)
    rate = n / max((end - start) / 1000, 1e-3)
    cpu_us = (cpu_end - first[0][1]) / max(len(got) - first[0][0], 1) * 1e6 if first else float("nan")
    log(f"tax: {name}: {rate:.0f} msg/s, {cpu_us:.0f} µs CPU per message")
    return {"name": name, "mode": mode, "env": env, "messages": n, "seconds": (end - start) / 1000, "msg_per_s": rate,
            "cpu_us_per_message": cpu_us}


def bench_tax(rows: list, out: dict, workdir: Path) -> None:
    n = size("tax_messages")
    log(f"tax: {n} messages of 4 KB through raw -> a -> b")
    configs = [c for c in TAX_CONFIGS if c[3] or not QUICK]
    runs = [asyncio.run(passthrough_run(name, mode, env, n, workdir)) for name, mode, env, _ in configs]
    ok = [r for r in runs if "msg_per_s" in r]
    aio = statistics.mean(r["msg_per_s"] for r in ok if r["mode"] == "aiokafka" and not r["env"])
    base = statistics.mean(r["msg_per_s"] for r in ok if r["mode"] == "faust" and r["name"].startswith("faust baseline"))
    for r in runs:
        if "msg_per_s" in r:
            r["ratio_to_faust_baseline"] = r["msg_per_s"] / base
            r["ratio_to_aiokafka"] = r["msg_per_s"] / aio
    aio_cpu = statistics.mean(r["cpu_us_per_message"] for r in ok if r["mode"] == "aiokafka" and not r["env"])
    base_cpu = statistics.mean(r["cpu_us_per_message"] for r in ok if r["mode"] == "faust" and r["name"].startswith("faust baseline"))
    out["tax"] = {"messages": n, "runs": runs, "aiokafka_mean": aio, "faust_baseline_mean": base,
                  "faust_over_aiokafka": base / aio, "aiokafka_cpu_us_mean": aio_cpu, "faust_baseline_cpu_us_mean": base_cpu,
                  "aiokafka_cpu_over_faust_cpu": aio_cpu / base_cpu}
    rows.append(("2 tax", f"pass-through raw->a->b, {n} x 4 KB: aiokafka loop, defaults (mean)",
                 f"{aio:.0f} msg/s, {aio_cpu:.0f} µs CPU per message"))
    rows.append(("2 tax", "faust agents, copydesk's App arguments and agent loop (mean)",
                 f"{base:.0f} msg/s, {base_cpu:.0f} µs CPU per message"))
    rows.append(("2 tax", "  ratio faust / aiokafka: rate; CPU cost (aiokafka's / faust's)", f"{base / aio:.2f}x; {aio_cpu / base_cpu:.2f}x"))
    for r in runs:
        if r["mode"] == "faust" and not r["name"].startswith("faust baseline"):
            value = (f"{r['ratio_to_faust_baseline']:.2f}x baseline ({r['msg_per_s']:.0f} msg/s; CPU "
                     f"{r['cpu_us_per_message'] / base_cpu:.2f}x)" if "msg_per_s" in r else r["error"])
            rows.append(("2 tax", "  " + r["name"][6:], value))
    for r in runs:
        if r["mode"] == "aiokafka" and r["env"] and "msg_per_s" in r:
            rows.append(("2 tax", "  " + r["name"], f"{r['ratio_to_faust_baseline']:.2f}x faust baseline ({r['msg_per_s']:.0f} msg/s)"))
    for r in runs:
        if r["mode"] == "faust" and r["name"].startswith("faust baseline") or r["mode"] == "aiokafka" and not r["env"]:
            if "msg_per_s" in r:
                rows.append(("2 tax", f"  (run: {r['name']})", f"{r['msg_per_s']:.0f} msg/s, {r['cpu_us_per_message']:.0f} µs CPU"))


# ------------------------------------------------------------------------ 3, 4, 6: the chain

async def chain_run(label: str, workdir: Path, values: list[bytes], workers: int = 1, rate: float | None = None,
                    extra_env: dict[str, str] | None = None, memory_step: int = 0, profile_s: float = 0,
                    worker_roles: list[str] | None = None) -> dict:
    """Fresh topics and group; `workers` copydesk workers (with `worker_roles`, one per entry, each with
    that `COPYDESK_ROLES`); a warm-up of 20 inputs (outcomes awaited), then `values` produced (at
    `rate`/s when given) and every outcome read back.
    Throughput = inputs / (last outcome's Kafka timestamp - first input's); latency = each
    outcome's timestamp - its input's (matched by the record's source partition and offset)."""
    tag = uuid.uuid4().hex[:8]
    env = pipeline_env(tag, workdir, extra_env)
    settings = Settings.from_env(env)
    from streams.kafka_io import ensure_topics

    await ensure_topics(settings)
    procs = []
    if worker_roles:
        workers = len(worker_roles)
    try:
        for i in range(workers):
            own = {**env, "COPYDESK_DATA_DIR": f"{env['COPYDESK_DATA_DIR']}/worker-{i}"}  # RocksDB locks its dir
            if worker_roles:
                own["COPYDESK_ROLES"] = worker_roles[i]
            Path(own["COPYDESK_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
            procs.append(WorkerProcess(own, workdir / f"worker-{label.replace(' ', '_')}-{tag}-{i}.log").start())
        rss_start = [rss_kb(p.proc.pid) for p in procs]
        if workers > 1 and not worker_roles:
            await asyncio.sleep(8)  # let the group settle before the warm-up
        outputs = list(settings.topics.outputs().values())
        warm = distinct_articles(10_000_000, 20, f"-warm{tag}")
        await produce(settings.topics.raw, warm)
        got = await read_topics(outputs, len(warm), timeout_s=180)
        if len(got) < len(warm):
            raise RuntimeError(f"{label}: warm-up got {len(got)}/{len(warm)} outcomes")
        rss_warm = [rss_kb(p.proc.pid) for p in procs]
        samples: list[tuple[int, list[int]]] = []
        next_sample = [memory_step]

        def progress(count: int) -> None:
            if memory_step and count - len(warm) >= next_sample[0]:
                samples.append((count - len(warm), [rss_kb(p.proc.pid) for p in procs]))
                next_sample[0] += memory_step

        spy = None
        if profile_s and shutil.which("py-spy", path=str(Path(PY).parent)):
            spy_out = workdir / f"profile-{tag}.txt"
            spy = (subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "--pid", str(procs[0].proc.pid),
                                     "--duration", str(int(profile_s)), "--rate", "50", "--format", "raw",
                                     "--idle", "--nonblocking", "-o", str(spy_out)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), spy_out)
        t_produce = time.time()
        bpid = broker_pid()
        cpu0 = [cpu_seconds(p.proc.pid) for p in procs], cpu_seconds(bpid) if bpid else float("nan")
        producer = asyncio.create_task(produce(settings.topics.raw, values, rate=rate))
        total = len(warm) + len(values)
        records = await read_topics(outputs, total, timeout_s=max(600, 4 * len(values) / 10), on_progress=progress)
        sent_from, sent_until = await producer
        wall = time.time() - t_produce
        cpu1 = [cpu_seconds(p.proc.pid) for p in procs], cpu_seconds(bpid) if bpid else float("nan")
        rss_end = [rss_kb(p.proc.pid) for p in procs]
        raw = await read_topics([settings.topics.raw], total, timeout_s=120)
        profile = None
        if spy:
            try:
                spy[0].wait(profile_s + 60)
                profile = summarize_profile(spy[1])
            except Exception as exc:  # noqa: BLE001
                profile = {"error": str(exc)}
    finally:
        for p in procs:
            p.stop()
    per_topic = await records_per_topic(settings.topic_prefix)
    await delete_topics(f"bench-{tag}")
    raw_ts = {(r[1], r[2]): r[3] for r in raw}
    warm_offsets = {(r[1], r[2]) for r in raw if orjson.loads(r[5])["url"].find(f"-warm{tag}") >= 0}
    latencies, ends, roles = [], [], Counter()
    seen = set()
    for topic, _, _, ts, _, value in records:
        rec = orjson.loads(value)
        src = rec.get("source") or rec
        coord = (src.get("partition"), src.get("offset"))
        if coord in warm_offsets or coord in seen or coord not in raw_ts:
            continue
        seen.add(coord)
        roles[topic.rsplit(".", 1)[-1]] += 1
        latencies.append((ts - raw_ts[coord]) / 1000)
        ends.append(ts)
    starts = [ts for c, ts in raw_ts.items() if c not in warm_offsets]
    n = len(values)
    span = (max(ends) - min(starts)) / 1000 if ends else float("nan")
    res = {
        "label": label, "workers": workers, "inputs": n, "outcomes": len(seen), "roles": dict(roles),
        "offered_rate": rate, "produce_seconds": sent_until - sent_from,
        "seconds": span, "articles_per_s": len(seen) / span if ends else 0.0,
        "latency_s": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                      "p99": percentile(latencies, 99), "max": max(latencies) if latencies else None},
        "rss_kb_start": rss_start, "rss_kb_after_warmup": rss_warm, "rss_kb_end": rss_end,
        "rss_samples": samples, "env": extra_env or {},
        # CPU used while the inputs were produced and read back, as a share of one core
        "worker_cpu_share": [round((b - a) / wall, 3) for a, b in zip(cpu0[0], cpu1[0])],
        "broker_cpu_share": round((cpu1[1] - cpu0[1]) / wall, 3),
        # CPU milliseconds per input, all workers together and the broker: much steadier than
        # rates when other work shares the cores (a starved process is slow, not costlier)
        "worker_cpu_ms_per_input": round(sum(b - a for a, b in zip(cpu0[0], cpu1[0])) / n * 1000, 2),
        "broker_cpu_ms_per_input": round((cpu1[1] - cpu0[1]) / n * 1000, 2),
        # Kafka records per input (warm-up included) beyond the raw one, by topic: internal hops,
        # changelogs and the outcome
        "records_per_input": round(sum(v for k, v in per_topic.items() if k != ".raw") / total, 2),
        "records_per_input_by_topic": {k: round(v / total, 2) for k, v in sorted(per_topic.items()) if k != ".raw"},
    }
    if profile:
        res["profile"] = profile
    log(f"chain {label}: {res['outcomes']}/{n} outcomes in {span:.1f}s = {res['articles_per_s']:.1f} articles/s, "
        f"latency p50 {res['latency_s']['p50']:.2f}s p99 {res['latency_s']['p99']:.2f}s, "
        f"CPU worker {res['worker_cpu_share']} broker {res['broker_cpu_share']} of a core, "
        f"{res['worker_cpu_ms_per_input']} + {res['broker_cpu_ms_per_input']} ms per input, "
        f"{res['records_per_input']} Kafka records per input {res['records_per_input_by_topic']}")
    return res


PROFILE_BUCKETS = [
    # (bucket, substrings of a frame; the first match from the leaf up wins)
    ("trafilatura/lxml", ("trafilatura", "lxml", "htmldate", "justext")),
    ("near-dup (shingles, MinHash, bands)", ("neardup.py",)),
    ("cleaning (page text)", ("cleaning.py",)),
    ("extraction (language, keywords, url)", ("extraction.py", "py3langid", "courlan", "tldextract")),
    ("dedup (url, content)", ("dedup.py",)),
    ("JSON (orjson, schemas)", ("orjson", "schemas/internal.py", "schemas/models.py", "records.py")),
    ("tables (faust Table, RocksDB)", ("rocksdict", "faust/stores", "faust/tables")),
    ("metrics, logging", ("prometheus_client", "logging/", "streams/logs.py", "streams/metrics.py")),
    ("aiokafka (client, protocol)", ("aiokafka",)),
    ("faust/mode (streams, agents, transport)", ("faust/", "mode/")),
    ("asyncio", ("asyncio/",)),
]


def profile_stacks(path: Path) -> Iterator[tuple[list[str], int, bool]]:
    """py-spy's raw (collapsed) stacks: each stack's frames (root first), its samples, and whether
    it is the main thread's (the event loop's; other threads start in `Thread._bootstrap`)."""
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            frames = stack.split(";")
            yield frames, int(count), "Thread._bootstrap" not in frames[0]


def summarize_profile(path: Path) -> dict:
    """py-spy's raw (collapsed) stacks of the worker's main thread (the event loop that runs every
    agent; faust's consumer thread and the metrics server thread are counted apart) -> the share
    of its samples that wait in select, and of the busy ones by bucket (leaf first) and leaf."""
    buckets: Counter = Counter()
    leaves: Counter = Counter()
    main = idle = other_threads = 0
    for frames, c, on_main in profile_stacks(path):
        if not on_main:
            other_threads += c
            continue
        main += c
        if "select (selectors.py" in frames[-1]:
            idle += c
            continue
        leaves[frames[-1][:110]] += c
        for frame in reversed(frames):
            hit = next((b for b, keys in PROFILE_BUCKETS if any(k in frame for k in keys)), None)
            if hit:
                buckets[hit] += c
                break
        else:
            buckets["other"] += c
    busy = max(main - idle, 1)
    return {"main_thread_samples": main, "other_thread_samples": other_threads,
            "main_thread_idle_share": round(idle / max(main, 1), 3),
            "busy_buckets": {k: round(v / busy, 3) for k, v in buckets.most_common()},
            "busy_top_leaves": [(k, round(v / busy, 3)) for k, v in leaves.most_common(15)]}


def bench_chain(rows: list, out: dict, workdir: Path) -> None:
    n = size("e2e_messages")
    values = distinct_articles(0, n, "-e2e")
    log(f"e2e: {n} page-text inputs, one worker, full load, then half load, then half load with enrichment apart")
    full = asyncio.run(chain_run("full load", workdir, values))
    half = asyncio.run(chain_run("half load", workdir, values, rate=full["articles_per_s"] / 2))
    # The same rate with the entity model in a process of its own (COPYDESK_ROLES=pipeline and
    # enrich): the model then holds no interpreter lock the chain's event loop waits for.
    apart = asyncio.run(chain_run("half load, enrichment apart", workdir, values, rate=full["articles_per_s"] / 2,
                                  worker_roles=["pipeline", "enrich"]))
    out["e2e"] = {"full": full, "half": half, "half_enrichment_apart": apart}

    def lat(r: dict) -> str:
        q = r["latency_s"]
        return f"p50 {q['p50']:.2f} s, p95 {q['p95']:.2f} s, p99 {q['p99']:.2f} s"

    rows += [
        ("3 e2e", f"full load: {n} inputs at once, 1 worker, 4 partitions", f"{full['articles_per_s']:.1f} articles/s"),
        ("3 e2e", "  latency produce -> outcome, full load (queueing)", lat(full)),
        ("3 e2e", f"half load: offered {half['offered_rate']:.1f}/s", f"{half['articles_per_s']:.1f} articles/s"),
        ("3 e2e", "  latency, half load", lat(half)),
        ("3 e2e", "half load, enrichment in a process of its own (2 processes)", f"{apart['articles_per_s']:.1f} articles/s"),
        ("3 e2e", "  latency, half load, enrichment apart", lat(apart)),
        ("3 e2e", "  ratio of pipeline rate to offline chain (page text)",
         f"{full['articles_per_s'] / out['stages']['offline_chain_text_articles_per_s']:.3f}x" if "stages" in out else "n/a"),
        ("3 e2e", "CPU share of one core during full load: worker / broker",
         f"{full['worker_cpu_share'][0]:.2f} / {full['broker_cpu_share']:.2f}"),
        ("3 e2e", "CPU per input, full load: worker / broker",
         f"{full['worker_cpu_ms_per_input']:.1f} ms / {full['broker_cpu_ms_per_input']:.1f} ms"),
    ]


def in_process_cpu_ms(payloads: list[bytes], env: dict[str, str]) -> float:
    """CPU milliseconds per input of the whole chain in-process (`streams.offline.OfflineRun`, the
    steps a worker runs) over `payloads`, with the stage settings of `env`. As the worker's
    side has its warm-up (`chain_run`), 20 other inputs go through a run of their own first, so
    that the first calls' lazy loading (language model, vocabularies, patterns) is not counted."""
    settings = Settings.from_env(env)
    warm = offline_module.OfflineRun(settings)
    for offset, payload in enumerate(distinct_articles(10_000_000, 20, "-warm-local")):
        warm.run_one(payload, offset)
    run = offline_module.OfflineRun(settings)
    t0 = time.process_time()
    for offset, payload in enumerate(payloads):
        run.run_one(payload, offset)
    return (time.process_time() - t0) / len(payloads) * 1000


def bench_lean(rows: list, out: dict, workdir: Path) -> None:
    """The lean-worker goals: a worker's CPU per input against the same inputs in-process, and
    the Kafka records per input, with 1 and 8 partitions (page text, a quarter copies, entities
    off and on); p99 at half load and two workers against one are sections 3 and 4."""
    n = size("lean_messages")
    values = with_copies(distinct_articles(200_000, n, "-lean"), 0.25)
    out["lean"] = {}
    for entities in ("off", "on"):
        for partitions in (1, 8):
            env = {"COPYDESK_ENTITIES": entities, "COPYDESK_PARTITIONS": str(partitions)}
            label = f"lean {partitions}p entities {entities}"
            log(f"lean: {n} inputs (a quarter copies), {partitions} partitions, entities {entities}")
            local = in_process_cpu_ms(values, env)
            run = asyncio.run(chain_run(label, workdir, values, extra_env=env))
            ratio = run["worker_cpu_ms_per_input"] / local
            out["lean"][label] = {"in_process_cpu_ms_per_input": round(local, 2), "run": run, "ratio": round(ratio, 2)}
            rows += [
                ("lean", f"{partitions} partition(s), entities {entities}: worker / in-process CPU per input (goal 1.25x)",
                 f"{run['worker_cpu_ms_per_input']:.1f} / {local:.1f} ms = {ratio:.2f}x"),
                ("lean", f"  Kafka records per input beyond the raw one (goal 6 with 8 partitions)",
                 f"{run['records_per_input']:.2f}"),
            ]


def bench_scaling(rows: list, out: dict, workdir: Path) -> None:
    n = size("scale_messages")
    values = distinct_articles(100_000, n, "-scale")
    log(f"scaling: {n} inputs, 1 worker, then 2 workers (4 partitions), then 2 without standby tables")
    one = asyncio.run(chain_run("scale 1 worker", workdir, values, workers=1))
    two = asyncio.run(chain_run("scale 2 workers", workdir, values, workers=2))
    # faust keeps a standby copy of every table partition a worker does not own (its default
    # table_standby_replicas=1): each worker then also replays the other's changelogs
    lone = asyncio.run(chain_run("scale 2 workers, no standby", workdir, values, workers=2,
                                 extra_env={"COPYDESK_TABLE_STANDBY_REPLICAS": "0"}))
    out["scaling"] = {"one": one, "two": two, "two_no_standby": lone, "ratio": two["articles_per_s"] / one["articles_per_s"],
                      "ratio_no_standby": lone["articles_per_s"] / one["articles_per_s"]}
    rows += [
        ("4 scaling", f"1 worker, {n} inputs", f"{one['articles_per_s']:.1f} articles/s"),
        ("4 scaling", "2 workers, same inputs", f"{two['articles_per_s']:.1f} articles/s"),
        ("4 scaling", "  ratio 2 / 1 (2 cores, broker on the same cores)", f"{out['scaling']['ratio']:.2f}x"),
        ("4 scaling", "  CPU share of one core: workers / broker",
         f"1 worker {one['worker_cpu_share']} / {one['broker_cpu_share']}; 2 workers {two['worker_cpu_share']} / {two['broker_cpu_share']}"),
        ("4 scaling", "  CPU per input, workers together / broker",
         f"1 worker {one['worker_cpu_ms_per_input']:.1f} / {one['broker_cpu_ms_per_input']:.1f} ms; "
         f"2 workers {two['worker_cpu_ms_per_input']:.1f} / {two['broker_cpu_ms_per_input']:.1f} ms"),
        ("4 scaling", "2 workers, COPYDESK_TABLE_STANDBY_REPLICAS=0 (no standby tables)",
         f"{lone['articles_per_s']:.1f} articles/s = {out['scaling']['ratio_no_standby']:.2f}x 1 worker; "
         f"CPU per input {lone['worker_cpu_ms_per_input']:.1f} / {lone['broker_cpu_ms_per_input']:.1f} ms"),
    ]


def bench_dedup(rows: list, out: dict) -> None:
    args = [PY, str(ROOT / "bench" / "dedup_quality.py")] + (["--skip-million"] if QUICK else [])
    log(f"dedup: {' '.join(args[1:])}")
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        out["dedup"] = {"error": p.stderr[-2000:]}
        rows.append(("5 dedup", "bench/dedup_quality.py", "failed: see JSON"))
        return
    d = json.loads((RESULTS / "dedup_quality.json").read_text())
    out["dedup"] = d
    for row in d["decision"]:
        rows.append(("5 dedup", f"near-dup path of one article, {row['stored_articles']:,} stored ({row['table_keys']:,} keys)",
                     f"{row['decision_ms']:.3f} ms"))
    if "decision_ratio_1m_over_10k" in d:
        rows.append(("5 dedup", "  ratio 1M / 10k", f"{d['decision_ratio_1m_over_10k']:.2f}x"))
    s = d["speed"]
    rows.append(("5 dedup", "signature + band keys", f"{s['signature_and_bands_per_s']} articles/s"))
    recalls = ", ".join(f"{k} {v['recall']:.3f}" for k, v in d["quality"]["kinds"].items() if k != "original")
    rows.append(("5 dedup", "recall by kind; false merges", f"{recalls}; {d['quality']['false_merges']}"))


def bench_memory(rows: list, out: dict, workdir: Path) -> None:
    rate = out.get("e2e", {}).get("full", {}).get("articles_per_s") or 60.0
    seconds = size("memory_seconds")
    n = int(min(100_000, max(1000, rate * seconds)))
    n = max(1000, n - n % 1000)
    step = max(100, n // 10)
    values = distinct_articles(200_000, n, "-mem")
    log(f"memory: {n} inputs (~{seconds}s at {rate:.0f}/s; 100k would take ~{100_000 / rate / 60:.0f} min), "
        f"RSS every {step}, py-spy for 30 s")
    r = asyncio.run(chain_run("memory", workdir, values, memory_step=step, profile_s=30))
    start, warm, end = r["rss_kb_start"][0], r["rss_kb_after_warmup"][0], r["rss_kb_end"][0]
    growth_per_10k = (end - warm) / max(n, 1) * 10_000
    first_half = None
    samples = r["rss_samples"]
    if len(samples) >= 3:  # caches and RocksDB memtables fill first: the second half is the steady state
        mid = len(samples) // 2

        def slope(a: tuple, b: tuple) -> float:
            return (b[1][0] - a[1][0]) / max(b[0] - a[0], 1) * 10_000

        first_half, growth_per_10k = slope(samples[0], samples[mid]), slope(samples[mid], samples[-1])
    out["memory"] = {**r, "growth_kb_per_10k": growth_per_10k, "growth_kb_per_10k_first_half": first_half,
                     "target_100k_fits": n >= 100_000}
    rows += [
        ("6 memory", "worker RSS at start (ready) / after 20 warm-up inputs", f"{start / 1024:.0f} MB / {warm / 1024:.0f} MB"),
        ("6 memory", f"worker RSS after {n:,} inputs ({r['articles_per_s']:.0f}/s; 100k would need "
                     f"~{100_000 / max(r['articles_per_s'], 1) / 60:.0f} min)", f"{end / 1024:.0f} MB"),
        ("6 memory", "  growth per 10k inputs: second half of the run (first half)",
         f"{growth_per_10k / 1024:.1f} MB ({first_half / 1024:.1f} MB)" if first_half is not None
         else f"{growth_per_10k / 1024:.1f} MB (whole run)"),
        ("6 memory", "  samples (inputs: MB)", ", ".join(f"{k // 1000}k: {v[0] / 1024:.0f}" for k, v in r["rss_samples"])),
    ]
    prof = r.get("profile")
    if prof and prof.get("busy_buckets"):
        rows.append(("profile", f"worker main thread (py-spy 30 s, {prof['main_thread_samples']} samples): waiting in select",
                     f"{prof['main_thread_idle_share']:.0%}"))
        rows.append(("profile", "  its busy samples by bucket",
                     ", ".join(f"{k} {v:.0%}" for k, v in list(prof["busy_buckets"].items())[:8])))


# ------------------------------------------------------------------------------------ main


def machine(broker: Broker | None) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)

    def v(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gb": round(mem / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kafka": broker.version if broker else None,
        "packages": {n: v(n) for n in ("faust-streaming", "aiokafka", "trafilatura", "rensa", "rocksdict", "orjson")},
        "loadavg_start": os.getloadavg(),
        "quick": QUICK,
    }


def main() -> int:
    t0 = time.monotonic()
    rows: list[tuple[str, str, str]] = []
    out: dict = {}
    broker = None
    needs_broker = any(wanted(s) for s in ("tax", "e2e", "lean", "scaling", "memory"))
    workdir = Path(tempfile.mkdtemp(prefix="copydesk-bench-"))
    try:
        if wanted("stages"):
            bench_stages(rows, out)
        if needs_broker:
            broker = Broker()
            broker.start()
        if wanted("tax"):
            bench_tax(rows, out, workdir)
        if wanted("e2e"):
            bench_chain(rows, out, workdir)
        if wanted("lean"):
            bench_lean(rows, out, workdir)
        if wanted("scaling"):
            bench_scaling(rows, out, workdir)
        if wanted("memory"):
            bench_memory(rows, out, workdir)
    finally:
        if broker:
            broker.stop()
    if wanted("dedup"):  # after the broker is gone: the 1M table needs 2.4 GB
        bench_dedup(rows, out)
    info = machine(broker)
    info["loadavg_end"] = os.getloadavg()
    info["minutes"] = round((time.monotonic() - t0) / 60, 1)
    result = {"machine": info, "table": rows, **out}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"bench-{stamp}{'-quick' if QUICK else ''}.json"
    text = json.dumps(result, indent=2, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    (RESULTS / ("latest-quick.json" if QUICK else "latest.json")).write_text(text, encoding="utf-8")

    print(f"copydesk bench{' (BENCH_QUICK)' if QUICK else ''}: {info['nproc']} CPUs ({info['cpu_model']}), "
          f"{info['memory_gb']} GB, Python {info['python']}, Kafka {info['kafka']}, {info['date']}, "
          f"load {info['loadavg_start'][0]:.1f} -> {info['loadavg_end'][0]:.1f}, {info['minutes']} min")
    width = max(len(r[1]) for r in rows) if rows else 10
    for section, what, value in rows:
        print(f"{section:10} {what:{width}}  {value}")
    print(f"wrote {path.relative_to(ROOT)}; worker and pass-through logs in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
