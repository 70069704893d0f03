"""Coverage-guided fuzzing of the pure core: bad input must end as a typed dead letter, fast.

    .venv/bin/pip install atheris      # not a project dependency; Python 3.11 wheels exist
    nice -n 10 .venv/bin/python bench/fuzz_core.py chain  [--seconds 240] [--out /tmp/fuzz-chain]
    nice -n 10 .venv/bin/python bench/fuzz_core.py text   [--seconds 240] [--out /tmp/fuzz-text]
    nice -n 10 .venv/bin/python bench/fuzz_core.py warc   [--seconds 240] [--out /tmp/fuzz-warc]
    .venv/bin/python bench/fuzz_core.py replay chain FILE...   # uninstrumented: kind and ms/KB

Targets: `chain`, the raw message bytes through the offline chain's steps (`OfflineRun`,
entities off), the first byte choosing whether the rest is the message itself or the body of a
contract message as html or text; `text`, page text through the cleaner and the keyword and quote
functions; `warc`, WARC bytes through `streams.warc.read_file`. Seeds: tests/data, the shared
seed messages and dev pages. A custom mutator adds what byte flips rarely make: odd Unicode (RTL
marks, combining characters, zero-width spaces, NUL, lone CR, JSON-escaped surrogates), 100k
character lines, thousands of short lines. A finding (an untyped exception, an `internal_error`
or `time_budget_exceeded` dead letter, or an input slow for its size) is saved under `--out`
and fuzzing goes on; `replay` runs saved inputs without instrumentation to time them.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOOD = {"url": "https://news.example.com/world/story-1", "fetched_at": "2024-05-03T10:00:00Z"}
ODD = [
    "\u200f", "\u200e", "\u202e", "\u2066", "\u0301" * 50, "\u200b", "\ufeff", "\x00", "\r", "\u2028",
    "\u00a0", "\u3000", "\ud83d\ude00", "\u0640" * 30, "\"", "\u201c", "\u201d", "\u00ab", "\u00bb", "\u2014",
    "Mr.", " said ", ", he said.", " ", "\n", "\n\n", "\t", ":", "|", "\u00b7", "\u2022", "...", "\u2026",
]
ODD_JSON = [b"\\ud800", b"\\udfff", b"\\u0000", b"\\u202e", b"\\r", b"\\n\\n", b"\\\"", b"\\u200b"]


def message(mode: int, body: bytes) -> bytes:
    """The raw message a fuzz input stands for: itself (mode 0), or `body` as a contract
    message's html (1) or text (2)."""
    if mode % 3 == 0:
        return body
    text = body.decode("utf-8", "replace")
    return json.dumps(dict(GOOD, **{"html" if mode % 3 == 1 else "text": text}), ensure_ascii=False).encode()


def seeds(target: str) -> list[bytes]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((REPO / "tests/data/pages").glob("*.html.gz"))]
    pages += [gzip.decompress(p.read_bytes()) for p in sorted((REPO.parent / "shared/data/fundus-news").glob("*/*.html.gz"))][:6]
    texts = [(REPO / "tests/data/seed.txt").read_bytes()]
    texts += [p.read_bytes() for p in sorted((REPO.parent / "shared/data/seed").glob("*.txt"))][:20]
    if target == "chain":
        raw = [message(1, p) for p in pages[:4]] + [message(2, t) for t in texts[:4]]
        return raw + [b"\x01" + p for p in pages] + [b"\x02" + t for t in texts]
    if target == "text":
        return texts
    from tests.unit.test_warc_files import crawl

    records = crawl()
    one = b"".join(records)
    return [one, b"".join(gzip.compress(r) for r in records)] + records[2:4]


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    import atheris

    rng = random.Random(seed)
    if rng.random() < 0.5 or not data:
        return atheris.Mutate(data, max_size)
    at = rng.randrange(len(data) + 1)
    pick = rng.random()
    if pick < 0.35:
        piece = rng.choice(ODD).encode("utf-8", "surrogatepass") * rng.choice((1, 1, 3, 50))
    elif pick < 0.45:
        piece = rng.choice(ODD_JSON)
    elif pick < 0.65:  # a long line: a chunk of the input repeated
        start = rng.randrange(len(data))
        chunk = data[start : start + rng.randrange(1, 40)].replace(b"\n", b" ")
        piece = chunk * (rng.choice((1000, 5000, 100_000)) // max(1, len(chunk)))
    elif pick < 0.85:  # many short lines
        start = rng.randrange(len(data))
        line = data[start : start + rng.randrange(1, 30)].split(b"\n")[0] + b"\n"
        piece = line * rng.choice((100, 1000, 10_000))
    else:  # a line's text repeated with a varying number
        piece = b"".join(b"Item %d: Lorem ipsum\n" % i for i in range(rng.choice((100, 3000))))
    return (data[:at] + piece + data[at:])[:max_size]


class Target:
    def __init__(self, name: str, out: Path) -> None:
        self.name, self.out = name, out
        out.mkdir(parents=True, exist_ok=True)
        logging.disable(logging.CRITICAL)
        from streams.offline import OfflineRun
        from streams.settings import Settings

        self.settings = Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_STAGE_TIME_BUDGET_SECONDS": "30"})
        self.OfflineRun = OfflineRun
        self.runs = 0
        self.tmp = Path(tempfile.mkdtemp(prefix="fuzz-warc-", dir="/dev/shm"))

    def run(self, data: bytes) -> str:
        """What became of `data`: a description of its outcome, "" when it is fine."""
        if self.name == "chain":
            return self.chain(message(data[0] if data else 0, data[1:]))
        if self.name == "text":
            return self.text(data.decode("utf-8", "replace"))
        return self.warc(data)

    def chain(self, payload: bytes) -> str:
        run = self.OfflineRun(self.settings)
        result = run.run_one(payload, 0)
        if result.error_kind in ("internal_error", "time_budget_exceeded"):
            return f"{result.stage} {result.error_kind}: {json.loads(result.value)['error']['message'][:300]}"
        return ""

    def text(self, text: str) -> str:
        from processors.enrichment import extract_keywords, paragraphs_of
        from processors.quotes import find_quotes

        outcome = self.chain(json.dumps(dict(GOOD, text=text), ensure_ascii=False).encode())
        paragraphs = paragraphs_of(text)
        extract_keywords(paragraphs[0] if paragraphs else None, paragraphs, "en", 10)
        find_quotes(paragraphs, ("John Smith",))
        return outcome

    def warc(self, data: bytes) -> str:
        from processors import warc
        from streams.warc import read_file

        path = self.tmp / "f.warc"
        path.write_bytes(data)
        for item in read_file(path, 8 << 20):
            if item.kind == "dead_letter" and item.reason not in (warc.TRUNCATED, warc.MALFORMED, "payload_too_large"):
                return f"warc dead letter {item.reason}"
            if item.kind == "message":
                outcome = self.chain(item.value)
                if outcome:
                    return outcome
        return ""

    def __call__(self, data: bytes) -> None:
        self.runs += 1
        began = time.perf_counter()
        try:
            outcome = self.run(data)
        except Exception as exc:  # noqa: BLE001 - a finding, saved and reported
            outcome = f"raised {type(exc).__name__}: {exc}"[:300]
        took = time.perf_counter() - began
        kb = max(1.0, len(data) / 1024)
        if not outcome and took > 2.0 and took / kb > 0.02:
            outcome = f"slow: {took:.2f} s for {len(data)} bytes ({1000 * took / kb:.1f} ms/KB, instrumented)"
        if outcome:
            digest = hashlib.sha1(data).hexdigest()[:12]
            (self.out / f"{digest}.bin").write_bytes(data)
            with (self.out / "findings.txt").open("a") as f:
                f.write(f"{digest} {outcome}\n")
            print(f"FINDING {digest} {outcome}", flush=True)


def fuzz(target: str, seconds: int, out: Path, max_len: int) -> None:
    import atheris

    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for seed in seeds(target):
        (corpus / hashlib.sha1(seed).hexdigest()[:12]).write_bytes(seed[:max_len])
    with atheris.instrument_imports(include=["processors", "streams.warc", "streams.offline", "schemas"]):
        run = Target(target, out)
    atheris.Setup(
        [sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-max_len={max_len}", "-timeout=60", "-rss_limit_mb=6000", "-print_final_stats=1", f"-artifact_prefix={out}/"],
        run,
        custom_mutator=mutate,
    )
    atheris.Fuzz()


def replay(target: str, files: list[str]) -> None:
    run = Target(target, Path(tempfile.mkdtemp(prefix="fuzz-replay-")))
    for name in files:
        data = Path(name).read_bytes()
        began = time.perf_counter()
        try:
            outcome = run.run(data) or "ok"
        except Exception as exc:  # noqa: BLE001
            outcome = f"raised {type(exc).__name__}: {exc}"[:300]
        took = time.perf_counter() - began
        print(f"{name}: {len(data)} bytes, {took * 1000:.0f} ms, {took * 1024e3 / max(1, len(data)):.1f} ms/KB: {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["chain", "text", "warc", "replay"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--seconds", type=int, default=240)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--max-len", type=int, default=400_000)
    args = parser.parse_args()
    if args.target == "replay":
        replay(args.files[0], args.files[1:])
    else:
        fuzz(args.target, args.seconds, args.out or Path(f"/tmp/fuzz-{args.target}"), args.max_len)


if __name__ == "__main__":
    main()
