"""Where the in-process chain spends its time: each function's inclusive and own share of
`streams.offline.OfflineRun.run_one` over make bench's page-text stream (the seed, the 258 dev
bodies as page text, 1,000 synthetic articles), or with --html over the 258 dev pages (what
`copydesk process` does to them), for one checkout.

    .venv/bin/python bench/profile_chain.py [CHECKOUT] [--html | --repeats] [--rounds 6] [--top 40] [--match REGEX]

--repeats runs the page-text stream with a quarter of its inputs repeated (bench/repeats.py), as
make bench's second page-text row does.

The chain runs in a child process with CHECKOUT (default: this one) first on sys.path, sampled by
py-spy at 500 Hz (`pip install py-spy` in the venv); a C function's time counts as its Python
caller's own. Without py-spy the child runs under cProfile instead, whose per-call cost inflates
the shares of small functions called often. Two checkouts' shares side by side are a profile
before and after a change; bench/ab_stages.py gives the time itself.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(1, sys.argv[1] + "/bench")
import run as bench
from streams.offline import OfflineRun
from streams.settings import Settings

settings = Settings()
if sys.argv[3] == "html":
    texts = [page for page, _ in bench.html_messages(bench.fundus_cases())]
else:
    texts = [bench.seed_message(), *bench.fundus_texts(bench.fundus_cases()), *bench.distinct_articles(0, 1000, "-inproc")]
    if sys.argv[3] == "repeats":
        sys.path.append(sys.argv[4])  # this checkout's bench/, for any CHECKOUT
        from repeats import with_repeats
        texts = with_repeats(texts)
for _ in range(int(sys.argv[2])):
    run = OfflineRun(settings)
    if hasattr(run, "run_many"):  # in batches, as `copydesk process` runs them
        from streams.offline import batches
        offset = 0
        for batch in batches(texts):
            run.run_many(batch, offset)
            offset += len(batch)
    else:
        for offset, value in enumerate(texts):
            run.run_one(value, offset)
"""

_LINE = re.compile(r":\d+\)")


def _stacks_py_spy(spy: str, root: Path, rounds: int, inputs: str) -> list[tuple[list[str], int]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.txt"
        subprocess.run(
            [spy, "record", "--rate", "500", "--format", "raw", "--output", str(out), "--",
             sys.executable, "-c", CHILD, str(root), str(rounds), inputs, str(HERE)],
            cwd=root, check=True, capture_output=True,
        )
        stacks = []
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            stacks.append(([_LINE.sub(")", f) for f in stack.split(";")], int(count)))
        return stacks


def _shares_cprofile(root: Path, rounds: int, inputs: str) -> tuple[Counter, Counter, float]:
    code = CHILD.replace("for _ in range", "import cProfile, pstats, json\nprof = cProfile.Profile()\nprof.enable()\nfor _ in range")
    code += "\nprof.disable()\nst = pstats.Stats(prof).stats\n"
    code += "print(json.dumps([[f'{fn} ({f.split(\"/\")[-1]})', v[2], v[3]] for (f, _l, fn), v in st.items()]))\n"
    done = subprocess.run([sys.executable, "-c", code, str(root), str(rounds), inputs, str(HERE)], cwd=root, check=True,
                          capture_output=True, text=True)
    import json

    rows = json.loads(done.stdout.strip().splitlines()[-1])
    own, inclusive = Counter(), Counter()
    for name, own_s, cum_s in rows:
        own[name] += own_s
        inclusive[name] = max(inclusive[name], cum_s)
    total = max((v for k, v in inclusive.items() if k.startswith(("run_one ", "run_many "))), default=1.0)
    return inclusive, own, total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkout", type=Path, nargs="?", default=HERE.parent)
    ap.add_argument("--html", action="store_true", help="the dev pages instead of the page-text stream")
    ap.add_argument("--repeats", action="store_true", help="the page-text stream with a quarter repeats")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--match", default=None, help="only the functions whose name matches")
    args = ap.parse_args()
    root = args.checkout.resolve()
    inputs = "html" if args.html else "repeats" if args.repeats else "text"
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy:
        inclusive, own, total = Counter(), Counter(), 0.0
        for frames, count in _stacks_py_spy(spy, root, args.rounds, inputs):
            start = next((i for i, f in enumerate(frames) if "run_one " in f or "run_many " in f), None)
            if start is None:
                continue
            frames = frames[start:]
            total += count
            for name in set(frames):
                inclusive[name] += count
            own[frames[-1]] += count
        how = "py-spy samples"
    else:
        inclusive, own, total = _shares_cprofile(root, args.rounds, inputs)
        how = "cProfile"
    what = {"html": "the dev pages", "repeats": "the page-text stream with a quarter repeats"}.get(inputs, "the page-text stream")
    print(f"{root}: the chain on {what}, {args.rounds} rounds, {how}; share of the chain, inclusive / own")
    shown = 0
    for name, n in inclusive.most_common():
        if args.match and not re.search(args.match, name):
            continue
        print(f"{100 * n / total:5.1f}% {100 * own[name] / total:5.1f}%  {name}")
        shown += 1
        if shown == args.top:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
