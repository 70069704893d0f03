"""Site-repeated lines: what a site prints around every article ("Subscribe to our newsletter
for daily updates", "Most read this week") is learnt from the site's own articles and dropped.

The line classifier of `processors.cleaning` knows furniture that every site prints in the same
words; each site also has its own. A line is the site's furniture when it appeared, in the same
normalised form, in at least `StageOptions.sitelines_min_articles` different articles of that
site within the last `StageOptions.sitelines_horizon_days` days. Body sentences are safe: a
sentence quoted in two articles stays, and an article never loses its only line or all its
lines. Long lines count as short ones do (a commenting policy of a few hundred characters under
every article is furniture); only lines over `StageOptions.sitelines_max_line_chars` are not
counted.

State, passed in and returned like `processors.dedup`: one value per site and day, under the key
`<site>@<day>` (the day of the article's `fetched_at` since the epoch, `dedup.state_key`):

    {"lines": {<fingerprint>: [<article tag>, ...], ...}}

A fingerprint is xxh3-64 of the line normalised (NFKC, case folded, every run of digits one
"0", punctuation and spacing collapsed), so "Updated 3 hours ago" and "Updated 5 hours ago"
are one line. An article tag is the first `_TAG_CHARS` hex digits of the article id. Bounds:
a fingerprint keeps at most `sitelines_min_articles` tags per day (enough to decide), and a day
keeps at most `sitelines_max_lines_per_day` fingerprints, the most widely seen first and, among
equals, the most recent (so the furniture a site repeats is not crowded out by one-off lines).
A replay of an article adds nothing (its tag is already there) and gets the same lines dropped,
since an article's own tag never counts towards dropping its lines. Expiry is by key, as in
`processors.dedup` (`expired_keys`).

Written by hand: no library learns per-site boilerplate from a stream; trafilatura's own
cross-document deduplication is a process-wide LRU cache, which cannot live in a changelogged
table or survive a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import xxhash

from processors import dedup
from processors.options import StageOptions

__all__ = [
    "SiteLinesCheck",
    "check_lines",
    "expired_keys",
    "line_fingerprint",
    "lookup_keys",
]

#: Reads one state key (None when absent), as the shell's table does.
Lookup = Callable[[str], Mapping[str, Any] | None]

_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"[^\W_]+")
_TAG_CHARS = 12
#: A line needs this many letters to be counted: shorter ones are left to the line classifier.
_MIN_LETTERS = 4


@dataclass(frozen=True, slots=True)
class SiteLinesCheck:
    """`drop`: indexes (into the lines given) of the site's repeated lines, ascending.
    `writes`: the state key to write and its new value (empty when nothing changed)."""

    drop: tuple[int, ...]
    writes: dict[str, dict[str, Any]]

    def kept(self, lines: Sequence[str]) -> tuple[str, ...]:
        dropped = set(self.drop)
        return tuple(line for i, line in enumerate(lines) if i not in dropped)


def line_fingerprint(line: str, max_chars: int) -> str | None:
    """The fingerprint of a line; None for a line over `max_chars` characters or with too few
    letters to say anything."""
    if len(line) > max_chars:
        return None
    # The runs of letters and digits joined by single spaces, then each run of digits "0" (digits
    # are letters-or-digits, so the two steps commute): one pattern scan fewer than substituting
    # the gaps, and no digit scan for a line of letters alone.
    words = _WORD.findall(unicodedata.normalize("NFKC", line).casefold())
    normal = " ".join(words)
    if not "".join(words).isalpha():
        normal = _DIGITS.sub("0", normal)
    if next(islice(filter(str.isalpha, normal), _MIN_LETTERS - 1, None), None) is None:  # fewer letters
        return None
    return xxhash.xxh3_64_hexdigest(normal.encode("utf-8"))


def lookup_keys(site: str, day: int, horizon_days: int) -> list[str]:
    """Keys to read for `site` on `day`, today's first."""
    return dedup.lookup_keys(site, day, horizon_days)


def expired_keys(keys: Iterable[str], today: int, horizon_days: int) -> list[str]:
    return dedup.expired_keys(keys, today, horizon_days)


def check_lines(
    site: str,
    lines: Sequence[str],
    article_id: str,
    day: int,
    lookup: Lookup,
    options: StageOptions,
) -> SiteLinesCheck:
    """Which of an article's candidate lines (its paragraphs after the line classifier) the site
    has repeated in at least `options.sitelines_min_articles` other articles, and the state
    write that records this article's lines under `<site>@<day>`.

    `day` is the article's event day (`dedup.day_of(fetched_at)`); `lookup` reads the keys of
    `lookup_keys(site, day, options.sitelines_horizon_days)`.
    """
    threshold = max(1, options.sitelines_min_articles)
    tag = article_id[:_TAG_CHARS]
    fingerprints = [line_fingerprint(line, options.sitelines_max_line_chars) for line in lines]
    wanted = {fp for fp in fingerprints if fp is not None}
    keys = lookup_keys(site, day, options.sitelines_horizon_days)
    today_key = keys[0]
    today: Mapping[str, Sequence[str]] = {}
    seen: dict[str, set[str]] = {fp: set() for fp in wanted}
    for key in keys:
        stored = _lines_of(lookup(key))
        if key == today_key:
            today = stored
        if stored:  # most of a site's days hold nothing
            for fp in wanted:
                seen[fp].update(stored.get(fp, ()))

    repeated = {fp for fp in wanted if len(seen[fp] - {tag}) >= threshold}
    drop = tuple(i for i, fp in enumerate(fingerprints) if fp in repeated)
    if len(drop) == len(lines):
        drop = ()  # never an article's only line, nor all of its lines

    # The day's entry is read, not copied, unless this article adds to it: a site's day holds up
    # to sitelines_max_lines_per_day lines, and an article's cost should follow its own lines.
    added = {}
    for fp in dict.fromkeys(fp for fp in fingerprints if fp is not None):
        tags = today.get(fp, ())
        if tag not in tags and len(tags) < threshold:
            added[fp] = [*tags, tag]
    if not added:
        return SiteLinesCheck(drop, {})
    lines = {**today, **added}
    return SiteLinesCheck(drop, {today_key: {"lines": _bounded(lines, options.sitelines_max_lines_per_day)}})


def _lines_of(value: Mapping[str, Any] | None) -> Mapping[str, Sequence[str]]:
    if not value:
        return {}
    stored = value.get("lines")
    return stored if isinstance(stored, Mapping) else {}


def _bounded(lines: dict[str, list[str]], cap: int) -> dict[str, list[str]]:
    """At most `cap` fingerprints: the most widely seen, then the most recently added (`lines`
    is the caller's own dict, in the order the fingerprints were added)."""
    excess = len(lines) - cap
    if excess <= 0:
        return lines
    # Read only as far as the lines to drop: most often the first few seen once, the fewest
    # possible when no line has an empty tag list.
    dropped = list(islice(_seen(lines, 1), excess)) if all(lines.values()) else []
    if len(dropped) < excess:
        dropped = []
        for size in sorted(set(map(len, lines.values()))):  # the least seen first, the oldest first
            dropped += islice(_seen(lines, size), excess - len(dropped))
            if len(dropped) == excess:
                break
    for fp in dropped:
        del lines[fp]
    return lines


def _seen(lines: dict[str, list[str]], times: int) -> Iterator[str]:
    """The lines seen in `times` articles, oldest first."""
    return (fp for fp, tags in lines.items() if len(tags) == times)
