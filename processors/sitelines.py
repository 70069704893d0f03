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

State, passed in and returned like `processors.dedup`: a site's day is kept in chunks, each one
value under its own key: `<site>@<day>` (chunk 0), then `<site>#1@<day>`, `<site>#2@<day>`, ...
(the day of the article's `fetched_at` since the epoch, `dedup.state_key`):

    {"lines": {<fingerprint>: [<article tag>, ...], ...}}

A fingerprint is xxh3-64 of the line normalised (NFKC, case folded, every run of digits one
"0", punctuation and spacing collapsed), so "Updated 3 hours ago" and "Updated 5 hours ago"
are one line. An article tag is the first `_TAG_CHARS` hex digits of the article id. A line's
articles on a day are the union of its tags over the day's chunks. An article writes one chunk,
the day's last, with what it adds (a new chunk once the last holds `_CHUNK_LINES` lines): what
it copies and what the changelog carries follow its own lines, not the day's. Bounds: a
fingerprint keeps at most `sitelines_min_articles` tags per day (enough to decide), and a day
keeps at most `sitelines_max_lines_per_day` fingerprints; once it has them, the last chunk makes
way for an article's lines by dropping its least widely seen, and among equals its oldest (so
the furniture a site repeats is not crowded out by one-off lines). With a cap of at most
`_CHUNK_LINES` a day is one chunk and the cap applies to the whole day. A day written whole under
`<site>@<day>`, as before chunks, reads as the day's chunk 0. A replay of an article adds nothing
(its tag is already there) and gets the same lines dropped, since an article's own tag never
counts towards dropping its lines. Expiry is by key, as in `processors.dedup` (`expired_keys`).

Written by hand: no library learns per-site boilerplate from a stream; trafilatura's own
cross-document deduplication is a process-wide LRU cache, which cannot live in a changelogged
table or survive a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import xxhash

from processors import dedup
from processors.options import StageOptions

__all__ = [
    "SiteLinesCheck",
    "check_lines",
    "expired_keys",
    "line_fingerprint",
    "line_words",
    "lookup_keys",
]

#: Reads one state key (None when absent), as the shell's table does.
Lookup = Callable[[str], Mapping[str, Any] | None]

_DIGITS = re.compile(r"\d+")
_TAG_CHARS = 12
#: A day's chunk takes new lines until it holds this many: an article copies and writes at most
#: this many lines and its own.
_CHUNK_LINES = 256
#: A line needs this many letters to be counted: shorter ones are left to the line classifier.
_MIN_LETTERS = 4


@dataclass(frozen=True, slots=True)
class SiteLinesCheck:
    """`drop`: indexes (into the lines given) of the site's repeated lines, ascending.
    `writes`: the state key to write and its new value (empty when nothing changed).
    `words`: each line's `line_words`, in the order of the lines given."""

    drop: tuple[int, ...]
    writes: dict[str, dict[str, Any]]
    words: tuple[list[str], ...] = ()

    def kept(self, lines: Sequence[str]) -> tuple[str, ...]:
        dropped = set(self.drop)
        return tuple(line for i, line in enumerate(lines) if i not in dropped)

    def kept_words(self) -> list[str]:
        """The words of the lines kept, in order: those of the body they make, as
        `dedup.NormalBody` reads it (see `line_words`)."""
        dropped = set(self.drop)
        kept = (words for i, words in enumerate(self.words) if i not in dropped) if dropped else self.words
        return list(chain.from_iterable(kept))


def line_words(line: str) -> list[str]:
    """A line's runs of letters and digits, NFKC and case folded: what its fingerprint is made
    of. They are also the line's words in `dedup.NormalBody`: NFKC composes nothing across a line
    break and case folding goes code point by code point, so the words of the body extracted
    from an article's kept lines are theirs in order (`SiteLinesCheck.kept_words`), which the
    extraction step hands to the url step in the same process."""
    return dedup.normal_words(unicodedata.normalize("NFKC", line).casefold())


def line_fingerprint(line: str, max_chars: int) -> str | None:
    """The fingerprint of a line; None for a line over `max_chars` characters or with too few
    letters to say anything."""
    if len(line) > max_chars:
        return None
    return _fingerprint(line_words(line))


def _fingerprint(words: list[str]) -> str | None:
    # The runs of letters and digits joined by single spaces, then each run of digits "0" (digits
    # are letters-or-digits, so the two steps commute): one pattern scan fewer than substituting
    # the gaps, no digit scan for a line of letters alone, and in a line with digits only its
    # words with digits scanned (a run of digits never spans two words).
    if not "".join(words).isalpha():
        words = [word if word.isalpha() else _DIGITS.sub("0", word) for word in words]
    normal = " ".join(words)
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
    others: Sequence[str] = (),
) -> SiteLinesCheck:
    """Which of an article's candidate lines (its paragraphs after the line classifier) the site
    has repeated in at least `options.sitelines_min_articles` other articles, and the state
    write that records this article's lines in a chunk of `<site>@<day>`.

    `day` is the article's event day (`dedup.day_of(fetched_at)`); `lookup` reads the chunks of
    the days of `lookup_keys(site, day, options.sitelines_horizon_days)`. `others` are more key
    bases of the same site, learnt by other writers (`processors.pipeline.site_lines_scope`):
    their articles count towards dropping a line as `site`'s own do, but only `site` is written,
    and the bound of a day's tags and lines holds for each key base on its own.
    """
    threshold = max(1, options.sitelines_min_articles)
    cap = options.sitelines_max_lines_per_day
    tag = article_id[:_TAG_CHARS]
    words = tuple(map(line_words, lines))
    max_chars = options.sitelines_max_line_chars
    fingerprints = [_fingerprint(w) if len(line) <= max_chars else None for line, w in zip(lines, words)]
    wanted = {fp for fp in fingerprints if fp is not None}
    # Each of the article's lines that a chunk in the horizon holds, with its tags there; most of
    # an article's lines are in no chunk, so each chunk is asked for the article's lines it has
    # (a set intersection over the article's few lines), not for each line in turn.
    seen: dict[str, set[str]] = {}
    chunks: list[tuple[str, Mapping[str, Sequence[str]]]] = []  # today's
    held_today: set[str] = set()
    bases = (site, *others)
    for past in range(options.sitelines_horizon_days + 1):
        for other, base in enumerate(bases):
            for key, stored in _day_chunks(base, day - past, lookup):
                held = stored.keys() & wanted
                if not past and not other:  # today's chunks of the key base written
                    chunks.append((key, stored))
                    held_today |= held
                for fp in held:
                    seen.setdefault(fp, set()).update(stored[fp])
    # Today's tags of a line, before the other days' are added to them below.
    today: dict[str, set[str] | Sequence[str]] = dict.fromkeys(wanted, ())
    today.update((fp, _tags_today(fp, chunks)) for fp in held_today)

    repeated = {fp for fp, tags in seen.items() if len(tags - {tag}) >= threshold}
    drop = tuple(i for i, fp in enumerate(fingerprints) if fp in repeated)
    if len(drop) == len(lines):
        drop = ()  # never an article's only line, nor all of its lines

    adds = [fp for fp in dict.fromkeys(fp for fp in fingerprints if fp is not None)
            if tag not in today[fp] and len(today[fp]) < threshold]
    if not adds:
        return SiteLinesCheck(drop, {}, words)
    key, into, others = _open_chunk(site, day, chunks, min(_CHUNK_LINES, cap), cap)
    written = {**into, **{fp: [*into.get(fp, ()), tag] for fp in adds}}
    return SiteLinesCheck(drop, {key: {"lines": _bounded(written, max(cap - others, 0))}}, words)


def _chunk_key(site: str, day: int, index: int) -> str:
    return dedup.state_key(f"{site}#{index}" if index else site, day)


def _day_chunks(site: str, day: int, lookup: Lookup) -> Iterator[tuple[str, Mapping[str, Sequence[str]]]]:
    """A day's chunks with lines in them, in the order they were written: read until the first
    key that holds nothing (most of a site's days hold nothing at all)."""
    index = 0
    while True:
        key = _chunk_key(site, day, index)
        stored = _lines_of(lookup(key))
        if not stored:
            return
        yield key, stored
        index += 1


def _tags_today(fp: str, chunks: list[tuple[str, Mapping[str, Sequence[str]]]]) -> set[str] | Sequence[str]:
    if len(chunks) == 1:
        return chunks[0][1].get(fp, ())
    tags: set[str] = set()
    for _, stored in chunks:
        tags.update(stored.get(fp, ()))
    return tags


def _open_chunk(
    site: str, day: int, chunks: list[tuple[str, Mapping[str, Sequence[str]]]], chunk_lines: int, cap: int
) -> tuple[str, Mapping[str, Sequence[str]], int]:
    """The chunk an article writes (its key and its lines) and how many lines the day's other
    chunks hold: the last chunk until it is full, then a new one while the day has room, and
    the last again once the day is at its cap (it then makes way for the article's lines)."""
    held = sum(len(stored) for _, stored in chunks)
    if chunks:
        key, last = chunks[-1]
        if len(last) < chunk_lines or held >= cap:
            return key, last, held - len(last)
    return _chunk_key(site, day, len(chunks)), {}, held


def _lines_of(value: Mapping[str, Any] | None) -> Mapping[str, Sequence[str]]:
    if not value:
        return {}
    stored = value.get("lines")
    return stored if isinstance(stored, Mapping) else {}


def _bounded(lines: dict[str, list[str]], cap: int) -> dict[str, list[str]]:
    """At most `cap` fingerprints: the most widely seen (in this chunk), then the most recently
    added (`lines` is the caller's own dict, in the order the fingerprints were added)."""
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
