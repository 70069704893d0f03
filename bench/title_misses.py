"""The HTML titles `make quality` judges wrong, each with the headlines its page offers: what a
title rule has to choose from.

    python bench/title_misses.py [--data DIR] [--held-out]

Per miss: the annotated title, copydesk's, and the page's JSON-LD headline (H), og:title (O),
twitter:title (T), meta `headline`, <h1> elements and <title>; `--held-out` shows the held-out
pages' misses too (`quality.held_out`), which changes are not to be tuned on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lxml.html  # noqa: E402
from quality import DEFAULT_DATA, fetched_at, held_out, load_cases, normal  # noqa: E402

from processors import metadata  # noqa: E402
from processors.cleaning import clean  # noqa: E402
from processors.errors import StageError  # noqa: E402
from processors.extraction import extract  # noqa: E402
from processors.options import StageOptions  # noqa: E402
from schemas.models import RawArticle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--held-out", action="store_true", help="the held-out pages' misses too")
    args = parser.parse_args()
    options = StageOptions()
    right = pages = 0
    for case, html in load_cases(args.data, None):
        raw = RawArticle(url=case["url"], fetched_at=fetched_at(case), html=html)
        try:
            title = extract(clean(raw, options), options).title
        except StageError:
            title = None
        pages += 1
        if normal(title) == normal(case["expected"]["title"]):
            right += 1
            continue
        if held_out(case) and not args.held_out:
            continue
        tree = lxml.html.fromstring(html)
        page = metadata.read_page(tree)
        print(f"{'held-out' if held_out(case) else 'tuned'} {case['file']}")
        for label, value in (
            ("expected", case["expected"]["title"]), ("got", title), ("H", page.headline()),
            ("O", page.first("og:title")), ("T", page.first("twitter:title")), ("headline", page.first("headline")),
            ("h1", [metadata._text(h.text_content()) for h in tree.iterfind(".//h1")][:3]), ("title", page.title),
        ):
            print(f"    {label:<9}{value!r}")
    print(f"{right}/{pages} titles right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
