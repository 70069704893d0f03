"""Near and exact duplicates through the real broker: across a worker restart (SIGTERM, SIGKILL
mid-stream), and two copies of one story arriving at the same moment on two workers.

The articles are page text (what a crawler saved), each a story of its own made of sentences
drawn from the seed's words. A near copy is the story with one sentence changed and furniture
lines ("Share this article", "Advertisement", ...) around its body, under another site's URL:
the cleaner drops the furniture, so the copy's body differs from the original's by one sentence
(estimated Jaccard similarity of its word 5-shingles about 0.95, far above the 0.8 threshold and
far from its spread over 128 permutations). An exact copy is the same page under another URL.

The figures (pytest -s) are printed on lines starting with `DEDUP`.
"""

from __future__ import annotations

import random
import re
import signal
import time
import urllib.request
from collections import Counter
from pathlib import Path

import orjson
import pytest

from processors.dedup import fingerprint
from streams.kafka_io import produce, read_outputs
from streams.offline import process
from streams.settings import Settings
from streams.tables import partition_of
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    input_coordinates,
    read_accounted,
)
from tests.integration.workers import WorkerProcess, unique_env

REPO = Path(__file__).resolve().parents[2]
_SEED = (REPO / "tests" / "data" / "seed.txt").read_text(encoding="utf-8").lower()
WORDS = sorted({w for w in re.findall(r"[a-z]{3,}", _SEED) if not w.endswith("icon")})  # no icon labels
THRESHOLD = 0.8
RESTART_ORIGINALS = 40  # stories 0..39, their copies after the restart, and stories 1000.. besides
OTHER_STORIES = 1000
PAIR_STORIES = 5000  # the same-moment pairs: stories 5000..
PAIRS = 100
EXACT_PAIRS = 30
FURNITURE_TOP = ["Share this article", "Advertisement"]
FURNITURE_MIDDLE = "Advertisement"
FURNITURE_BOTTOM = ["Share this article", "Read more"]
SITES = ["daily-courier.example.com", "morning-ledger.example.net", "evening-post.example.org", "wire-digest.example.io"]
SETTLE_S = 600.0


# ---------------------------------------------------------------- articles


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 12))).capitalize() + "."


def story(n: int, site: str = "origin.example.com", fetched_at: str = "2024-05-03T10:00:00Z") -> dict:
    """Story `n`: a headline and 10 paragraphs of 6 sentences (about 600 words)."""
    rng = random.Random(f"story-{n}")
    paragraphs = [[_sentence(rng) for _ in range(6)] for _ in range(10)]
    return {
        "url": f"https://{site}/news/{n}",
        "fetched_at": fetched_at,
        "title": f"Story number {n} of the dedup test",
        "paragraphs": paragraphs,
    }


def page(article: dict, furniture: bool = False) -> bytes:
    """The raw message of `article`: page text, with furniture lines when asked."""
    blocks = [" ".join(p) for p in article["paragraphs"]]
    if furniture:
        blocks = FURNITURE_TOP + blocks[:3] + [FURNITURE_MIDDLE] + blocks[3:] + FURNITURE_BOTTOM
    text = article["title"] + "\n\n" + "\n\n".join(blocks)
    return orjson.dumps({"url": article["url"], "fetched_at": article["fetched_at"], "text": text})


def near_copy(original: dict, url: str, variant: int = 0, fetched_at: str = "2024-05-03T11:30:00Z") -> dict:
    """`original` with one sentence rewritten (which one and how: by the story and `variant`), under `url`."""
    rng = random.Random(f"copy-{original['title']}-{variant}")
    paragraphs = [list(p) for p in original["paragraphs"]]
    p, s = rng.randrange(len(paragraphs)), rng.randrange(len(paragraphs[0]))
    paragraphs[p][s] = _sentence(rng)
    return {**original, "url": url, "fetched_at": fetched_at, "paragraphs": paragraphs}


def exact_copy(original: dict, url: str, fetched_at: str = "2024-05-03T11:30:00Z") -> dict:
    return {**original, "url": url, "fetched_at": fetched_at}


def _url_on(partition: int, partitions: int, stem: str) -> str:
    """A URL starting with `stem` that Kafka's default partitioner puts on `partition`."""
    for i in range(10_000):
        url = f"{stem}-{i}"
        if partition_of(url, partitions) == partition:
            return url
    raise AssertionError(f"no URL of {stem!r} on partition {partition}")


def test_near_copies_are_similar_enough_and_stories_are_not(tmp_path):
    """The broker tests' own data, offline (deterministic: seeded texts, fixed MinHash seed): every
    near copy they send passes the threshold with margin, and no two stories come near it."""
    from processors.neardup import estimate_similarity, signature

    def sig(article: dict) -> tuple[int, ...]:
        return signature("\n\n".join(" ".join(p) for p in article["paragraphs"]))

    after_restart = [
        estimate_similarity(sig(a), sig(near_copy(a, "-")))
        for a in (story(n) for n in range(RESTART_ORIGINALS))
    ]
    same_moment = [
        estimate_similarity(sig(near_copy(a, "-", 1)), sig(near_copy(a, "-", 2)))
        for a in (story(PAIR_STORIES + n) for n in range(PAIRS))
    ]
    numbers = (*range(RESTART_ORIGINALS), *range(OTHER_STORIES, OTHER_STORIES + 12), *range(PAIR_STORIES, PAIR_STORIES + PAIRS + EXACT_PAIRS))
    stories = [sig(story(n)) for n in numbers]
    apart = max(estimate_similarity(x, y) for i, x in enumerate(stories) for y in stories[i + 1 :])
    print(
        f"\nDEDUP data: similarity of near copies after a restart min/mean {min(after_restart):.3f}/"
        f"{sum(after_restart) / len(after_restart):.3f}, of same-moment pairs {min(same_moment):.3f}/"
        f"{sum(same_moment) / len(same_moment):.3f}; two different stories at most {apart:.3f}"
    )
    assert min(after_restart) >= THRESHOLD + 0.05 and min(same_moment) >= THRESHOLD + 0.04
    assert apart < 0.2

    # And through the stages (offline mode): the furniture goes, the copy is a near duplicate.
    a = story(0)
    b = near_copy(a, "https://wire-digest.example.io/copied/0")
    settings = Settings.from_env({"COPYDESK_DATA_DIR": str(tmp_path / "state"), "COPYDESK_STORE": "memory://"})
    process(iter([page(a), page(b, furniture=True)]), settings, tmp_path / "out")
    out = {
        role: [orjson.loads(line) for line in (tmp_path / "out" / f"{name}.jsonl").read_bytes().splitlines()]
        for role, name in settings.topics.outputs().items()
    }
    assert [r["dedup"]["status"] for r in out["enriched"]] == ["unique"]
    (copy,) = out["duplicates"]
    assert copy["dedup"]["status"] == "near_duplicate" and copy["dedup"]["duplicate_of"] == out["enriched"][0]["id"]
    assert not any(f in copy["text"] for f in ("Share this article", "Advertisement", "Read more"))


# ---------------------------------------------------------------- helpers on the broker


def records_by_input(outputs: dict[str, list[dict]]) -> dict[tuple, dict]:
    """One record per input (repeats are identical: `assert_each_input_accounted` checked)."""
    return {input_coordinates(r): r for records in outputs.values() for r in records}


def by_url(outputs: dict[str, list[dict]]) -> dict[str, dict]:
    seen: dict[str, dict] = {}
    for r in records_by_input(outputs).values():
        assert "error" not in r, f"a dead letter: {r['error']}"
        assert r["url"] not in seen or seen[r["url"]]["id"] == r["id"], r["url"]
        seen[r["url"]] = r
    return seen


async def settle(settings: Settings, total: int) -> dict[str, list[dict]]:
    records = await read_accounted(settings, total, SETTLE_S)
    outputs = by_role(settings, records)
    assert_conforms(outputs)
    return outputs


# ---------------------------------------------------------------- a: across a restart


@pytest.mark.parametrize("how", ["sigterm", "sigkill-mid-stream", "sigkill-mid-stream-exactly-once"])
async def test_near_copies_after_a_restart_find_their_originals(kafka_bootstrap, tmp_path, how):
    # Under exactly_once a worker killed drops its local state and restores the tables from their
    # changelogs up to the last stable offsets: all of them, or the copies would find nothing.
    extra = {"COPYDESK_PROCESSING_GUARANTEE": "exactly_once"} if how.endswith("exactly-once") else {}
    env = unique_env(kafka_bootstrap, tmp_path / "state", **extra)
    settings = Settings.from_env(env)
    partitions = settings.partitions
    log = tmp_path / "worker.log"
    originals = [story(n) for n in range(RESTART_ORIGINALS)]
    worker = WorkerProcess(env, log).start(ready_timeout=300)
    try:
        await produce(settings, [page(a) for a in originals])
        if how == "sigterm":
            first = await settle(settings, len(originals))
            assert_each_input_accounted(first, settings.topics.raw, len(originals))
            assert worker.stop(signal.SIGTERM) == 0, worker.tail()
        else:
            # Kill while the originals flow: once some have come out, before all of them have.
            seen = await read_outputs(settings, expect=len(originals) // 4, timeout_s=300)
            assert seen, worker.tail()
            worker.stop(signal.SIGKILL)
            killed_after = len(seen)
        worker = WorkerProcess(env, log).start(ready_timeout=300)
        # Every original has its verdict before a copy is sent: a copy that overtook its
        # original (another URL, so another partition) would rightly be the "original" itself.
        first = await settle(settings, len(originals))
        copies = [
            near_copy(a, _url_on(n % partitions, partitions, f"https://{SITES[n % len(SITES)]}/syndicated/{n}"))
            for n, a in enumerate(originals)
        ]
        others = [story(OTHER_STORIES + n, site=SITES[n % len(SITES)], fetched_at="2024-05-03T11:30:00Z") for n in range(12)]
        mixed = [page(c, furniture=True) for c in copies] + [page(o, furniture=True) for o in others]
        random.Random(3).shuffle(mixed)
        await produce(settings, mixed)
        total = len(originals) + len(mixed)
        outputs = await settle(settings, total)
    finally:
        worker.stop()
    repeats = assert_each_input_accounted(outputs, settings.topics.raw, total, repeats_allowed=True)
    got = by_url(outputs)
    outcomes_per_url = Counter(r["url"] for records in outputs.values() for r in records)
    repeats_after_restart = sum(outcomes_per_url[m["url"]] - 1 for m in copies + others)
    original_ids = {a["url"]: got[a["url"]]["id"] for a in originals}
    assert all(got[a["url"]]["dedup"]["status"] == "unique" for a in originals)
    assert len(set(original_ids.values())) == len(originals)
    wrong = []
    similarities = []
    for a, c in zip(originals, copies):
        d = got[c["url"]]["dedup"]
        similarities.append(d["similarity"])
        if not (
            d["status"] == "near_duplicate"
            and d["duplicate_of"] == original_ids[a["url"]]
            and d["cluster_id"] == original_ids[a["url"]]
            and d["similarity"] >= THRESHOLD
        ):
            wrong.append((c["url"], d))
    others_status = Counter(got[o["url"]]["dedup"]["status"] for o in others)
    print(
        f"\nDEDUP restart-{how}: originals={len(originals)} near_copies={len(copies)} others={len(others)} "
        f"copies_found={len(copies) - len(wrong)} others={dict(others_status)} repeats={repeats} "
        f"(of inputs sent after the restart: {repeats_after_restart}) "
        f"similarity(min/mean)={min(similarities):.3f}/{sum(similarities) / len(similarities):.3f}"
        + (f" killed_after={killed_after}_outputs" if how != "sigterm" else "")
    )
    assert not wrong, wrong[:5]
    assert others_status == {"unique": len(others)}
    for c in copies:
        assert not any(f in got[c["url"]]["text"] for f in ("Share this article", "Advertisement"))


# ---------------------------------------------------------------- b: at the same moment, two workers


def _owned(worker: WorkerProcess, topic: str) -> set[int]:
    """The partitions of `topic` a worker reads now, from its consumer-lag series (one per assigned partition)."""
    try:
        text = worker.metrics()
    except OSError:
        return set()
    pattern = re.compile(r'copydesk_consumer_lag_messages\{partition="(\d+)",topic="' + re.escape(topic) + r'"\}')
    return {int(m) for m in pattern.findall(text)}


def _ready(worker: WorkerProcess) -> bool:
    try:
        with urllib.request.urlopen(worker.web_url + "/readyz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _settled_assignment(workers: list[WorkerProcess], raw_topic: str, partitions: int, timeout_s: float = 180.0):
    """Wait until both workers are ready and split the raw partitions between them; None if that
    did not happen in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        owned = [_owned(w, raw_topic) for w in workers]
        if all(_ready(w) for w in workers) and all(owned) and not (owned[0] & owned[1]) and (
            owned[0] | owned[1]
        ) == set(range(partitions)):
            time.sleep(3)  # and still so a moment later (no rebalance under way)
            again = [_owned(w, raw_topic) for w in workers]
            if again == owned and all(_ready(w) for w in workers):
                return owned
        time.sleep(1)
    return None


async def test_two_copies_at_the_same_moment_on_two_workers_exactly_one_is_the_original(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state-a", COPYDESK_PARTITIONS="4", COPYDESK_LAG_SAMPLE_SECONDS="1")
    settings = Settings.from_env(env)
    partitions = settings.partitions
    raw = settings.topics.raw
    a = WorkerProcess(env, tmp_path / "a.log").start(ready_timeout=300)
    b = WorkerProcess({**env, "COPYDESK_DATA_DIR": str(tmp_path / "state-b")}, tmp_path / "b.log")
    workers = [a, b]
    try:
        b.start(ready_timeout=300)
        owned = _settled_assignment(workers, raw, partitions)
        # Each worker's consumer-lag series name the raw partitions it reads: a series left over
        # from a partition given away in a rebalance would show both workers reading it.
        assert owned is not None, [sorted(_owned(w, raw)) for w in workers]
        # One raw partition of each worker per pair member, so that the two members are
        # cleaned, extracted and scattered by different processes at the same moment.
        choices = [(p, q) for p in sorted(owned[0]) for q in sorted(owned[1])]
        near_pairs, exact_pairs = [], []
        for n in range(PAIRS + EXACT_PAIRS):
            p, q = choices[n % len(choices)]
            if n % 2:
                p, q = q, p
            base = story(PAIR_STORIES + n, fetched_at="2024-05-04T08:00:00Z")
            site_a, site_b = SITES[n % len(SITES)], SITES[(n + 1) % len(SITES)]
            url_a = _url_on(p, partitions, f"https://{site_a}/live/{n}")
            url_b = _url_on(q, partitions, f"https://{site_b}/wire/{n}")
            one = {**base, "url": url_a}
            if n < PAIRS:
                # Both sides change a sentence: neither is "the" original by its content.
                one = near_copy(base, url_a, 1, fetched_at=base["fetched_at"])
                two = near_copy(base, url_b, 2, fetched_at=base["fetched_at"])
                near_pairs.append((one, two))
            else:
                two = exact_copy(base, url_b, fetched_at=base["fetched_at"])
                exact_pairs.append((one, two))
        # Back to back: each pair's two messages one after the other, on their two partitions.
        messages = [page(m, furniture=i == 1) for one, two in near_pairs + exact_pairs for i, m in enumerate((one, two))]
        await produce(settings, messages)
        outputs = await settle(settings, len(messages))
        alive = [w.proc.poll() is None for w in workers]
        # Which worker scattered each article to its bands: the owner of its fingerprint's partition.
        content_owned = [_owned(w, settings.topics.content) for w in workers]
    finally:
        for w in workers:
            w.stop()
    assert all(alive), [w.tail() for w in workers]
    repeats = assert_each_input_accounted(outputs, raw, len(messages), repeats_allowed=True)
    got = by_url(outputs)

    def _scatterer(record: dict) -> int | None:
        p = partition_of(fingerprint(record["text"]), partitions)
        owners = [i for i, o in enumerate(content_owned) if p in o]
        return owners[0] if len(owners) == 1 else None

    def judge(pairs: list[tuple[dict, dict]], copy_status: str) -> tuple[list, Counter, list[float]]:
        violations: list = []
        tally: Counter = Counter()
        sims: list[float] = []
        for one, two in pairs:
            r1, r2 = got[one["url"]], got[two["url"]]
            s1, s2 = r1["dedup"]["status"], r2["dedup"]["status"]
            if {s1, s2} != {"unique", copy_status}:
                violations.append(("statuses", s1, s2, one["url"], two["url"]))
                continue
            original, copy = (r1, r2) if s1 == "unique" else (r2, r1)
            d = copy["dedup"]
            if d["duplicate_of"] != original["id"] or d["cluster_id"] != original["id"]:
                violations.append(("copy of another", one["url"], two["url"], d))
            if copy_status == "near_duplicate" and d["similarity"] < THRESHOLD:
                violations.append(("similarity", d))
            if original["dedup"]["duplicate_of"] is not None:
                violations.append(("original points elsewhere", original["dedup"]))
            sims.append(d["similarity"])
            tally["original sent first" if original is r1 else "original sent second"] += 1
            scatterers = {_scatterer(r1), _scatterer(r2)}
            if copy_status == "near_duplicate" and None not in scatterers:
                tally["scattered by two workers" if len(scatterers) == 2 else "scattered by one worker"] += 1
        return violations, tally, sims

    near_violations, near_tally, sims = judge(near_pairs, "near_duplicate")
    exact_violations, exact_tally, _ = judge(exact_pairs, "duplicate")
    statuses = Counter(r["dedup"]["status"] for r in records_by_input(outputs).values())
    print(
        f"\nDEDUP same-moment: workers=2 partitions={partitions} raw_owned={[sorted(o) for o in owned]} "
        f"near_pairs={len(near_pairs)} exact_pairs={len(exact_pairs)} statuses={dict(statuses)} "
        f"near={dict(near_tally)} exact={dict(exact_tally)} "
        f"violations(near/exact)={len(near_violations)}/{len(exact_violations)} repeats={repeats} "
        f"similarity(min)={min(sims) if sims else '-'}"
    )
    assert not near_violations, near_violations[:5]
    assert not exact_violations, exact_violations[:5]
    assert statuses == {"unique": PAIRS + EXACT_PAIRS, "near_duplicate": PAIRS, "duplicate": EXACT_PAIRS}
