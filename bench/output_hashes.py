"""One SHA-256 per input stream of what `copydesk process` writes, with the clock fixed: two
checkouts (or one, built two ways) that print the same hashes publish the same records.

    .venv/bin/python bench/output_hashes.py /tmp/before [--out DIR]
    .venv/bin/python bench/output_hashes.py . [--out DIR]

The streams are those of bench/ab_stages.py: make bench's page text (the seed, the 258 dev bodies
as page text, 1,000 synthetic articles), the same with a quarter of its inputs repeated, and the
258 dev pages as HTML. Each runs through `streams.offline.process_into` (the path of `copydesk
process`) with every record's `processed_at` at 2026-01-01T00:00:00Z, the checkout's own code
first on sys.path (the bench inputs from the checkout's bench/run.py, the repeats from this
one's). Prints which file `processors.cleaning` was loaded from (a `.py` or a compiled
extension), then per stream its inputs, records by role and hash; with --out, DIR/<stream>.tsv
holds the records (role, tab, record), to diff.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout")
    parser.add_argument("--out", type=Path, help="write DIR/<stream>.tsv")
    args = parser.parse_args()
    root = Path(args.checkout).resolve()
    sys.path[:0] = [str(root), str(root / "bench")]
    sys.path.append(str(HERE))

    import run as bench
    from repeats import with_repeats

    import processors.cleaning
    import streams.offline as offline
    from processors.pipeline import Clock
    from streams.settings import Settings

    offline.clock = lambda: Clock(now="2026-01-01T00:00:00Z")
    print("processors.cleaning:", processors.cleaning.__file__)
    cases = bench.fundus_cases()
    texts = [bench.seed_message(), *bench.fundus_texts(cases), *bench.distinct_articles(0, 1000, "-inproc")]
    inputs = {"text": texts, "dups": with_repeats(texts), "html": [page for page, _ in bench.html_messages(cases)]}
    for name, messages in inputs.items():
        lines: list[bytes] = []
        counts = offline.process_into(messages, Settings(), lambda role, value: lines.append(role.encode() + b"\t" + value))
        data = b"\n".join(lines) + b"\n"
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.tsv").write_bytes(data)
        print(f"{name}: {len(messages)} inputs, {dict(sorted(counts.items()))}, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
