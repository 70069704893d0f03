"""At-least-once replays, offline: the chain's steps (`processors.pipeline`) over a page-text
stream, once as it comes and once with crashes, and the verdicts compared.

The stream: `--inputs` articles of `--sites` sites over `--days` days (fetch days roughly in input
order, a day early or late now and then), each with some of its site's lines (the first of a
site's 60 lines in about 60% of its articles, the k-th in 60/k%), and identical resends of a
`--resend-share` of them, 5 to 400 inputs after their page.

A crash after input k restarts each stage (prepare: cleaning, site lines and extraction; the
url, content stages) with probability 0.8 from a window start of its own, up to `--window`
inputs back and never before the last crash: the stage's table is either as it is (the window's
writes in it: a worker's local store) or as it was at the window's start (without them: a table
recovered from a changelog that never got them), each stage drawn apart; with `--lost N` the
site-lines table may also lack the writes of up to N inputs before the window, whose offsets were
committed. The stage then processes the window again, and what it sends goes down the chain,
after the later stages' own windows (a stage reads its topic in order). The band index and the
gather table stay as they are.

Printed per crash schedule: resends not `duplicate` without crashes, inputs whose first verdict
differs from the run without crashes, and outcomes of replays that differ from the input's first.

    .venv/bin/python bench/replays.py [--inputs 3000] [--schedules 4] [--crashes 23] [--window 60]
        [--lost 0] [--resend-share 0.1] [--days 3] [--sites 1] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from processors import pipeline  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from processors.pipeline import Clock  # noqa: E402
from schemas.models import SourceRef  # noqa: E402
from streams.band_index import BandIndex  # noqa: E402
from streams.steps import apply_writes  # noqa: E402

NOW = Clock("2024-06-01T00:00:00Z")
WORDS = sorted(set((ROOT / "tests" / "data" / "seed.txt").read_text(encoding="utf-8").split()))
STAGES = ("prepare", "url", "content")


def stream(n: int, seed: int, sites: int, resend_share: float, days: int) -> list[bytes]:
    rng = random.Random(seed)
    furniture = {
        s: [" ".join(random.Random(1000 + s * 100 + k).choice(WORDS) for _ in range(6)).capitalize() + f" on site {s}"
            for k in range(60)]
        for s in range(sites)
    }
    pages = []
    for i in range(n):
        s = rng.randrange(sites)
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + "." for _ in range(4)]
        lines = [line for k, line in enumerate(furniture[s]) if rng.random() < 0.6 / (1 + k)]
        text = "\n\n".join([f"Headline of story {i} " + " ".join(rng.choice(WORDS) for _ in range(5)),
                            *paragraphs[:2], *lines[: len(lines) // 2], *paragraphs[2:], *lines[len(lines) // 2:]])
        day = min(days - 1, max(0, i * days // n + rng.choice((-1, 0, 0, 0, 1))))
        pages.append(orjson.dumps({"url": f"https://www.site{s}.example/story/{i}",
                                   "fetched_at": f"2024-05-{3 + day:02d}T10:00:00Z", "text": text}))
    out: list[bytes] = []
    later: dict[int, list[bytes]] = defaultdict(list)
    for i, page in enumerate(pages):
        out += [page, *later.pop(i, [])]
        if rng.random() < resend_share:
            later[min(n - 1, i + rng.randint(5, 400))].append(page)
    return out


class Table(dict):
    """A stage's table whose writes are logged with the input position they belong to, so that it
    can be taken back to how it was before a position."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[float, str, object, bool]] = []
        self.pos = 0.0

    def write(self, writes) -> None:  # noqa: ANN001
        for key in writes:
            self.log.append((self.pos, key, self.get(key), key in self))
        apply_writes(self, writes)

    def back_to(self, pos: float) -> None:
        while self.log and self.log[-1][0] >= pos:
            _, key, old, had = self.log.pop()
            if had:
                self[key] = old
            else:
                self.pop(key, None)


class Chain:
    def __init__(self, options: StageOptions) -> None:
        self.options = options
        self.tables = {stage: Table() for stage in STAGES}
        self.gather = Table()
        self.bands = BandIndex()
        self.sent: dict[str, dict[int, bytes]] = {"url": {}, "content": {}}  # a stage's last input per input
        self.outcomes: dict[int, list[tuple[str, str]]] = defaultdict(list)

    def at(self, pos: float) -> None:
        for table in (*self.tables.values(), self.gather):
            table.pos = pos

    def run(self, stage: str, i: int, value: bytes, tag: str) -> None:
        """Input i's message to `stage`, and what it sends on, down the chain."""
        opts = self.options
        if stage == "prepare":
            result = pipeline.clean_step(value, SourceRef("raw", 0, i, None), opts, NOW)
            if result.role == pipeline.HANDED_ON:
                result = pipeline.extract_step(result.handed, opts, NOW, self.tables["prepare"].get)
                self.tables["prepare"].write(result.writes)
            nxt = "url" if result.role == "extracted" else None
        elif stage == "url":
            result = pipeline.dedup_url_step(value, self.tables["url"].get, opts, NOW, "bench")
            self.tables["url"].write(result.writes)
            nxt = "content" if result.role == "content" else None
        else:
            result = pipeline.dedup_content_step(value, self.tables["content"].get, opts, NOW, "bench", lambda k: 0)
            self.tables["content"].write(result.writes)
            probes = [e.value for e in result.more] if result.role == "none" else []
            while probes:
                result = pipeline.dedup_bands_step(probes.pop(0), self.bands.lookup, opts, NOW)
                for key, entry in result.writes.items():
                    self.bands.add(key, entry)
                probes += [e.value for e in result.more]
            if result.role == "gather":
                result = pipeline.dedup_gather_step(result.value, self.gather.get, opts, NOW, "bench")
                self.gather.write(result.writes)
            nxt = None
        if nxt is not None:
            self.sent[nxt][i] = result.value
            self.run(nxt, i, result.value, tag)
        else:
            self.outcomes[i].append((result.verdict or result.error_kind or result.role, tag))


def run(messages: list[bytes], options: StageOptions, crashes: dict[int, list[tuple[str, int, bool, int]]]) -> Chain:
    """`crashes[k]`: (stage, window start, behind, lost) for each stage restarted after input k - 1."""
    chain = Chain(options)
    for k, message in enumerate(messages):
        for stage, start, behind, lost in crashes.get(k, ()):  # every table as the restart finds it
            if behind:
                chain.tables[stage].back_to(start - (lost if stage == "prepare" else 0))
        chain.at(k - 0.5)  # a replay's writes belong before the next window can start
        # A stage reads its own window again before what the replays upstream of it send.
        for stage, start, _, _ in sorted(crashes.get(k, ()), key=lambda e: -STAGES.index(e[0])):
            for j in range(start, k):
                value = messages[j] if stage == "prepare" else chain.sent[stage].get(j)
                if value is not None:
                    chain.run(stage, j, value, "replay")
        chain.at(k)
        chain.run("prepare", k, message, "first")
    return chain


def schedule(n: int, rng: random.Random, count: int, window: int, lost: int) -> dict[int, list[tuple[str, int, bool, int]]]:
    crashes, last = {}, 0
    for k in sorted(rng.sample(range(window, n), count)):
        events = []
        for stage in STAGES:
            if rng.random() < 0.8:
                start = max(last, k - rng.randint(1, window))
                events.append((stage, start, rng.random() < 0.5, min(start - last, rng.randint(0, lost))))
        crashes[k], last = events, k
    return crashes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=3000)
    ap.add_argument("--schedules", type=int, default=4)
    ap.add_argument("--crashes", type=int, default=23)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--lost", type=int, default=0)
    ap.add_argument("--resend-share", type=float, default=0.1)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--sites", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    options = StageOptions()
    messages = stream(args.inputs, args.seed, args.sites, args.resend_share, args.days)
    seen: set[bytes] = set()
    resends = set()
    for i, m in enumerate(messages):
        (resends.add(i) if m in seen else seen.add(m))
    plain = run(messages, options, {})
    verdicts = {i: [v for v, _ in plain.outcomes[i]] for i in range(len(messages))}
    print(f"{len(messages)} inputs, {len(resends)} identical resends; without crashes the resends are "
          f"{dict(Counter(verdicts[i][0] for i in resends))}")
    for n in range(args.schedules):
        crashed = run(messages, options, schedule(len(messages), random.Random(n), args.crashes, args.window, args.lost))
        first = {i for i in range(len(messages)) if [v for v, t in crashed.outcomes[i] if t == "first"] != verdicts[i]}
        repeats = Counter(
            (verdicts[i][0], v) for i in range(len(messages)) for v, t in crashed.outcomes[i] if t == "replay" and v != verdicts[i][0]
        )
        replayed = sum(t == "replay" for i in range(len(messages)) for _, t in crashed.outcomes[i])
        print(f"schedule {n}: {replayed} outcomes of replays; first verdicts differing: {len(first)} "
              f"({len(first & resends)} resends: {dict(Counter(crashed.outcomes[i][0][0] for i in first & resends))}); "
              f"replays differing from the first (first -> replay): {dict(repeats)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
