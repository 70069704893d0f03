"""Cleaning: from a crawler's raw page to the article body as paragraphs, plus page hints.

Two inputs, two paths:

* HTML (`raw.html`): trafilatura does the hard part, finding the article in the markup and
  reading the page's metadata (title, authors, date via htmldate, canonical URL, site name,
  description). The page is parsed once (`trafilatura.load_html`'s tree, from the page's UTF-8
  bytes: `_load_html`) and that tree is handed to `bare_extraction`, which copies it before
  pruning; the `<html lang>` hint is read off the same tree, and the recall-oriented second
  attempt, when the first finds no body, reuses it too.
  Intake's two checks on large or odd bodies run here for HTML, right after that parse:
  `html_too_deep` reads the parse's own error log (trafilatura parses with its module's
  `HTML_PARSER`, whose log is that of its last parse; were it gone from a later trafilatura, the
  check parses the page itself), then `repetitive_body`, both before trafilatura's extraction,
  whose cost they bound. The page's metadata is trafilatura's `extract_metadata` run step by step
  (`_trafilatura_metadata`) instead of through `bare_extraction(with_metadata=True)`: the same
  functions in the same order, less the categories, tags and licence copydesk never publishes,
  which were 3.5 of its 7.6 ms per page on the dev set (issue 7), and once per page even when a
  second, recall-oriented extraction runs. Two of its steps run only where their answer is read:
  htmldate, for a page whose own JSON-LD date is not taken, and the author (the markup's reading,
  which prunes a copy of the whole tree, and the search of JSON-LD that does not parse), for a
  page whose JSON-LD names no person (`_trafilatura_author`). Of the steps, the reading of
  JSON-LD that does not parse as JSON is redone here (`_json_ld`): trafilatura's cuts each
  author it finds out of the whole text and searches it again from the start, which is
  quadratic in the script's length (seconds for a live blog's script of 800 KB); the same
  answers, found in one pass.
  The paragraphs trafilatura keeps are judged by the text path's furniture vocabulary too
  (pointers to other stories, sign-up and paywall prompts, copyright lines it leaves in).
  Library calls stay deterministic: trafilatura's cross-document deduplication (a module-level
  LRU cache) stays off, and htmldate's upper date bound is the fetch time, not the clock.
* Text (`raw.text`, a page as a crawler saved it): written here by hand, because no library
  cleans *already flattened* page text: trafilatura and jusText classify DOM blocks, and with
  the markup gone they see one block. Each line is classified from cheap features (length, word
  count, stopword ratio, terminal punctuation, position relative to the prose, vocabulary) so
  that page furniture (icon-label runs, media-player tails, share and cookie lines, lone credit
  tokens) goes, datelines, bylines and the headline go to `PageHints`, and body paragraphs,
  short quoted sentences included, stay. A line's length in words is counted in characters for
  scripts written without spaces (Han, kana, Thai, Khmer...: `vocabulary.UNSPACED_SCRIPTS`), and
  sentences end with any script's marks ("。", "।", "؟"...). The body is then the densest span of
  prose (`_densest_span`) of a whole page's lines: lines the page prints twice weigh nothing
  there (a menu at its head and foot, an offer printed twice), a teaser list's summaries are not
  prose (`_without_teasers`), a section heading (comments, most read) is a wall the span pays to
  cross, and the standfirst that a byline and share buttons set apart comes back. It must run
  at thousands of articles per second, so it is regular expressions compiled at import and set
  look-ups, nothing per line that allocates a parser.

Datelines are parsed by hand too: four compiled patterns and the month table of
`processors.vocabulary` read "24 Feb, 2016 12:18", "February 24, 2016", "2016-02-24 12:18" and
"24.02.2016" in a few microseconds, where `dateparser.parse` (installed with htmldate) takes
about a millisecond per call, which alone would exceed the text path's whole budget.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone, tzinfo
from html import unescape as html_unescape
from typing import Mapping, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import courlan
import trafilatura
from trafilatura import json_metadata as trafilatura_json
from trafilatura import metadata as trafilatura_metadata
from trafilatura import utils as trafilatura_utils
from trafilatura.xpaths import BODY_XPATH

from processors import intake, justext_revise, metadata, nextdata, text_nodes
from processors import vocabulary as vocab
from processors.errors import CleaningError
from processors.extraction import detect_language
from processors.options import StageOptions
from schemas.models import CleanedArticle, PageHints, RawArticle

# trafilatura's jusText fallback, with its paragraph classes revised in linear time, and its
# main extraction stripping tags with one text node left per run of text.
justext_revise.install()
text_nodes.install()

__all__ = ["clean", "parse_dateline", "split_authors"]

# --- shared patterns ---------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
#: From the first to the last letter or digit: one left-to-right scan, where an
#: "edge punctuation" substitution would retry its end anchor at every position.
_ALNUM_SPAN = re.compile(r"[^\W_](?:.*[^\W_])?", re.DOTALL)
#: A word; the vowel signs of Indic scripts (Devanagari to Sinhala, less the dandas), which
#: `\w` leaves out, are part of it.
_WORD = re.compile(r"[\w\u0900-\u0963\u0966-\u0dff]+(?:['’-][\w\u0900-\u0963\u0966-\u0dff]+)*")
#: Ends like a sentence: terminal punctuation, in any script, possibly inside closing quotes or
#: brackets.
_SENTENCE_END_CHARS = frozenset(".!?…:;" + vocab.SENTENCE_END_MARKS)
_CLOSING_QUOTES = frozenset("\"”’»」』")


def _ends_sentence(line: str) -> bool:
    """Whether the line ends as a sentence does: on a stop, then perhaps closing quotes and
    brackets (`vocab.SENTENCE_CLOSERS`), or on a closing quote; or on a full stop, then the short
    code in brackets of the agency or editor who wrote it ("... teilte die Stadt mit. (dpa)",
    "... Jakarta. (E-2)"; not a teaser's "... a Classic! (VIDEO)"). Read from the end (a pattern
    anchored at the end is tried at every stop of the line). Lines come whitespace-collapsed:
    none ends with a line break."""
    if line[-1:] in _CLOSING_QUOTES or line.rstrip(vocab.SENTENCE_CLOSERS)[-1:] in _SENTENCE_END_CHARS:
        return True
    if line[-1:] != ")":
        return False
    opening = line.rfind("(", max(0, len(line) - _REPORT_CODE_MAX_CHARS - 2), len(line) - 2)
    before = line[:opening].rstrip().rstrip(vocab.SENTENCE_CLOSERS)
    return opening > 0 and ")" not in line[opening:-1] and before[-1:] == "."


#: The longest code of an agency or an editor in brackets closing a report's paragraph ("(dpa)",
#: "(AFP/red)", "(E-2)").
_REPORT_CODE_MAX_CHARS = 12


#: Runs of each script written without spaces (`vocab.UNSPACED_SCRIPTS`), and their weights.
_UNSPACED = tuple((re.compile(f"[{ranges}]+"), 1.0 / chars_per_word) for ranges, chars_per_word in vocab.UNSPACED_SCRIPTS)
_ANY_UNSPACED = re.compile("[" + "".join(ranges for ranges, _ in vocab.UNSPACED_SCRIPTS) + "]")
#: A line of an unspaced script with a run of at least this many words (12 Han or kana
#: characters, 35 Thai ones) is running text, not a menu of short labels.
_UNSPACED_PROSE_RUN = 7.0
#: A line without a sentence's final mark is prose from this many words on (with function
#: words among them): a teaser's headline has fewer.
_PROSE_MIN_WORDS = 12
#: ... and at least this many characters: a teaser's headline, however many words it has, is
#: shorter (a standfirst may be too: see `_standfirst`).
_HEADLINE_MAX_CHARS = 100
#: ... and, without a sentence's final mark, at least this many words in all: a teaser's
#: headline runs long too.
_UNSPACED_PROSE_WORDS = 20
#: A sentence break inside a line: a full stop after a word, then a capital. A line without
#: final punctuation but with two of these is sentences whose last stop the page left out.
_INNER_SENTENCE_BREAK = re.compile(r"[^\W\d_]{2}[.!?]\s+[^\W\d_]")
_DURATION = re.compile(r"^\d{1,2}(?::\d{2}){1,2}$")
_COOKIE_CONTEXT = re.compile(
    r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(vocab.COOKIE_CONTEXT_WORDS, key=len, reverse=True))) + ")"
)

# --- datelines ---------------------------------------------------------------------------------

_COOKIE_POLICY = re.compile("|".join(map(re.escape, vocab.COOKIE_POLICY_VOICE)))
_PREFIXES = sorted(
    [(p, False) for p in vocab.DATELINE_PUBLISHED_PREFIXES]
    + [(p, True) for p in vocab.DATELINE_UPDATED_PREFIXES],
    key=lambda pair: -len(pair[0]),
)
_PREFIX_RE = re.compile(
    r"^(?P<prefix>" + "|".join(re.escape(p) for p, _ in _PREFIXES) + r")\b\s*(?:on|at)?\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_UPDATED_PREFIXES = frozenset(p for p, updated in _PREFIXES if updated)
_WEEKDAY_RE = re.compile(r"^(?P<wd>[^\W\d_]{3,10})\.?,?\s+")

_TIME = (
    r"(?:\s*(?:,|at|um|à|a las|alle|-|–|\||T)?\s*"
    r"(?P<H>\d{1,2})[:.h](?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?\s*(?:uhr|h)?)?"
)
_ZONE = r"\s*\(?(?P<tz>z|[+-]\d{2}:?\d{2}|(?:gmt|utc)(?:\s?[+-]\d{1,2}(?::?\d{2})?)?|[a-z]{2,5})?\)?\s*"
_DATE_FORMS = tuple(
    re.compile(pattern + _TIME + _ZONE + r"$", re.IGNORECASE)
    for pattern in (
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\.?\s*(?:de\s+)?(?P<mon>[^\W\d_]{3,10})\.?,?\s*(?:de\s+)?(?P<y>\d{4})",
        r"(?P<mon>[^\W\d_]{3,10})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})",
        r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
        r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})",
    )
)
_ZONE_OFFSET = re.compile(r"^(?:gmt|utc)?\s?(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$")
_DATELINE_SEGMENTS = re.compile(r"\s+[|/·•]\s+|\s+(?=(?:edited|updated|last updated)\b)", re.I)
#: The longest line worth trying as a dateline; prose mentioning a date is longer.
_DATELINE_MAX_CHARS = 90


def parse_dateline(line: str, assume_timezone: str = "UTC") -> str | None:
    """The publication time a lone dateline gives, as RFC 3339 with an offset, else None.

    A line is a dateline only when all of it is a date (after an optional "Published:" /
    "Updated:" prefix and a weekday); a sentence that mentions a date is not. A line with
    several dates ("Published 24 Feb / Updated 25 Feb") gives the published one. Times without
    a zone are read in `assume_timezone`; dates without a time are read as midnight there.
    """
    line = line.strip()
    if not line or len(line) > _DATELINE_MAX_CHARS or not any(map(str.isdigit, line)):
        return None
    segments = _DATELINE_SEGMENTS.split(line)
    found: list[tuple[bool, str]] = []
    for segment in segments:
        parsed = _parse_date_segment(segment, assume_timezone)
        if parsed is None:
            return None
        found.append(parsed)
    published = [value for updated, value in found if not updated]
    return (published or [found[0][1]])[0]


def _parse_date_segment(text: str, assume_timezone: str) -> tuple[bool, str] | None:
    updated = False
    match = _PREFIX_RE.match(text)
    if match:
        updated = match["prefix"].lower() in _UPDATED_PREFIXES
        text = text[match.end():]
    match = _WEEKDAY_RE.match(text)
    if match and match["wd"].lower() in vocab.WEEKDAYS:
        text = text[match.end():]
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            value = _to_rfc3339(match.groupdict(), assume_timezone)
            return None if value is None else (updated, value)
    return None


def _to_rfc3339(parts: dict[str, str | None], assume_timezone: str) -> str | None:
    if parts.get("mon") is not None:
        month = vocab.MONTHS.get(parts["mon"].lower().rstrip("."))
        if month is None:
            return None
    else:
        month = int(parts["m"])  # type: ignore[arg-type]
    hour = int(parts["H"]) if parts.get("H") else 0
    minute = int(parts["M"]) if parts.get("M") else 0
    second = int(parts["S"]) if parts.get("S") else 0
    ampm = (parts.get("ampm") or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    zone = _zone(parts.get("tz"), assume_timezone)
    if zone is None:
        return None
    try:
        moment = datetime(int(parts["y"]), month, int(parts["d"]), hour, minute, second,  # type: ignore[arg-type]
                          tzinfo=zone)
    except ValueError:
        return None
    return moment.isoformat(timespec="seconds")


def _zone(token: str | None, assume_timezone: str) -> tzinfo | None:
    if not token:
        return ZoneInfo(assume_timezone)
    token = token.lower().replace(" ", "")
    if token in vocab.ZONE_ABBREVIATIONS:
        return timezone(timedelta(minutes=vocab.ZONE_ABBREVIATIONS[token]))
    match = _ZONE_OFFSET.match(token)
    if match:
        minutes = int(match["h"]) * 60 + int(match["m"] or 0)
        return timezone(timedelta(minutes=-minutes if match["sign"] == "-" else minutes))
    if token in ("am", "pm"):
        return None
    # An unknown abbreviation: the time is there, its zone is not knowable; assume as documented.
    return ZoneInfo(assume_timezone)


# --- bylines -----------------------------------------------------------------------------------

_BYLINE_OPENINGS = sorted(vocab.BYLINE_PREFIXES + vocab.BYLINE_GENRE_PREFIXES, key=len, reverse=True)
_BYLINE_RE = re.compile(
    r"^(?:" + "|".join(map(re.escape, _BYLINE_OPENINGS)) + r")\s+(?P<names>.+)$",
    re.IGNORECASE,
)
_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "del", "la", "le",
                             "al", "el", "bin", "ibn", "du", "dos", "y"})
_BYLINE_MAX_CHARS = 120


#: Names from an author string ("A; B", "A, B and C"), see `processors.metadata`.
split_authors = metadata.split_author_names


def _byline_authors(line: str) -> tuple[str, ...] | None:
    if len(line) > _BYLINE_MAX_CHARS:
        return None
    match = _BYLINE_RE.match(line)
    if not match:
        return None
    names = re.split(r"\s+[|•·–—-]\s+", match["names"], maxsplit=1)[0].rstrip(".")
    authors = split_authors(names)
    if not authors or not all(_looks_like_name(a) for a in authors):
        return None
    return authors


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 5:
        return False
    return all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in words) and words[0][0].isupper()


# --- line classification (text path) ----------------------------------------------------------


class _Line(NamedTuple):
    text: str
    block_start: bool  # a blank line (or the start) precedes it
    prose: bool
    #: Running text too short to weigh as prose: a teaser's headline, a standfirst, a sentence
    #: whose final mark the page left out.
    headline: bool = False
    #: What the span pays to run on to it: a section heading (`vocab.SECTION_HEADINGS`: comments,
    #: most read...) or a comment's head came right before it (0: none).
    wall: float = 0.0
    #: How many lines the page printed between the kept line before it and this one, dropped as
    #: furniture, labels, bylines or dates.
    gap: int = 0
    #: The short line right above it (one or two words, or a box heading ending on a verb), when
    #: that was the only line dropped between it and the kept line before: a subhead, or a credit
    #: or a label (see `_with_subheads`).
    label: str | None = None
    #: An item of the story's own list, under its lead-in (see `_with_lists`).
    item: bool = False


def _line(
    text: str, block_start: bool, lowered: str, sentence: bool, weight: _Weight | None, wall: float = 0.0,
    gap: int = 0,
) -> _Line:
    """The line classified. Prose: a sentence, or running text longer than a headline (in a
    script without spaces, where no stoplist can be read, a long enough run of running text);
    a headline: running text shorter than that."""
    if sentence:
        if text[-1] in ":：" and " " not in text:
            return _Line(text, block_start, False, False, wall, gap)  # a label
        if text.endswith(("...", "…")) and _is_capitalised_run(text, _CUT_TEASER_MIN_WORDS):
            return _Line(text, block_start, False, False, wall, gap)  # a title-case teaser, cut short
        return _Line(text, block_start, any(map(str.isalpha, text)), False, wall, gap)
    if weight is not None:
        prose = weight.words >= _UNSPACED_PROSE_WORDS and weight.longest_run >= _UNSPACED_PROSE_RUN
        return _Line(text, block_start, prose, False, wall, gap)
    running = _is_running_text(text, lowered) and not _is_capitalised_run(text)
    prose = running and len(text) >= _HEADLINE_MAX_CHARS
    return _Line(text, block_start, prose, running and not prose, wall, gap)


_CAPITALISED_WORD = re.compile(r"(?<![\w'’-])[^\W\d_]")


def _is_capitalised_run(text: str, min_words: int = _PROSE_MIN_WORDS) -> bool:
    """Most words capitalised, no sentence's final mark: a menu's or a tag list's links run
    together ("My Europe Monde Business Politique de l'UE Green Next Santé Voyage"), or headlines
    in title case; not running text, whatever its stopwords (German prose capitalises nouns, about
    two words in five)."""
    initials = _CAPITALISED_WORD.findall(text)
    return len(initials) >= min_words and sum(map(str.isupper, initials)) >= _CAPITALISED_SHARE * len(initials)


#: The share of a line's words that open with a capital letter, from which it is no running text.
_CAPITALISED_SHARE = 0.7
#: A line cut short by "..." with this many words or more, nearly all capitalised, is a teaser's
#: headline, not a sentence.
_CUT_TEASER_MIN_WORDS = 6


_QUOTES = str.maketrans({"’": "'", "‘": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def furniture_key(line: str) -> str:
    """The form in which lines are compared with the furniture vocabulary and with the title:
    case-folded, typographic quotes made plain, punctuation off both ends, spacing collapsed."""
    match = _ALNUM_SPAN.search(line.casefold().translate(_QUOTES))
    return " ".join(match.group().split()) if match else ""


def _cue_patterns(cues: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The cues of spaced scripts as whole words or phrases ("registrati" is not in
    "registration"), under one pair of lookarounds (a pair per cue costs three times as much);
    the cues of scripts without spaces, which can only be matched inside their runs (None when
    there are none)."""
    spaced = [c for c in cues if c[0] < "\u3000" and c[-1] < "\u3000"]
    unspaced = [c for c in cues if c not in spaced]
    return (
        re.compile(r"(?<!\w)" + _trie_alternation(spaced) + r"(?!\w)"),
        re.compile("|".join(map(re.escape, unspaced))) if unspaced else None,
    )


def _trie_alternation(words: list[str]) -> str:
    """A group matching any of `words`, their shared openings written once ("sign (?:in|up)"):
    `re` tries a flat alternation of a few hundred phrases one by one at every position, this
    one character by character. A longer word is tried before its prefix, as in a flat
    alternation sorted longest first."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def group(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + group(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if "" in node else "")

    return "(?:" + group(trie) + ")"


_SPACED_CUE, _UNSPACED_CUE = _cue_patterns(vocab.FURNITURE_CUES + vocab.PROMPT_CUES)
_STORY_CREDIT, _ = _cue_patterns(vocab.STORY_CREDIT_CUES)


_SPACED_PROMPT, _UNSPACED_PROMPT = _cue_patterns(vocab.PROMPT_CUES)


def _has_cue(lowered: str, spaced: re.Pattern[str], unspaced: re.Pattern[str] | None) -> bool:
    return spaced.search(lowered) is not None or (
        unspaced is not None and not lowered.isascii() and unspaced.search(lowered) is not None
    )


def _has_furniture_cue(lowered: str) -> bool:
    """A furniture cue (`vocab.FURNITURE_CUES`) or a prompt's (`vocab.PROMPT_CUES`) in the line."""
    return _has_cue(lowered, _SPACED_CUE, _UNSPACED_CUE)


def _is_sign_in_state(lowered: str) -> bool:
    """The visitor's sign-in state above a comment form (`vocab.SIGN_IN_STATES`)."""
    return lowered.startswith(vocab.SIGN_IN_STATES) or (
        len(lowered) <= vocab.SIGN_IN_LINE_MAX_CHARS and any(state in lowered for state in vocab.SIGN_IN_STATES)
    )


#: How a short furniture line opens: a vocabulary prefix, a link's arrow, or a colon (a teaser's
#: headline whose kicker the page printed on the line before).
_FURNITURE_STARTS = (*vocab.FURNITURE_PREFIXES, *vocab.LINK_ARROW_STARTS, ":", "：")


def _is_furniture(line: str, lowered: str) -> bool:
    """Furniture judged from a whole line: vocabulary openings, consent banners, contact notes,
    icon runs."""
    size = len(line)
    if size <= vocab.FURNITURE_PREFIX_MAX_CHARS and (
        lowered.startswith(_FURNITURE_STARTS) or lowered.endswith(vocab.LINK_ARROW_ENDS)
    ):
        return True
    if "cookie" in lowered and (
        _COOKIE_CONTEXT.search(lowered) if size <= vocab.COOKIE_LINE_MAX_CHARS else _COOKIE_POLICY.search(lowered)
    ):
        return True
    if size <= vocab.FURNITURE_CUE_MAX_CHARS:
        if _has_furniture_cue(lowered):
            return True
    elif size <= vocab.PROMPT_CUE_MAX_CHARS and _has_cue(lowered, _SPACED_PROMPT, _UNSPACED_PROMPT):
        return True
    if size <= vocab.PROMPT_CUE_MAX_CHARS and _is_sign_in_state(lowered):
        return True
    if size <= vocab.STORY_CREDIT_CUE_MAX_CHARS and "ing by" in lowered and _STORY_CREDIT.search(lowered):
        return True
    if "@" in line and size <= vocab.EMAIL_LINE_MAX_CHARS and _is_contact_note(line):
        return True
    if ("/" in lowered[-30:] or "(@" in lowered) and _is_embedded_post(lowered):
        return True
    if lowered.endswith(_TEASER_LINK_ENDS) and _TEASER_LINK.search(lowered, max(0, len(lowered) - _TEASER_LINK_SPAN)):
        return True
    return _is_icon_run(lowered)


#: An e-mail address (see `vocab.EMAIL_LINE_MAX_CHARS`).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w")
#: Where the words of a label before an address begin: after the mark before them, if any.
_LABEL_START = re.compile(r"[.!?;:,：•|]")
_SITE_VOICE = re.compile(r"\b(?:" + "|".join(vocab.EMAIL_SITE_VOICE) + r")\b")


def _is_contact_note(line: str) -> bool:
    """A line holding an e-mail address that gives the site's or a photographer's contact, not
    one that a story names (`vocab.EMAIL_LINE_MAX_CHARS`)."""
    address = _EMAIL.search(line)
    if address is None:
        return False
    if len(line) <= vocab.EMAIL_SHORT_LINE_MAX_CHARS:
        return True
    before = line[: address.start()].rstrip()
    if not before:
        return True
    if before[-1] in ":,：" and len(_LABEL_START.split(before[:-1])[-1].split()) <= vocab.EMAIL_LABEL_MAX_WORDS:
        return True  # "Email: ...", "News: editor@...", a credit's "Jacob Sjöman, jacob@..."
    return _SITE_VOICE.search(line) is not None and not any(mark in line for mark in vocab.QUOTATION_MARKS)


#: A teaser's closing link (`vocab.TEASER_LINK_WORDS`) after a sentence's last mark or a bar.
_TEASER_LINK_ENDS = tuple(" " + word for word in vocab.TEASER_LINK_WORDS) + tuple("." + w for w in vocab.TEASER_LINK_WORDS)
_TEASER_LINK = re.compile(
    r"(?:[.!?…\"'”’»]|\s\|) ?(?:" + "|".join(map(re.escape, sorted(vocab.TEASER_LINK_WORDS, key=len, reverse=True))) + ")$"
)
_TEASER_LINK_SPAN = max(map(len, vocab.TEASER_LINK_WORDS)) + 3


#: An embedded post's last line, closed by its picture's or link's short address; the line that
#: credits it ("— Luke Pollard MP (@LukePollard) August 5, 2024"): an account's handle in
#: brackets and a date that ends with its year.
_POST_END = re.compile(r"(?:pic\.twitter\.com|https?://t\.co)/\w+$")
_POST_CREDIT = re.compile(r"[—–-] .{1,80}\(@\w{1,30}\) [^()]{4,30}\d{4}$")


def _is_embedded_post(lowered: str) -> bool:
    if _POST_END.search(lowered, max(0, len(lowered) - 40)) is not None:
        return True
    return lowered[0] in "—–-" and "(@" in lowered and _POST_CREDIT.match(lowered) is not None


_ICON_MARKER = re.compile("|".join(re.escape(m) for m in vocab.ICON_MARKERS))


def _is_icon_run(lowered: str) -> bool:
    """A run of icon labels ("facebook-icon twitter-icon mail-icon ..."): four tokens or more, at
    least three of them and three in ten holding a marker. A marker holds no whitespace, so each
    marked token holds a match of its own: the line's matches bound the marked tokens from above,
    and a line of prose that only names an icon is let go without a search per token."""
    found = len(_ICON_MARKER.findall(lowered))
    if found < 3:
        return False
    tokens = lowered.split()
    if len(tokens) < 4 or found * 10 < len(tokens) * 3:
        return False
    marked = sum(1 for t in tokens if _ICON_MARKER.search(t))
    return marked >= 3 and marked * 10 >= len(tokens) * 3


_CREDIT_LINE = re.compile(
    r"^[(\[]?\s*(?:" + "|".join(re.escape(w) for w in sorted(vocab.CREDIT_LABELS, key=len, reverse=True))
    + r")\s*[:：/|]\s*[^\s:：].{0," + str(vocab.CREDIT_LINE_MAX_CHARS) + r"}$"
)


def is_credit_line(lowered: str) -> bool:
    """A picture's or a video's credit ("Photo: AFP", "Foto: dpa", "写真：共同"), case-folded, or a
    caption that ends with one (`vocab.CAPTION_CREDIT_LABELS`), or with an agency's name or
    `vocab.CAPTION_CLOSING_CREDITS` right after its last sentence's mark. Each run of whitespace in the
    line is one space (both paths collapse them), so that a caption's credit can only stand in
    its last `_CAPTION_CREDIT_SPAN` characters, and only those are searched."""
    if len(lowered) <= vocab.CREDIT_LINE_MAX_CHARS + 20 and _CREDIT_LINE.match(lowered) is not None:
        return True
    start = max(0, len(lowered) - _CAPTION_CREDIT_SPAN)
    if (
        lowered.endswith(_UNSPACED_CAPTION_CREDIT_ENDS) or "＝" in lowered[-12:]
    ) and _UNSPACED_CAPTION_CREDIT.search(lowered, start) is not None:
        return True
    if "/" in lowered[-_AGENCY_CREDIT_SPAN:] and _AGENCY_CREDIT.search(lowered, max(0, len(lowered) - _AGENCY_CREDIT_SPAN)):
        return True
    if (
        lowered.endswith(_CLOSING_CREDIT_ENDS)
        and _CLOSING_CREDIT.search(lowered, max(0, len(lowered) - 60))
        and not (lowered[-1] == ")" and _ends_sentence(lowered) and _INNER_SENTENCE_BREAK.search(lowered))
    ):
        # Not an agency's code in brackets closing two sentences or more: a report's paragraph
        # ("... beginnt um 12 Uhr. Der Eintritt ist frei. (dpa)").
        return True
    if not any(map(lowered[start:].__contains__, _CAPTION_CREDIT_MARKS)):
        return False
    if ":" in lowered[-_PLAIN_CAPTION_CREDIT_SPAN:] and (
        plain := _PLAIN_CAPTION_CREDIT.search(lowered, max(0, len(lowered) - _PLAIN_CAPTION_CREDIT_SPAN))
    ):
        # Names, not words of a sentence ("he showed us the photo: a crowd on the square").
        return vocab.CLEANING_STOPWORDS.isdisjoint(_words(plain["credit"]))
    return _CAPTION_CREDIT.search(lowered, start) is not None


_PHOTO_AGENCY = "(?:" + "|".join(map(re.escape, sorted(vocab.PHOTO_AGENCIES, key=len, reverse=True))) + ")"
#: A credit that joins a picture agency and a name with a slash, closing a line that does not end
#: a sentence: the agency first and at most 40 characters after it, or the agency last (with a
#: hyphened suffix: "dpa-Zentralbild").
_AGENCY_CREDIT = re.compile(
    r"(?:(?<![\w/])" + _PHOTO_AGENCY + r" ?/ ?[^\s/][^/]{0,40}|/ ?" + _PHOTO_AGENCY + r"(?:-[\w.]+)?\)?)(?<![.!?])$"
)
_CLOSING_CREDITS = sorted({*vocab.PHOTO_AGENCIES, *vocab.CAPTION_CLOSING_CREDITS}, key=len, reverse=True)
#: A caption's credit without a label (`vocab.CAPTION_CLOSING_CREDITS`): right after its last
#: sentence's mark, or an agency in brackets after the photographer's name.
_CLOSING_CREDIT = re.compile(
    r"(?:[.!?)\]»”\"'] ?\(?(?:" + "|".join(map(re.escape, _CLOSING_CREDITS)) + r")\)?"
    r"|[.!?] [^.!?()]{3,40} \((?:" + "|".join(map(re.escape, vocab.PHOTO_AGENCIES)) + r")\))$"
)
_CLOSING_CREDIT_ENDS = tuple(_CLOSING_CREDITS) + tuple(f"{credit})" for credit in _CLOSING_CREDITS)
#: How far from a line's end `_AGENCY_CREDIT` is searched.
_AGENCY_CREDIT_SPAN = max(map(len, vocab.PHOTO_AGENCIES)) + 45
_AGENCY = "|".join(map(re.escape, (a.casefold() for a in vocab.CAPTION_CREDIT_AGENCIES)))
#: How a line that `_UNSPACED_CAPTION_CREDIT` may match ends (besides "＝" and an agency near it).
_UNSPACED_CAPTION_CREDIT_ENDS = (
    "）", ")", "]", vocab.CAPTION_CREDIT_KOREAN_REPORTER, *(a.casefold() for a in vocab.CAPTION_CREDIT_AGENCIES)
)
#: A caption's credit in Japanese, Chinese or Korean (`vocab.CAPTION_CREDIT_BRACKET_WORDS` and
#: what follows it there), at the line's end.
_UNSPACED_CAPTION_CREDIT = re.compile(
    r"(?:[（(][^（）()]{0,24}(?:" + "|".join(map(re.escape, vocab.CAPTION_CREDIT_BRACKET_WORDS)) + r")[）)]"
    + r"|＝(?:" + _AGENCY + r")"
    + r"|\[" + vocab.CAPTION_CREDIT_KOREAN_LABEL + r"(?: 출처)? ?= ?[^\]]{1,30}\]"
    + r"|(?<=[.다]) (?:" + _AGENCY + r"|\S{2,4} " + vocab.CAPTION_CREDIT_KOREAN_REPORTER + r"))$"
)


#: What may stand before a caption's credit: the end of its last sentence (glued to it or not),
#: a dash or a bar between spaces, an opening bracket (opening the line, after a space, or glued
#: to the caption's last word: not to a symbol, as a paragraph's own source note can be),
#: and before a "©" a space alone.
_CAPTION_CREDIT = re.compile(
    r"(?:(?:[.!?)\]\"'”’»]\s*|\s[-–—|]\s+|(?:^|\s|(?<=\w))[(\[]|\s(?=©))(?:(?:"
    + "|".join(re.escape(w) for w in sorted(vocab.CREDIT_LABELS + vocab.CAPTION_CREDIT_LABELS, key=len, reverse=True))
    + r")\s*(?:[:：/]|by\s)|©)|\s[-–—|]\s+copyright\s)\s*[^\s:：].{0,"
    + str(vocab.CAPTION_CREDIT_MAX_CHARS)
    + r"}$"
)
#: A picture's label (`vocab.CAPTION_PLAIN_CREDIT_LABELS`) and a short credit without a sentence's
#: mark closing a caption after a comma or a space (and without stopwords: see `is_credit_line`).
_PLAIN_CAPTION_CREDIT = re.compile(
    r"[, ](?:" + "|".join(map(re.escape, vocab.CAPTION_PLAIN_CREDIT_LABELS)) + r") ?: ?(?P<credit>[^\s.!?:][^.!?:]{1,50})$"
)
_PLAIN_CAPTION_CREDIT_SPAN = max(map(len, vocab.CAPTION_PLAIN_CREDIT_LABELS)) + 56
#: The longest match of `_CAPTION_CREDIT` in a line whose whitespace runs are single spaces:
#: the opening (three characters at most), a label and its colon or "by " (or " copyright "), a
#: space, then the credit itself.
_CAPTION_CREDIT_SPAN = (
    max(map(len, vocab.CREDIT_LABELS + vocab.CAPTION_CREDIT_LABELS + ("copyright",))) + 16 + vocab.CAPTION_CREDIT_MAX_CHARS
)
#: What each match of `_CAPTION_CREDIT` holds: its label's colon, slash or "by", or a "©", or
#: "copyright". A line without any is not searched.
_CAPTION_CREDIT_MARKS = (":", "/", "by", "©", "：", "copyright")


def _words(lowered: str) -> list[str]:
    return _WORD.findall(lowered)


class _Weight(NamedTuple):
    """How much text a line holds, in words: spaced words, plus, for scripts written without
    spaces (Chinese, Japanese, Thai...), characters over the script's mean word length."""

    words: float
    #: The longest run of unspaced-script characters, in words.
    longest_run: float


def _weight(line: str) -> _Weight | None:
    """The line's weight when it holds some unspaced script, else None (count words by spaces)."""
    if line.isascii() or _ANY_UNSPACED.search(line) is None:
        return None
    words = 0.0
    longest = 0.0
    rest = line
    for pattern, per_char in _UNSPACED:
        runs = pattern.findall(rest)
        if runs:
            words += per_char * sum(map(len, runs))
            longest = max(longest, per_char * max(map(len, runs)))
            rest = pattern.sub(" ", rest)
    return _Weight(words + len(_WORD.findall(rest)), longest)


def _is_running_text(line: str, lowered: str) -> bool:
    """Enough words without a sentence's final mark, with function words among them: prose,
    a teaser's headline or a standfirst."""
    words = _words(lowered)
    if len(words) >= _PROSE_MIN_WORDS:
        stop = sum(1 for w in words if w in vocab.CLEANING_STOPWORDS)
        return stop * 100 >= len(words) * 15 or len(_INNER_SENTENCE_BREAK.findall(line)) >= 2
    return False


def _is_title_like(line: str, words: float, unspaced: bool = False) -> bool:
    # Words of unspaced scripts are estimated, and Han headlines run long.
    if not 2 <= words <= (40 if unspaced else 30) or len(line) > 250:
        return False
    first = line[0]
    if first in "-–—" and line[1:2] == " ":
        # A quote as Scandinavian papers print one, after a dash ("- Angsten vil øke").
        first = line[2:3] or first
    # A letter of a script without case (Han, Thai, Hebrew, Arabic...) may open a headline too.
    opens = first.isupper() or first.isdigit() or first in "\"'“‘„‚«「『" or (first.isalpha() and not first.islower())
    # "Who is ...?..." ends a headline, where "." alone ends a sentence.
    return (line[-1] not in ".,;:。、" or line.endswith("...")) and opens



def _is_title(line: str, title: str | None, title_key: str | None) -> bool:
    # Lengths first: the key is built only for lines that could be the title.
    return (
        title is not None
        and abs(len(line) - len(title)) <= _TITLE_LENGTH_SLACK
        and furniture_key(line) == title_key
    )


_SECTION_HEADING = re.compile(
    r"^(?:\d+ )?(?:" + "|".join(map(re.escape, sorted(vocab.SECTION_HEADINGS, key=len, reverse=True))) + r")(?: \d+)?$"
)

def _age_line_pattern() -> re.Pattern[str]:
    count = r"(?:\d+|" + "|".join(map(re.escape, vocab.AGE_LINE_ONE)) + ")"
    forms = []
    for before, units, after in vocab.AGE_LINE_FORMS:
        unit = "(?:" + "|".join(map(re.escape, sorted(units, key=len, reverse=True))) + r")\.?"
        forms.append((re.escape(before) + " " if before else "") + count + " ?" + unit + (" " + after if after else ""))
    for units, after in vocab.AGE_LINE_UNSPACED_FORMS:
        forms.append(r"\d+ ?(?:" + "|".join(map(re.escape, sorted(units, key=len, reverse=True))) + ")" + re.escape(after))
    forms.append("(?:" + "|".join(map(re.escape, vocab.AGE_LINE_DAYS)) + r"),? \d{1,2}[:.]\d{2}(?: uhr| h)?")
    # "Malaysia / 5 h ago"; a comment's head, its author's handle and the comment's age
    # ("GuterMensch vor 3 Stunden"); a label of one or two words ("Last updated 15 hours ago")
    section = r"(?:[^\W\d_][\w &'’-]{0,24} ?[/|•·] ?|(?:[^\W\d_][\w'’.-]{1,29} ){1,2})?"
    return re.compile("^" + section + "(?:" + "|".join(forms) + ")$")


_COMMENT_HEAD_VERB = re.compile(r"\s(?:" + "|".join(map(re.escape, vocab.COMMENT_HEAD_VERBS)) + r")\s?$", re.IGNORECASE)


def _comment_heads(text: str) -> frozenset[str]:
    """The page's comment heads (a line of at most `vocab.COMMENT_HEAD_MAX_CHARS` closed by a verb
    of `vocab.COMMENT_HEAD_VERBS` and a colon), spacing collapsed, when it prints
    `vocab.COMMENT_HEADS_MIN` of them or more; else none. Only the lines that end with a colon
    are looked at, found by `str.find` (a pattern over the whole page costs ten times as much)."""
    heads = []
    for colon in (":\n", "：\n"):
        end = text.find(colon)
        while end >= 0:
            start = text.rfind("\n", 0, end) + 1
            if end + 1 - start <= vocab.COMMENT_HEAD_MAX_CHARS and _COMMENT_HEAD_VERB.search(text, start, end):
                heads.append(" ".join(text[start:end + 1].split()))
            end = text.find(colon, end + 2)
    return frozenset(heads) if len(heads) >= vocab.COMMENT_HEADS_MIN else frozenset()


#: A teaser's or a comment's age alone on a line (`vocab.AGE_LINE_FORMS`), after `furniture_key`.
_AGE_LINE = _age_line_pattern()
_AGE_LINE_STARTS = tuple(before + " " for before, _units, _after in vocab.AGE_LINE_FORMS if before)
_AGE_LINE_ENDS = tuple(" " + after for _before, _units, after in vocab.AGE_LINE_FORMS if after)
_DIGIT = re.compile(r"\d")


def _may_be_age(key: str) -> bool:
    """Whether a line's key can be an age or a reading time at all: it holds a digit, or opens or
    closes with an age's words ("vor einem Tag", "an hour ago"). Most short lines are neither."""
    return _DIGIT.search(key) is not None or key.endswith(_AGE_LINE_ENDS) or key.startswith(_AGE_LINE_STARTS)
#: A reading time alone on a line, or closing one after its label (`vocab.READING_TIME_LABELS`),
#: after `furniture_key`.
_READING_TIME = re.compile(
    r"(?:^|(?:" + "|".join(map(re.escape, vocab.READING_TIME_LABELS)) + r") ?:? ?)\d{1,3} ?(?:"
    + "|".join(map(re.escape, sorted(vocab.READING_TIME_UNITS, key=len, reverse=True))) + r")(?:\.? read)?$"
)

#: A date or a time (a teaser's, a comment's, a player's) in a short line of digits with few
#: letters besides ("23. 12. 2024 13:31", "28.04.2024 | 09:36 Uhr", "06/01/2026 - 14:16 UTC+1"),
#: which `parse_dateline` does not read: no sentence of a story is that.
_TIMESTAMP = re.compile(r"\d{1,2}:\d{2}|\d{1,4}\. ?\d{1,2}\. ?\d{2,4}|\d{1,4}[/-]\d{1,2}[/-]\d{2,4}")
_TIMESTAMP_MAX_CHARS = 40
_TIMESTAMP_MAX_LETTERS = 4
_TIMESTAMP_MIN_DIGITS = 4


def _is_timestamp(line: str) -> bool:
    if sum(map(str.isalpha, line)) > _TIMESTAMP_MAX_LETTERS or sum(map(str.isdigit, line)) < _TIMESTAMP_MIN_DIGITS:
        return False
    return _TIMESTAMP.search(line) is not None


_DATE_NAMES = "|".join(sorted(set(vocab.MONTHS) | vocab.WEEKDAYS | vocab.DATE_LINE_MONTHS, key=len, reverse=True))
#: A date or a time in a line, by numbers or with a month's name ("17:41", "25/05/2025",
#: "5. august", "October 13, 2024", "2025年1月13日"), case-folded. A time is a time of day: a
#: score ("THW Kiel siegt 31:28") is not one.
_DATE_IN_LINE = re.compile(
    r"\b(?:(?:[01]?\d|2[0-3]):[0-5]\d|\d{1,4}\. ?\d{1,2}\. ?\d{2,4}|\d{1,4}[/-]\d{1,2}[/-]\d{2,4}"
    r"|\d{1,2}\.? (?:" + _DATE_NAMES + r")\b|(?:" + _DATE_NAMES + r")\.? \d{1,2},? \d{4})\b|\d{4}年\d{1,2}月\d{1,2}日"
)
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_DATE_WORDS = frozenset(_DATE_NAMES.split("|"))


def _is_date_line(lowered: str) -> bool:
    """A date or a time with its labels, a place or a name, and nothing else: a teaser's, a
    comment's or the page's own ("Actualizado el 25/05/2025 21:57 h", "Publié le 30 août 2023 à
    14h52, modifié le ...", "Frankfurt, October 23, 2024, 3:48 Uhr"), which `parse_dateline`
    does not read. Not a sentence: a story's line that gives a date says more around it; nor a
    timeline's or a programme's entry, whose date or time a colon or a dash and words follow
    ("11. März 2020: WHO erklärt Pandemie", "14:30 Uhr – Eröffnung durch den Bürgermeister")."""
    if lowered[-1] in ".!?":
        return False
    words = _LETTER_WORD.findall(lowered)
    if sum(1 for word in words if word not in _DATE_WORDS) > vocab.DATE_LINE_MAX_WORDS:
        return False
    date = _DATE_IN_LINE.search(lowered)
    return date is not None and _ENTRY_AFTER_DATE.match(lowered, date.end()) is None


#: After a date (its year, a time's suffix), a colon or a dash, then two words: an entry.
_ENTRY_AFTER_DATE = re.compile(
    r"[\d ,.]*(?:(?:" + "|".join(map(re.escape, vocab.TIME_OF_DAY_SUFFIXES)) + r")(?!\w))?\s*[:–—-]\s+[^\W\d_]\S*\s+[^\W\d_]"
)


#: A line of fewer characters whose parts a bar divides, not ending a sentence, is furniture.
_BARRED_MAX_CHARS = 150


#: Exact furniture phrases are shorter than this; longer lines are not looked up.
_SHORT_LINE_CHARS = 60
_TITLE_LENGTH_SLACK = 12


def _poll_options(lines: list[str]) -> frozenset[int]:
    """The numbers of the lines that answer a poll's question: `_POLL_OPTIONS` short lines of two
    words or more (at most `_POLL_OPTION_MAX_CHARS`) right after a line that asks ("Sollten
    Plattformen wie Tiktok strenger reguliert werden?", then "Ja, unbedingt.", "Nein, das wäre
    Zensur.", ...), before a longer line. The question stays: it may be a standfirst. Blank lines
    between them do not count."""
    found: list[int] = []
    for number, line in enumerate(lines):
        if not (line.endswith("?") or (line[-1:].isspace() and line.rstrip().endswith("?"))):
            continue
        answers = []
        for later in range(number + 1, min(len(lines), number + 2 * _POLL_OPTIONS[1] + 2)):
            answer = lines[later].strip()
            if not answer:
                continue
            if len(answer) > _POLL_OPTION_MAX_CHARS or " " not in answer:
                break
            answers.append(later)
        else:
            answers = []  # the poll's end is not in sight
        if _POLL_OPTIONS[0] <= len(answers) <= _POLL_OPTIONS[1]:
            found.extend(answers)
    return frozenset(found)


#: A question mark that ends a line: pages without one hold no poll.
_QUESTION_AT_LINE_END = re.compile(r"\?\s*$", re.MULTILINE)
#: How many answers a poll offers (see `_poll_options`), and their longest line.
_POLL_OPTIONS = (3, 6)
_POLL_OPTION_MAX_CHARS = 50


def _clean_text(
    text: str, crawler_title: str | None, assume_timezone: str
) -> tuple[tuple[str, ...], PageHints, str | None]:
    """The body's paragraphs, the page's hints, and the line its publication time was read from
    (None when there is none)."""
    title = " ".join(crawler_title.split()) if crawler_title else None
    title_key = furniture_key(title) if title else None
    published: str | None = None
    dateline: str | None = None
    authors: tuple[str, ...] = ()
    kept: list[_Line] = []
    headline_at: int | None = None
    #: The first title-like line opens a menu (a skip link, a section label), not the headline: see
    #: `_opens_menu`.
    navigation = False
    #: Where the lines dropped as a byline or a date stood: the index in `kept` of the line after,
    #: and how many stood there.
    own: Counter[int] = Counter()
    seen_sentence = False
    blank_before = True
    wall = 0.0
    gap = 0
    label: str | None = None  # the last lone label dropped since the last kept line
    comment_heads = _comment_heads(text)
    raw_lines = text.splitlines()
    options = _poll_options(raw_lines) if _QUESTION_AT_LINE_END.search(text) else frozenset()

    for number, raw_line in enumerate(raw_lines):
        line = _spaced(raw_line)
        if not line:
            blank_before = True
            continue
        block_start, blank_before = blank_before, False
        gap += 1
        if number in options:
            continue
        if len(line) <= _SHORT_LINE_CHARS:
            key = furniture_key(line)
            if line in comment_heads:
                wall = max(wall, vocab.SECTION_WALL_CHARS)
                continue
            if _SECTION_HEADING.match(key) is not None:
                # "3 Kommentare", "All Comments 4": the section below is the comments, for sure
                counted = _DIGIT.search(key) is not None
                wall = max(wall, vocab.COUNTED_SECTION_WALL_CHARS if counted else vocab.SECTION_WALL_CHARS)
            elif (
                key.startswith(vocab.SECTION_HEADING_PREFIXES)
                and key.count(" ") < vocab.SECTION_HEADING_PREFIX_MAX_WORDS
                and line[-1] not in ".!?:"
            ):
                wall = max(wall, vocab.BOX_HEADING_WALL_CHARS)  # "More from Reuters", "Mehr zu Fleischkonsum"
                if line.rpartition(" ")[2][:1].islower():
                    label = line  # or a subhead ending on a verb ("Mehr zu tun"): see `_with_subheads`
                continue
            if (
                not key
                or key in vocab.FURNITURE_LINES
                or key in vocab.PLAYER_LINES
                or _DURATION.match(line)
                or (_may_be_age(key) and (_AGE_LINE.match(key) or _READING_TIME.search(key)))
            ):
                continue
        if len(line) <= vocab.NAV_BAR_MAX_CHARS and line[0].isupper() and _is_nav_bar(line):
            continue
        lowered = line.casefold()
        if _is_furniture(line, lowered) or _is_title(line, title, title_key) or is_credit_line(lowered):
            continue
        if len(line) <= _DATELINE_MAX_CHARS and line[0].isalnum():
            when = parse_dateline(line, assume_timezone)
            if when is not None:
                if published is None:
                    published, dateline = when, line
                own[len(kept)] += 1
                continue
            if len(line) <= _TIMESTAMP_MAX_CHARS and _is_timestamp(line):
                own[len(kept)] += 1
                continue
            if len(line) <= vocab.DATE_LINE_MAX_CHARS and _DIGIT.search(line) and _is_date_line(lowered):
                # it goes, but costs the span what it did kept: a teaser block's dates wall it off
                wall += _line_cost(line)
                own[len(kept)] += 1
                continue
            if _DIGIT.search(line) and _is_dates_row(line, assume_timezone):
                own[len(kept)] += 1  # the story's own head: a teaser prints no age and reading time
                continue
        if len(line) <= _BYLINE_MAX_CHARS:
            byline = _byline_authors(line)
            if byline is not None:
                authors = authors or byline
                own[len(kept)] += 1
                continue
        if (
            len(line) <= _ATTRIBUTION_MAX_CHARS
            and ", " in line
            and kept
            and kept[-1].prose
            and _is_attribution(line)
            and not _prose_follows(raw_lines, number)
        ):
            continue
        if (
            " | " in line
            and len(line) < _BARRED_MAX_CHARS
            and line[-1] not in ".!?"
            and (title is not None or headline_at is not None or seen_sentence)
        ):
            # a menu, a teaser's kicker and headline, a video's ("WATCH | Enoch Godongwana delivers
            # budget speech"): it goes, but costs the span what it did kept. Not where the page's
            # headline may stand, which may name its section after a bar.
            wall += _line_cost(line)
            continue
        sentence = _ends_sentence(line)
        weight = _weight(line)
        if (
            title is None
            and headline_at is None
            and not seen_sentence
            and (
                _is_title_like(line, len(_words(lowered)))
                if weight is None
                else _is_title_like(line, weight.words, unspaced=True)
            )
        ):
            headline_at = len(kept)
            navigation = _opens_menu(raw_lines, number)
        elif not sentence and (line.count(" ") < 2 if weight is None else weight.words < 3):
            label = line
            continue  # a lone credit or label ("RT", "Reuters", "Getty Images"), or a subhead
        seen_sentence = seen_sentence or sentence
        kept.append(_line(line, block_start, lowered, sentence, weight, wall, gap - 1))
        if label is not None:
            if gap == 2:
                kept[-1] = kept[-1]._replace(label=label)
            label = None
        wall = 0.0
        gap = 0

    if title is None and headline_at is not None:
        # The headline is the first title-like line before the first sentence, alone in its
        # block when the page separates paragraphs by blank lines at all.
        following = headline_at + 1
        blocks = any(ln.block_start for ln in kept[1:])
        if following == len(kept) or kept[following].block_start or not blocks:
            title = kept[headline_at].text
            title_key = furniture_key(title)
    body = _assemble(kept, title, title_key)
    if (
        headline_at is not None
        and title == kept[headline_at].text
        and body.heading is not None
        and (navigation or _heads_body_below(kept, headline_at, body.heading, own))
    ):
        title = body.heading
    paragraphs = _without_repeats(list(body.paragraphs))
    return paragraphs, PageHints(title=title, authors=authors, published_at=published), dateline


def _spaced(line: str) -> str:
    """The line with each run of whitespace one space and none at its ends (`str.split`'s
    whitespace). Every whitespace character but the space is unprintable, so a printable line
    with single inner spaces is spaced already, and most are: it is kept as it is."""
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line
    return " ".join(line.split())


def _is_attribution(line: str) -> bool:
    """A person named, then after a comma what they are or where they work, and no sentence:
    after prose (the text path asks), a pulled quote's attribution ("Cornelius Adebahr, Deutsche
    Gesellschaft für Auswärtige Politik", "Nico Lange, Russlandexperte") or a teaser's authors
    ("Rebecca Ratcliffe, Guill Ramos The Guardian"); under a headline it is the story's byline,
    which stays, and before running text it may be a subhead, which stays too (`_prose_follows`).
    The name is two or three capitalised words; what follows opens with a capital letter, has no
    comma of its own and at most `_ATTRIBUTION_ROLE_MAX_WORDS` words."""
    if line[-1] in ".!?:;":
        return False
    name, _, role = line.lstrip("—–- ").partition(", ")
    words = name.split()
    return (
        2 <= len(words) <= 3
        and all(w[0].isupper() and w[1:2].islower() for w in words)
        and role[:1].isupper()
        and ", " not in role
        and len(role.split()) <= _ATTRIBUTION_ROLE_MAX_WORDS
    )


def _prose_follows(raw_lines: list[str], number: int) -> bool:
    """Whether the next line that is not blank is a sentence of running text: before one, a person
    named with a party or a role may head the section about them ("Friedrich Merz, CDU") as well
    as close a pulled quote, and a subhead is the story's (`_is_attribution` lets it be)."""
    for raw_line in raw_lines[number + 1 : number + 1 + _ATTRIBUTION_LOOKAHEAD_LINES]:
        following = _spaced(raw_line)
        if following:
            return following.count(" ") >= _ATTRIBUTION_PROSE_MIN_SPACES and _ends_sentence(following)
    return False


_ATTRIBUTION_MAX_CHARS = 90
_ATTRIBUTION_ROLE_MAX_WORDS = 8
_ATTRIBUTION_LOOKAHEAD_LINES = 4
_ATTRIBUTION_PROSE_MIN_SPACES = 5


_DATES_ROW_SEPARATOR = re.compile(r" [•·|] ")


def _is_dates_row(line: str, zone: str) -> bool:
    """A row of a story's dates, its age and its reading time between bullets or bars ("Published
    Aug 28, 2024 • Last updated 1 hour ago • 4 minute read"): every part a date, a date line, an
    age or a reading time."""
    parts = _DATES_ROW_SEPARATOR.split(line)
    if len(parts) < 2:
        return False
    for part in parts:
        key = furniture_key(part)
        if not (
            _AGE_LINE.match(key)
            or _READING_TIME.search(key)
            or (_DIGIT.search(part) and _is_date_line(part.casefold()))
            or parse_dateline(part, zone) is not None
        ):
            return False
    return True


def _heads_body_below(kept: list[_Line], headline_at: int, heading: str, own: Mapping[int, int]) -> bool:
    """Whether the title-like line right before the body's span, not the first one, is the
    page's headline: it is longer than the first (a site's name, a section, a menu's bar or a
    "back to" link is short), and the page printed furniture or labels between them (a whole
    page's top), not only a byline and a date (`own`: how many stood before each line). Page text
    made of a title, its byline and date and a body drops nothing else above a standfirst or a
    subhead over the body's span."""
    if len(heading) <= len(kept[headline_at].text):
        return False
    dropped = 0
    for at in range(headline_at + 1, len(kept)):
        dropped += kept[at].gap - own.get(at, 0)
        if kept[at].text == heading:
            return dropped > 0
    return False


def _is_nav_bar(line: str) -> bool:
    """Whether the line is a site's navigation bar printed on one line ("Menu Home News Sport
    Weather Sign in"): it opens and ends with a label of `vocab.NAV_BAR_LABELS` (or opens with a
    phrase of them, "Skip to main content", and holds another), and its other words are capitalised
    section names, none a function word (`vocab.NAV_BAR_NOT_SECTIONS`). A
    headline that opens with such a word goes on in lower case ("Home secretary to sign in new
    rules"), ends on another word ("Home Search Ends In Tragedy"), or joins its words with
    function words, as Title Case headlines do ("Search For Missing Boy Ends At Home")."""
    tokens = [t for t in (w.strip(_NAV_PUNCTUATION) for w in line.split()) if t]
    if len(tokens) < vocab.NAV_BAR_MIN_WORDS:
        return False
    folded = [t.casefold() for t in tokens]
    at = 0
    labels = 0
    first_size = 0
    last_label = False
    while at < len(tokens):
        for size in _NAV_LABEL_SIZES:
            if at + size <= len(tokens) and " ".join(folded[at : at + size]) in vocab.NAV_BAR_LABELS:
                first_size = first_size or size
                labels += 1
                at += size
                last_label = True
                break
        else:
            if at == 0 or not tokens[at][0].isupper() or folded[at] in vocab.NAV_BAR_NOT_SECTIONS:
                return False
            at += 1
            last_label = False
    return labels >= 2 and (last_label or first_size >= 2)


#: What may stand around a navigation bar's labels ("Home | News", "» Sport").
_NAV_PUNCTUATION = "|/•·»«>-–—:,"
#: The word counts of `vocab.NAV_BAR_LABELS`, longest first: a label is matched whole.
_NAV_LABEL_SIZES = sorted({len(label.split()) for label in vocab.NAV_BAR_LABELS}, reverse=True)


def _opens_menu(lines: list[str], number: int) -> bool:
    """Whether the line at `number` opens or stands in a menu: `_MENU_RUN` lines or more of at
    most two words each, none a sentence, come right after it (blank lines not counted), one of
    them not furniture (a headline's share buttons, "Share", "Facebook", "Email", are no menu). A
    page's headline is followed by its byline, its date, its standfirst or its first paragraph."""
    run = 0
    labels = False
    for later in range(number + 1, min(len(lines), number + 1 + 2 * _MENU_RUN)):
        line = lines[later].strip()
        if not line:
            continue
        if line.count(" ") >= 2 or _ends_sentence(line):
            return False
        run += 1
        labels = labels or furniture_key(line) not in vocab.FURNITURE_LINES
        if run >= _MENU_RUN and labels:
            return True
    return False


#: How many one- or two-word labels right after a title-like line make it a menu's.
_MENU_RUN = 3


class _Body(NamedTuple):
    """What `_assemble` finds: the body's paragraphs, and the title-like line the page printed
    right before the body's span (the headline over it, when the page's first title-like line
    was a menu's: see `_opens_menu`), else None."""

    paragraphs: tuple[str, ...]
    heading: str | None


def _assemble(lines: list[_Line], title: str | None, title_key: str | None) -> _Body:
    """Body paragraphs: the headline's copies out, hard-wrapped continuation lines joined to
    their paragraph, and of those the densest span of prose kept (navigation, teasers and
    footers around it out; teaser lists and lists of long headlines weigh as no prose:
    `_without_teasers`, `_without_headline_lists`), less the runs of lines the page prints more than once and the
    headlines of a box of other stories in it (`_without_headline_runs`), an author's note at its
    foot (`_without_author_note`) and headlines alone among dropped lines
    (`_without_lone_headlines`), and the standfirst before it."""
    paragraphs: list[_Line] = []
    previous: _Line | None = None
    #: The continuation lines of the last paragraph, joined to it once their run ends: joining
    #: and classifying line by line would read the paragraph again for each.
    continued: list[_Line] = []
    for ln in lines:
        if _is_title(ln.text, title, title_key):
            continue
        if (
            previous is not None
            and not ln.block_start
            and not _ends_sentence(previous.text)
            and ln.text[0].islower()
        ):
            continued.append(ln)
        else:
            _join_continued(paragraphs, continued)
            paragraphs.append(ln)
        previous = ln
    _join_continued(paragraphs, continued)
    paragraphs = _with_quote_lead_ins(_with_lists(paragraphs))
    counts = Counter(p.text for p in paragraphs)
    # printed twice, once with its final stop and once without ("Access articles from across
    # Canada with one account." and the same without the stop): echoed too
    echoes = [p.text.rstrip(_ECHO_IGNORED_ENDS) for p in paragraphs]
    echo_counts = Counter(echoes)
    echoed = [
        echo_counts[echo] > 1 and not (p.prose and len(p.text) >= _ECHOED_PROSE_MIN_CHARS)
        for p, echo in zip(paragraphs, echoes)
    ]
    own = [i for i, echo in enumerate(echoed) if not echo]
    span = _body_span(_without_teasers(_without_headline_lists(_gaps_carried(paragraphs, echoed))))
    if span is None:
        return _Body((), None)
    first, last = own[span[0]], own[span[1]]
    # An echoed line beside another echoed one (a menu, a summary) goes; one alone stays.
    in_run = [
        echo and ((i > 0 and echoed[i - 1]) or (i + 1 < len(echoed) and echoed[i + 1])) for i, echo in enumerate(echoed)
    ]
    if first > 0 and echoed[first - 1] and not in_run[first - 1]:
        first -= 1  # the heading of the body's first entry
    kept = [
        p
        for i, p in enumerate(paragraphs[first:last + 1], first)
        if not in_run[i] and not _is_repeated(p.text, counts[p.text])
    ]
    for length, min_words in _HEADLINE_RUNS:
        kept = _without_headline_runs(kept, length, min_words)
    kept = _without_author_note(kept)
    kept = _without_lone_headlines(kept)
    body = _with_subheads(kept)
    before = max(0, first - _STANDFIRST_LOOKBACK)
    lead = _standfirst(paragraphs[before:first], echoed[before:first])
    return _Body(tuple([lead, *body] if lead is not None else body), _heading_before(paragraphs[before:first], lead))


def _join_continued(paragraphs: list[_Line], continued: list[_Line]) -> None:
    """The last paragraph with its hard-wrapped continuation lines joined to it, classified
    again as one line; `continued` emptied."""
    if not continued:
        return
    joined = paragraphs[-1]
    text = " ".join([joined.text, *(ln.text for ln in continued)])
    gap = joined.gap + sum(ln.gap for ln in continued)
    paragraphs[-1] = _line(
        text, joined.block_start, text.casefold(), _ends_sentence(text), _weight(text), joined.wall, gap
    )._replace(label=joined.label)
    continued.clear()


def _heading_before(before: list[_Line], lead: str | None) -> str | None:
    """The line right before the body's span (before its standfirst, when that is the line
    right before), when it is title-like: not prose, not ending a sentence."""
    if before and before[-1].text == lead:
        before = before[:-1]
    if not before or before[-1].prose:
        return None
    line = before[-1].text
    weight = _weight(line)
    if _ends_sentence(line) or not (
        _is_title_like(line, len(_words(line.casefold()))) if weight is None else _is_title_like(line, weight.words, True)
    ):
        return None
    return line


def _with_subheads(lines: list[_Line]) -> list[str]:
    """The body's lines, each short subhead ("Negative Folgen", "Next steps", "Mehr zu tun") back
    above its paragraph: the label of two words or more the line loop dropped right above a
    paragraph of prose, with only it between that paragraph and the one before, also prose, both
    `_SUBHEAD_NEIGHBOUR_CHARS` long or more (a teaser's summary is shorter). Not an agency's name
    (`vocab.PHOTO_AGENCIES`: a caption's credit), nor a widget's label (`vocab.WIDGET_LABEL_WORDS`:
    a gallery's, a player's), nor a line opening on no capital (a link's
    address, a list's dash) or holding digits, a slash or a bar (a credit, a placeholder)."""
    body = []
    for i, line in enumerate(lines):
        label = line.label
        if (
            label is not None
            and i > 0
            and line.prose
            and lines[i - 1].prose
            and len(line.text) >= _SUBHEAD_NEIGHBOUR_CHARS
            and len(lines[i - 1].text) >= _SUBHEAD_NEIGHBOUR_CHARS
            and " " in label
            and label[0].isalpha()
            and not label[0].islower()
            and label.casefold() not in _AGENCY_NAMES
            and vocab.WIDGET_LABEL_WORDS.isdisjoint(_words(label.casefold()))
            and not any(char.isdigit() or char in "/|" for char in label)
        ):
            body.append(label)
        body.append(line.text)
    return body


_AGENCY_NAMES = frozenset(vocab.PHOTO_AGENCIES)
#: The least length of the paragraphs above and under a subhead (`_with_subheads`).
_SUBHEAD_NEIGHBOUR_CHARS = 150


def _without_headline_runs(lines: list[_Line], length: int, min_words: int) -> list[_Line]:
    """`lines` less the headlines of other stories listed inside the span: in a run of `length`
    or more lines that are not prose and hold `min_words` words or more each (a "most read" or
    "related" box, a product box's verdicts), or of two or more with `_SPACED_HEADLINE_GAP` or more
    dropped lines above each but the first (teasers, each under its date and byline), all but the
    last go; the last may be the subhead of the paragraph after it. Not the span's first line:
    the headline or standfirst over a body."""
    out: list[_Line] = []
    run: list[_Line] = []
    for line in [*lines, None]:
        if line is not None and not line.prose and len(line.text.split()) >= min_words:
            run.append(line)
            continue
        spaced = len(run) >= 2 and all(ln.gap >= _SPACED_HEADLINE_GAP for ln in run[1:])
        out.extend(run[-1:] if (len(run) >= length or spaced) and out else run)
        run = []
        if line is not None:
            out.append(line)
    return out


#: An author's note: a name (`_looks_like_name`: "Korrespondent Ulrich Exner" passes too), a
#: birth year in brackets, a verb of `vocab.AUTHOR_BIO_VERBS`, then a role word.
_UPPER = "".join(sorted({ch for ch in map(chr, range(0x2000)) if ch.isupper()}))
_NAME_WORD = "(?:[" + re.escape(_UPPER) + r"][\w'’.-]*|" + "|".join(sorted(_NAME_PARTICLES)) + ")"
_AUTHOR_NOTE = re.compile(
    r"(?P<name>[" + re.escape(_UPPER) + r"][\w'’.-]*(?: " + _NAME_WORD + r"){1,4}?)(?: \([^)]{1,12}\))? (?:"
    + "|".join(vocab.AUTHOR_BIO_VERBS) + ") "
)
_AUTHOR_ROLE = re.compile(
    r"(?:\b|-)(?:" + "|".join(map(re.escape, sorted(vocab.AUTHOR_ROLES | vocab.AUTHOR_BIO_ROLES, key=len, reverse=True)))
    + r")\b"
)


def _is_author_note(text: str) -> bool:
    match = _AUTHOR_NOTE.match(text)
    if match is None or not _looks_like_name(match["name"]):
        return False
    return _AUTHOR_ROLE.search(text.casefold(), match.end(), match.end() + vocab.AUTHOR_BIO_ROLE_REACH) is not None


def _without_author_note(lines: list[_Line]) -> list[_Line]:
    """`lines` less an author's note among its last `vocab.AUTHOR_BIO_TAIL_LINES` ("Laura Jedeed is
    a freelance journalist based in New York City.") and what follows it: the story is over. Not
    a line followed by a paragraph `_AFTER_NOTE_MAX_CHARS` long or longer that names the person
    again: someone the story introduces before quoting or going on about her ("Patricia Evangelista
    ist Journalistin, ..." then "Evangelista hat ..."); what follows an author's note is short (a
    prompt, "First published in ...") or about something else (an appeal for donations)."""
    for i in range(max(1, len(lines) - vocab.AUTHOR_BIO_TAIL_LINES), len(lines)):
        text = lines[i].text
        if _is_author_note(text) and not _named_after(text, lines[i + 1 :]):
            return lines[:i]
    return lines


def _named_after(note: str, after: list[_Line]) -> bool:
    """Whether a paragraph of `_AFTER_NOTE_MAX_CHARS` or more after an author's note names its
    person (the last word of the name)."""
    match = _AUTHOR_NOTE.match(note)
    surname = match["name"].split()[-1] if match is not None else ""
    return bool(surname) and any(len(ln.text) >= _AFTER_NOTE_MAX_CHARS and surname in ln.text for ln in after)


_AFTER_NOTE_MAX_CHARS = 150


def _without_lone_headlines(lines: list[_Line]) -> list[_Line]:
    """`lines` less each run of up to `_LONE_RUN` lines that are not prose standing alone between
    dropped lines, `_LONE_GAP_BEFORE` or more before it and `_LONE_GAP_AFTER` or more after it (a
    teaser's kicker and headline between its age and its byline and share buttons, a box's heading
    between menus), but not the span's first line nor its last: a story's subhead has its
    paragraph right under it."""
    drop: set[int] = set()
    n = len(lines)
    for i in range(1, n - 1):
        if lines[i].prose or lines[i].gap < _LONE_GAP_BEFORE:
            continue
        end = i + 1  # the run: this line and the lines not prose right under it
        while end < n - 1 and end - i < _LONE_RUN and not lines[end].prose and lines[end].gap == 0:
            end += 1
        if lines[end].gap >= _LONE_GAP_AFTER:
            drop.update(range(i, end))
    return [line for i, line in enumerate(lines) if i not in drop]


_LONE_GAP_BEFORE = 1
_LONE_GAP_AFTER = 2
#: How many lines that are not prose, one right under the other, such a run may hold (a kicker
#: and its headline).
_LONE_RUN = 2


#: How many headlines in a row, each of this many words or more, make a list of other stories
#: (see `_without_headline_runs`): three long ones, or four short ones (a story's subheads come
#: one or two in a row, each over its paragraphs).
_HEADLINE_RUNS = ((3, 8), (4, 4))
_SPACED_HEADLINE_GAP = 2


def _body_span(lines: list[_Line]) -> tuple[int, int] | None:
    """The densest span of prose (`_densest_span`), its end drawn in where the lines the page
    printed and this stage dropped (a byline under each teaser, a footer's menu, a consent
    dialog's buttons) say the article is over: the span found again with each run of more than
    `_GAP_FREE` dropped lines costing `_GAP_COST` a line, when the two overlap. Only the end:
    a byline, a date and share buttons between the standfirst and the body are such a run too."""
    span = _densest_span(lines)
    if span is None or all(line.gap <= _GAP_FREE for line in lines[span[0] + 1:span[1] + 1]):
        return span  # no dropped lines cost anything inside: the span's end would not move
    tail = _densest_span(lines, _GAP_COST)
    if tail is None or tail[1] < span[0] or tail[0] > span[1]:
        return span
    return span[0], min(span[1], tail[1])


def _gaps_carried(paragraphs: list[_Line], echoed: list[bool]) -> list[_Line]:
    """The lines not echoed, each with the gaps of the echoed lines before it added to its own,
    and their walls (a section heading before an echoed line still stands)."""
    out: list[_Line] = []
    carried = 0
    wall = 0.0
    for line, echo in zip(paragraphs, echoed):
        if echo:
            carried += line.gap
            wall = max(wall, line.wall)
        else:
            out.append(line._replace(gap=line.gap + carried, wall=max(wall, line.wall)) if carried or wall else line)
            carried = 0
            wall = 0.0
    return out


def _with_lists(lines: list[_Line]) -> list[_Line]:
    """`lines` with the items of the story's own lists weighing as prose: after a lead-in (prose
    of `_LIST_LEAD_MIN_WORDS` words or more ending on a colon, without a furniture cue: "Die
    Einigung umfasst vier Punkte:"), from `_LIST_MIN_ITEMS` to `_LIST_MAX_ITEMS` lines that are not
    prose, each shorter than `_LIST_ITEM_MAX_CHARS`, without a colon (a form's fields, a shop's
    products and prices: "Lego 75346 / Snubfighter der Piraten: 34,99 Euro") and right under the
    one before (nothing dropped between), then prose or the end. Costing as headlines, a short
    list outweighed the paragraphs after it, and the span ended on its lead-in."""
    out = lines
    for i, line in enumerate(lines):
        if not (line.prose and line.text[-1] in ":：") or len(line.text.split()) < _LIST_LEAD_MIN_WORDS:
            continue
        end = i + 1
        while (
            end < len(lines)
            and end - i <= _LIST_MAX_ITEMS
            and not lines[end].prose
            and lines[end].gap == 0
            and len(lines[end].text) < _LIST_ITEM_MAX_CHARS
            and ":" not in lines[end].text
        ):
            end += 1
        if end - i - 1 < _LIST_MIN_ITEMS or (end < len(lines) and not lines[end].prose):
            continue
        if _has_furniture_cue(line.text.casefold()):
            continue
        if out is lines:
            out = list(lines)
        for j in range(i + 1, end):
            out[j] = out[j]._replace(prose=True, headline=False, item=True)
    return out


_LIST_LEAD_MIN_WORDS = 5
_LIST_MIN_ITEMS = 2
_LIST_MAX_ITEMS = 10
_LIST_ITEM_MAX_CHARS = 150


def _with_quote_lead_ins(lines: list[_Line]) -> list[_Line]:
    """`lines` with a quote's lead-in weighing as prose: running text of `_LEAD_IN_MIN_WORDS`
    words or more, not mostly capitalised (`_is_capitalised_run`: no headline's title case),
    without a furniture cue, that ends no sentence, right above a paragraph of prose opening with
    a quotation mark ("Asked whether the cuts went too far, she replied" / "“No. We had to act.”").
    A writer ends such a line on a colon as often as not; without one it cost as a headline, and
    near the story's head the span began under it and it was lost."""
    out = lines
    for i, line in enumerate(lines[:-1]):
        after = lines[i + 1]
        if line.prose or line.headline or not after.prose or after.gap or after.text[0] not in vocab.QUOTATION_MARKS:
            continue
        if len(line.text.split()) < _LEAD_IN_MIN_WORDS or _is_capitalised_run(line.text, _LEAD_IN_MIN_WORDS):
            continue
        if line.text[-1] in vocab.QUOTATION_MARKS or _has_furniture_cue(line.text.casefold()):
            continue
        if out is lines:
            out = list(lines)
        out[i] = line._replace(prose=True)
    return out


_LEAD_IN_MIN_WORDS = 6


def _without_headline_lists(lines: list[_Line]) -> list[_Line]:
    """`lines` with each run of `_HEADLINE_LIST_RUN` or more lines of running text long enough
    for prose but ending no sentence, one after the other, made headlines: a list of other
    stories' headlines; a story's paragraphs end on their stops, and its bulleted list's items
    open with their marker (`vocab.LIST_ITEM_MARKERS`)."""
    out = list(lines)
    run: list[int] = []
    for i, line in enumerate([*lines, None]):
        if (
            line is not None
            and line.prose
            and not _ends_sentence(line.text)
            and not line.item
            and not line.text.startswith(vocab.LIST_ITEM_MARKERS)
        ):
            run.append(i)
            continue
        if len(run) >= _HEADLINE_LIST_RUN:
            for j in run:
                out[j] = out[j]._replace(prose=False, headline=True)
        run = []
    return out


_HEADLINE_LIST_RUN = 4


def _without_teasers(lines: list[_Line]) -> list[_Line]:
    """`lines` with the summaries of teaser lists no longer prose: a list of other stories is a
    headline, then a sentence or two of summary, again and again (`_TEASER_RUN` times or more,
    each summary shorter than `_TEASER_MAX_CHARS`), beside a story with twice its prose. A
    headline may run as long as prose (up to `_TEASER_LONG_HEADLINE_CHARS`) when it ends no
    sentence and its summary ends one: a headline and a dek, neither closed by a stop, are more
    likely the story's own."""
    out = list(lines)
    prose = sum(len(ln.text) for ln in lines if ln.prose)
    run: list[int] = []  # the summaries of the current run of (headline, summary) pairs
    i = 0
    while i <= len(lines):
        pair = (
            i + 1 < len(lines)
            and lines[i + 1].prose
            and len(lines[i + 1].text) < _TEASER_MAX_CHARS
            and (
                not lines[i].prose
                or (
                    len(lines[i].text) < _TEASER_LONG_HEADLINE_CHARS
                    and not _ends_sentence(lines[i].text)
                    and _ends_sentence(lines[i + 1].text)
                )
            )
        )
        if pair:
            run.append(i + 1)
            i += 2
            continue
        summaries = sum(len(lines[j].text) for j in run)
        if len(run) >= _TEASER_RUN and prose - summaries >= _TEASER_OTHER_PROSE * summaries:
            for j in run:
                out[j] = out[j]._replace(prose=False)
        run = []
        i += 1
    return out


#: A run of this many (headline, prose shorter than `_TEASER_MAX_CHARS`) pairs is a teaser list
#: (see `_without_teasers`) ...
_TEASER_RUN = 3
_TEASER_MAX_CHARS = 250
#: A teaser's headline of prose length ending no sentence ("Plauener Unternehmer verärgert über
#: geplatzten Kredit: „Sparkasse hätte uns über die Klinge springen lassen“") is shorter than this.
_TEASER_LONG_HEADLINE_CHARS = 150
#: ... when the rest of the page's prose is at least this many times the run's: a short story in
#: sections of one paragraph each is no teaser list of its own.
_TEASER_OTHER_PROSE = 2.0


def _standfirst(before: list[_Line], echoed: list[bool]) -> str | None:
    """The body's standfirst, when the page set it apart from the body (a byline, a date, share
    buttons between them): of the lines just before the body, the longest that is prose or
    running text (`_Line.headline`) and not printed twice. Running text counts only with at most
    `_STANDFIRST_HEADLINE_MAX_GAP` dropped lines above it (the headline over it): after a menu's
    or a teaser's dropped lines, running text is another story's headline."""
    candidates = [
        line.text
        for line, echo in zip(before, echoed)
        if not echo
        and len(line.text) >= _STANDFIRST_MIN_CHARS
        and (line.prose or line.headline)
        and not _has_furniture_cue(line.text.casefold())
        and (line.prose or line.gap <= _STANDFIRST_HEADLINE_MAX_GAP)
    ]
    return max(candidates, key=len, default=None)


#: How many lines before the body are searched for its standfirst, and its least length.
_STANDFIRST_LOOKBACK = 20
_STANDFIRST_MIN_CHARS = 60
_STANDFIRST_HEADLINE_MAX_GAP = 1


#: Lines the page prints more than once ("echoed": a menu at the head and the foot, a
#: subscription offer or a sign-in dialog printed twice, a live blog's summary of its entries)
#: weigh nothing in the densest span. In the span, an echoed line in a run of them goes (a
#: menu, a summary), one standing alone stays (a live blog's entry heading, whose copy is in the
#: summary), and so does one right before the span (the first entry's heading). Prose printed
#: twice from this length on is not echoed (a lead repeated under the headline): kept once.
_ECHOED_PROSE_MIN_CHARS = 400
#: What a line printed twice may have at its end in one print and not in the other.
_ECHO_IGNORED_ENDS = ".!?…"


#: A line that is not prose costs its length times this, plus `_COST_PER_LINE`, against the
#: prose around it (see `_densest_span`).
_COST_FACTOR = 1.0
#: A line of running text too short for prose (`_Line.headline`) costs its length times this:
#: a run of teasers' headlines costs, a body sentence whose final mark was left out costs little.
_HEADLINE_COST_FACTOR = 0.5
_COST_PER_LINE = 30.0
#: Where the span ends (`_body_span`): each line dropped between two kept ones, past the first
#: `_GAP_FREE` (a lone byline, date or credit inside a story), costs the span this much.
_GAP_COST = 30.0
_GAP_FREE = 1


def _line_cost(text: str) -> float:
    """What a line that is not prose costs the span it stands in, kept or dropped in its place."""
    return _COST_FACTOR * len(text) + _COST_PER_LINE


def _densest_span(lines: list[_Line], gap_cost: float = 0.0) -> tuple[int, int] | None:
    """The run of lines where the article is: the span whose prose outweighs the other lines in
    it most (each prose line weighs its length, each other line costs its length and 30 more).
    A body's subheads and credits cost less than its paragraphs bring; the teasers, menus and
    footers around it, headline after headline, cost more than the odd teaser sentence among
    them brings; a section heading (comments, most read) costs its `_Line.wall` more.
    With `gap_cost`, each line dropped before a line past the first `_GAP_FREE` costs that much
    too. None when no line is prose."""
    best = None
    best_sum = 0.0
    start = 0
    running = 0.0
    for i, line in enumerate(lines):
        if line.prose:
            weight = len(line.text)
        elif line.headline:
            weight = -_HEADLINE_COST_FACTOR * len(line.text)
        else:
            weight = -_line_cost(line.text)
        running -= line.wall
        running -= gap_cost * max(0, line.gap - _GAP_FREE)
        if running <= 0:
            start, running = i, 0.0
        running += weight
        if running > best_sum:
            best_sum, best = running, (start, i)
    return best


# --- HTML path ---------------------------------------------------------------------------------

_HTML_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_LANG_CODE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)


def _html_language(tree) -> str | None:  # type: ignore[no-untyped-def]
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iterfind(".//head/meta"):
        name = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if name in ("content-language", "og:locale", "language", "dc.language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        match = _LANG_CODE.match((value or "").strip())
        if match:
            return match.group(1).lower()
    return None


def _html_published_at(value: str | None, assume_timezone: str) -> str | None:
    if not value:
        return None
    for fmt in (_HTML_DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(assume_timezone))
        return moment.isoformat(timespec="seconds")
    return None


def _host(url: str) -> str:
    """The registered domain of the page ("orf.at" for news.orf.at), else its host name."""
    return (courlan.extract_domain(url) or urlsplit(url).hostname or "").lower()


def _iso_published_at(value: str | None, assume_timezone: str) -> str | None:
    """A JSON-LD `datePublished` (ISO 8601) as RFC 3339; None when unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(assume_timezone))
    return moment.isoformat(timespec="seconds")


def _by_fetch_day(published_at: str | None, fetched_at: str) -> str | None:
    """The time unless its day is later than a day after the fetch's (a page cannot be published
    after it was fetched: htmldate's date is then asked first).

    This chooses between two sources by day, with htmldate's own day of slack for zones, before
    the page's zone is known to be right; `_not_after_fetch` then holds the time chosen to the
    exact fetch time and flags it, which is what a record promises."""
    latest = _latest_publication_date(fetched_at)
    if published_at is None or (latest is not None and published_at[:10] > latest):
        return None
    return published_at


def _latest_publication_date(fetched_at: str) -> str | None:
    """htmldate's upper bound, from the fetch time (a day of slack for zones), not the clock."""
    try:
        fetched = date.fromisoformat(fetched_at[:10])
    except ValueError:
        return None
    return (fetched + timedelta(days=1)).isoformat()


def _repeats_title(key: str, title_key: str) -> bool:
    """The line is the headline, or the headline of a <title> that also carries a site name."""
    return key == title_key or (title_key.startswith(key) and len(key) * 2 >= len(title_key))


def _text_paragraphs(text: str | None, title: str | None) -> tuple[str, ...]:
    title_key = furniture_key(title) if title else None
    paragraphs = []
    for raw_line in (text or "").splitlines():
        line = " ".join(raw_line.split())
        if not line:
            continue
        key = furniture_key(line)
        if not key or key in vocab.FURNITURE_LINES:
            continue
        lowered = line.casefold()
        if is_credit_line(lowered) or _is_furniture(line, lowered):
            continue
        if len(line) <= _BYLINE_MAX_CHARS and (parse_dateline(line) or _byline_authors(line)):
            continue  # "Stand: 22.04.2024, 06:00 Uhr", "Von Nina Magoley": the page's fields
        if not paragraphs and title_key and _repeats_title(key, title_key):
            continue
        if _MEDIA_TEASER_END.search(line):
            continue  # "... einer nuklearen Eskalation? 21.04.2024 | 3:18 min": a video's teaser
        paragraphs.append(line)
    return _without_repeats(paragraphs)


#: The running time that closes a video's or a podcast's teaser ("21.04.2024 | 3:18 min").
_MEDIA_TEASER_END = re.compile(r"\|\s*\d{1,2}:\d{2}(?::\d{2})?\s*min\.?$", re.IGNORECASE)


def _without_repeats(paragraphs: list[str]) -> tuple[str, ...]:
    """An article does not say the same thing twice: a short line that comes back
    `vocab.REPEATED_LINE_TIMES` times or more is page furniture ("Externer Inhalt nicht
    verfügbar" under every embed) and goes, every time; a paragraph said twice is kept once."""
    counts = Counter(paragraphs)  # in first-seen order: each paragraph once
    return tuple(paragraph for paragraph, times in counts.items() if not _is_repeated(paragraph, times))


def _is_repeated(line: str, times: int) -> bool:
    """A short line printed `vocab.REPEATED_LINE_TIMES` times or more: page furniture."""
    return times >= vocab.REPEATED_LINE_TIMES and len(line) <= vocab.REPEATED_LINE_MAX_CHARS


def _parse_html(html: str) -> object | None:
    """trafilatura's tree of the page, after intake's checks on it (`html_too_deep` from this
    very parse, then `repetitive_body`)."""
    tree, data = _load_html(html)
    parser = getattr(trafilatura.utils, "HTML_PARSER", None)
    if parser is not None:
        intake.check_parse_depth(parser.error_log)
    else:  # pragma: no cover - a trafilatura without its module parser
        intake.check_html_depth(html)
    intake.check_repetition("html", data)
    return tree


#: The characters under U+0020 that trafilatura's `INVALID_XML_CHARS` drops (all but tab, LF
#: and CR), as bytes: in UTF-8 each is a byte of its own, never part of another character.
_CONTROL_BYTES = (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))


def _load_html(html: str) -> tuple[object | None, bytes]:
    """`trafilatura.load_html(html)`'s tree, and the page's UTF-8 bytes, at less cost: its
    repairs (`repair_faulty_html`), with its pattern of invalid characters run only on a page
    that holds one (looked for by `memchr` over the bytes, not by the pattern's scan of the
    whole page), and one parse of the UTF-8 bytes, where trafilatura parses the str first (which
    lxml hands libxml2 as UTF-16 to convert). A str that is no UTF-8 text (a lone surrogate) is
    trafilatura's own to load."""
    u = trafilatura_utils
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:
        return trafilatura.load_html(html), html.encode("utf-8", "surrogatepass")
    beginning = html[:50].lower()
    repaired = html
    if any(byte in data for byte in _CONTROL_BYTES) or "\ufffe" in html or "\uffff" in html:
        repaired = u.INVALID_XML_CHARS.sub("", repaired)
    if "doctype" in beginning:
        first_line, newline, rest = repaired.partition("\n")
        first = u.DOCTYPE_TAG.sub("", first_line, count=1)
        if first != first_line or not newline:
            repaired = first + "\n" + rest
    for line in repaired[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            repaired = u.FAULTY_HTML.sub(r"\1>", repaired, count=1)
            break
    if repaired is not html:
        data = repaired.encode("utf-8")
    try:
        tree = u.fromstring(data, parser=u.HTML_PARSER)
    except Exception:  # noqa: BLE001 - as trafilatura: a page lxml cannot read has no tree
        tree = None
    if tree is not None and u.is_dubious_html(beginning) and len(tree) < 2:
        tree = None
    return tree, data


#: `trafilatura.json_metadata.JSON_AUTHOR_2`'s match opens with '"Person"' or '"person"': after a
#: match is cut out, a new one can only open up to this many characters before the cut.
_PERSON_OVERLAP = len('"person"') - 1


def _json_ld(
    tree: object, document: trafilatura.settings.Document, authors: bool = True
) -> trafilatura.settings.Document:
    """trafilatura's `extract_meta_json`: each JSON-LD script of the page, normalised as it does,
    read as JSON, or when that fails by its regular expressions (`_json_ld_unparsed`; without
    `authors`, less their search for authors, the costly part)."""
    t = trafilatura_json
    for elem in tree.xpath('.//script[@type="application/ld+json" or @type="application/settings+json"]'):  # type: ignore[attr-defined]
        if not elem.text:
            continue
        text = _normalized_json(elem.text)
        try:
            document = t.extract_json(json.loads(text, strict=False), document)
        except json.JSONDecodeError:
            document = _json_ld_unparsed(text, document, authors)
    return document


#: What `trafilatura.metadata.JSON_MINIFY` keeps of a text (its strings, and the characters
#: outside them but whitespace), as pieces to join. A string's run of plain characters is one
#: step of the pattern, not one alternation per character (the same matches).
_JSON_KEPT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\s"]+|"')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _normalized_json(text: str) -> str:
    """`normalize_json(JSON_MINIFY.sub(r"\\1", text))`, trafilatura's preparation of a JSON-LD
    script, with its two costly steps done by C loops: the minified text joined from the pieces
    its pattern keeps (one substitution per string and per space was the cost), and surrogates
    dropped by a pattern instead of a generator over every character."""
    string = "".join(_JSON_KEPT.findall(text))
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = trafilatura_json.JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = html_unescape(_SURROGATE.sub("", string))
    return trafilatura_utils.trim(trafilatura_utils.HTML_STRIP_TAGS.sub("", string))


def _json_ld_unparsed(
    text: str, document: trafilatura.settings.Document, authors: bool = True
) -> trafilatura.settings.Document:
    """trafilatura's `extract_json_parse_error`, its authors found by `_json_authors`."""
    t = trafilatura_json
    if authors:
        without = t.JSON_AUTHOR_REMOVE.sub("", text)
        author = _json_authors(without, t.JSON_AUTHOR_1, None) or _json_authors(without, t.JSON_AUTHOR_2, _PERSON_OVERLAP)
        if author:
            document.author = author
    if "@type" in text:
        match = t.JSON_TYPE.search(text)
        if match:
            candidate = t.normalize_json(match[1].lower())
            if candidate in t.JSON_OGTYPE_SCHEMA:
                document.pagetype = candidate
    if '"publisher"' in text:
        match = t.JSON_PUBLISHER.search(text)
        if match and "," not in match[1]:
            candidate = t.normalize_json(match[1])
            if t.is_plausible_sitename(document, candidate):
                document.sitename = candidate
    if '"articleSection"' in text:
        match = t.JSON_CATEGORY.search(text)
        if match:
            document.categories = [t.normalize_json(match[1])]
    for key, pattern in t.JSON_SEQ:
        if key in text and not document.title:
            match = pattern.search(text)
            if match:
                document.title = t.normalize_json(match[1])
                break
    return document


def _json_authors(text: str, pattern: re.Pattern[str], overlap: int | None) -> str | None:
    """trafilatura's `extract_json_author`: the first group of each match in turn, every match
    cut out of the text before the next search, until a name without a space.

    The cut is a slice (`pattern.sub(count=1)` would search again from the start). With
    `overlap`, the next search starts that many characters before the cut instead of at the
    start: for a pattern whose every match opens with a literal of `overlap + 1` characters and
    whose gaps before the group cannot cross a match (`JSON_AUTHOR_2`), a match opening earlier
    would have matched before the cut too, through the text the cut removed, and been found
    first."""
    authors = None
    match = pattern.search(text)
    while match:
        name = next(filter(None, match.groups()), None)
        if not name or " " not in name:
            break
        authors = trafilatura_json.normalize_authors(authors, name)
        start, end = match.span()
        text = text[:start] + text[end:]
        match = pattern.search(text) if overlap is None else pattern.search(text, max(0, start - overlap))
    return authors or None


def _trafilatura_metadata(
    tree: object, url: str, date_params: dict[str, object], *, dated: bool = True
) -> trafilatura.settings.Document:
    """What `trafilatura.metadata.extract_metadata` (2.x) finds, step for step, without its
    categories, tags and licence (see the module docstring), and without its author: that is
    `_trafilatura_author`, asked for only when the page's JSON-LD names no person. trafilatura's
    functions and order: meta tags, then JSON-LD over them, then the title, URL, date (htmldate,
    which works on its own copy of the tree; not run unless `dated`: a page whose structured
    date is taken does without it), site name, then its clean-up of every field. No other field's
    steps read the author or the date, so leaving those two out changes no other field."""
    m = trafilatura_metadata
    document = m.examine_meta(tree)
    try:
        document = _json_ld(tree, document, authors=False)
    except Exception:  # noqa: BLE001 - as trafilatura does: its JSON-LD reader has bugs
        pass
    if not document.title:
        document.title = m.extract_title(tree)
    if not document.url:
        document.url = m.extract_url(tree, url)
    if dated:
        document.date = m.find_date(tree, **{**date_params, "url": document.url})
    if not document.sitename:
        document.sitename = m.extract_sitename(tree)
    if document.sitename:
        document.sitename = document.sitename.lstrip("@")
        if document.sitename and "." not in document.sitename and not document.sitename[0].isupper():
            document.sitename = document.sitename.title()
    elif document.url:
        match = m.META_URL.match(document.url)
        if match:
            document.sitename = match[1]
    document.filedate = date_params.get("max_date")
    document.clean_and_trim()  # HTML entities, soft hyphens, spaces, lengths
    document.author = None
    return document


def _trafilatura_author(tree: object) -> str | None:
    """The author `trafilatura.metadata.extract_metadata` finds: the meta tags', JSON-LD's over
    them, else the markup's (`extract_author`, which prunes its own copy of the tree), cleaned as
    it cleans every field. Its own pass, for the pages that need it: the markup's reading and the
    search of JSON-LD that does not parse were most of trafilatura's metadata cost."""
    m = trafilatura_metadata
    document = m.examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None
    try:
        document = _json_ld(tree, document)
    except Exception:  # noqa: BLE001 - as in `_trafilatura_metadata`
        pass
    if not document.author:
        document.author = m.extract_author(tree)
    document.clean_and_trim()
    return document.author


#: The elements whose classes are counted once for the checks below.
_CONTAINERS = ("div", "section", "article", "main", "aside", "blockquote")
_BODY_CONTAINER = re.compile(vocab.BODY_CONTAINER_CLASSES)
_BOX = re.compile(vocab.BOX_CLASSES)


def _drop_boxes(tree, census: Counter[str | None]) -> None:  # type: ignore[no-untyped-def]
    """Fact boxes, info boxes and polls beside the story ("Fakta om fødselsdepresjon", "Ukraine-
    Geflüchtete in Hessen", "Sollten Plattformen wie Tiktok strenger reguliert werden?") go
    before trafilatura extracts: they are the page's, not the article's running text."""
    if not any(_BOX.search(name) for name in census if name):
        return
    for element in list(tree.iter(*_CONTAINERS)):
        name = element.get("class")
        if name and _BOX.search(name) and element.getparent() is not None:
            element.getparent().remove(element)


def _join_body_chunks(tree, census: Counter[str | None]) -> None:  # type: ignore[no-untyped-def]
    """A body that the page splits into containers of one class (The New Yorker's and Wired's
    `body__container` between pictures, The Telegraph's, El Diario's) is joined into the first:
    trafilatura extracts from the first container its `BODY_XPATH` finds and drops the rest.

    Its expressions are costly, so they run only on a page where two containers share a class
    that names an article body (the class pattern of its first expression). Containers in two
    different <article> elements are two stories, and stay apart."""
    repeated = {name for name, count in census.items() if count > 1 and name and _BODY_CONTAINER.search(name)}
    if not repeated:
        return
    for expression in BODY_XPATH:
        found = expression(tree)
        if not found:
            continue
        first = found[0]
        name = first.get("class")
        if name not in repeated:
            return
        above = set(first.iterancestors())
        story = _story_of(first)
        after = False
        for element in list(tree.iter(first.tag)):
            if element is first:
                after = True
            elif (after and element.get("class") == name and element not in above
                    and first not in set(element.iterancestors()) and _story_of(element) is story):
                first.extend(list(element))
                element.getparent().remove(element)
        return


def _story_of(element):  # type: ignore[no-untyped-def]
    """The nearest <article> around an element (None outside any): a page that runs the next
    story under the first keeps each story's containers in an article of its own."""
    return next(element.iterancestors("article"), None)


def _drop_social_embeds(tree, census: Counter[str | None]) -> None:  # type: ignore[no-untyped-def]
    """Embedded posts (a tweet's text, its author's handle and date) are quoted from elsewhere,
    not the article's text, and trafilatura keeps a blockquote: they go before it extracts."""
    if not any(name in classes for classes in census if classes for name in vocab.SOCIAL_EMBED_CLASSES):
        return
    for element in list(tree.iter("blockquote")):
        classes = element.get("class")
        if classes and any(name in classes for name in vocab.SOCIAL_EMBED_CLASSES):
            element.getparent().remove(element)


def _flight_body(tree, common: dict) -> trafilatura.settings.Document | None:  # type: ignore[no-untyped-def]
    """trafilatura's reading of the article HTML that a Next.js page carries only in its flight
    data (`nextdata.article_html`), for a page whose markup gave no body."""
    fragment = nextdata.article_html(tree)
    if fragment is None:
        return None
    return trafilatura.bare_extraction(
        trafilatura.load_html(f"<html><body><article>{fragment}</article></body></html>"), favor_recall=True, **common
    )


def _clean_html(raw: RawArticle, options: StageOptions, country_zone: str | None) -> tuple[tuple[str, ...], PageHints]:
    tree = _parse_html(raw.html)
    if tree is None:
        return (), PageHints()
    date_params: dict[str, object] = {
        "original_date": True,
        "extensive_search": False,
        "outputformat": _HTML_DATE_FORMAT,
    }
    latest = _latest_publication_date(raw.fetched_at)
    if latest:
        date_params["max_date"] = latest
    common = dict(
        url=raw.url,
        with_metadata=False,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    census = Counter(element.get("class") for element in tree.iter(*_CONTAINERS))
    _drop_social_embeds(tree, census)
    _join_body_chunks(tree, census)
    _drop_boxes(tree, census)
    body = trafilatura.bare_extraction(tree, **common)  # on a copy of `tree`
    if body is None:
        body = trafilatura.bare_extraction(tree, favor_recall=True, **common) or _flight_body(tree, common)
        if body is None:
            return (), PageHints(language=_html_language(tree))
    page = metadata.read_page(tree)
    language = _html_language(tree)
    zone = _page_zone(country_zone, language, options.assume_timezone)
    structured = _iso_published_at(page.published(), zone)
    published_at = _by_fetch_day(structured, raw.fetched_at)
    document = _trafilatura_metadata(tree, raw.url, date_params, dated=not published_at)
    paragraphs = _text_paragraphs(body.text, document.title)
    if _body_chars(paragraphs) < options.min_body_chars:
        # Short or unusual pages: trade precision for recall before giving up on the page.
        second = trafilatura.bare_extraction(tree, favor_recall=True, **common)
        if second is not None:
            paragraphs = _text_paragraphs(second.text, document.title)
        if _body_chars(paragraphs) < options.min_body_chars and (flight := _flight_body(tree, common)) is not None:
            paragraphs = max(paragraphs, _text_paragraphs(flight.text, document.title), key=_body_chars)

    site_name = _SPACES.sub(" ", document.sitename).strip() if document.sitename else None
    host = _host(raw.url)
    authors = metadata.page_authors(page, lambda: _trafilatura_author(tree), site_name, host)
    paragraphs, authors = metadata.body_byline(paragraphs, authors, page, tree, site_name, host)
    authors = metadata.markup_authors(authors, page, tree, site_name, host)
    title = metadata.choose_title(document.title, page)
    paragraphs = metadata.with_lead(metadata.without_headline(paragraphs, page, title), tree, page)
    paragraphs = metadata.without_teasers(paragraphs, tree)
    hints = PageHints(
        title=title,
        authors=authors,
        # A structured time after the fetch, when the page gives no other, is kept here for
        # `_not_after_fetch` to set aside and flag.
        published_at=published_at or _html_published_at(document.date, zone) or structured,
        canonical_url=document.url or None,
        site_name=site_name,
        language=language,
        description=_SPACES.sub(" ", document.description).strip() if document.description else None,
    )
    return paragraphs, hints


# --- the stage ---------------------------------------------------------------------------------


def _body_chars(paragraphs: tuple[str, ...]) -> int:
    return sum(len(p) for p in paragraphs)


def _page_zone(country_zone: str | None, language: str | None, assume_timezone: str) -> str:
    """The zone a time without one is read in on a page: its site's country's (`_country_zone`),
    else its language's (`vocab.LANGUAGE_ZONES`), else `assume_timezone`."""
    return country_zone or vocab.LANGUAGE_ZONES.get(language or "") or assume_timezone


def _country_zone(url: str) -> str | None:
    host = urlsplit(url).hostname or ""
    return vocab.COUNTRY_ZONES.get(host.rpartition(".")[2].lower())


def _not_after_fetch(hints: PageHints, fetched_at: str) -> PageHints:
    """A publication time later than the fetch is not a publication time (a zone guessed wrong,
    a page's clock, an "updated" time read for a future one): it is not published as one, but
    set aside as `published_at_after_fetch`, so that a reader sees why the record has none."""
    if not hints.published_at:
        return hints
    try:
        published = datetime.fromisoformat(hints.published_at)
        fetched = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    except ValueError:
        return hints
    if published.tzinfo is None or fetched.tzinfo is None or published <= fetched:
        return hints
    return dataclasses.replace(hints, published_at=None, published_at_after_fetch=hints.published_at)


def clean(raw: RawArticle, options: StageOptions) -> CleanedArticle:
    """The article body of a raw page as paragraphs, and what the page says about itself.

    Raises `CleaningError("empty_body", ...)` when the body found is shorter than
    `options.min_body_chars` (all paragraphs together).
    """
    paragraphs: tuple[str, ...] = ()
    hints = PageHints()
    country_zone = _country_zone(raw.url)
    if raw.html is not None:
        paragraphs, hints = _clean_html(raw, options, country_zone)
    if _body_chars(paragraphs) < options.min_body_chars and raw.text:
        # A crawler that sent both gets its text read when the markup yields nothing.
        text_paragraphs, text_hints, dateline = _clean_text(
            raw.text, raw.title, country_zone or options.assume_timezone
        )
        if dateline is not None and country_zone is None:
            # The site names no country: the time is read in its language's zone, which only
            # the body tells (language detection, paid only by such pages).
            language = detect_language("\n\n".join(text_paragraphs))
            zone = _page_zone(None, language, options.assume_timezone)
            text_hints = dataclasses.replace(text_hints, published_at=parse_dateline(dateline, zone))
        if _body_chars(text_paragraphs) > _body_chars(paragraphs):
            paragraphs = text_paragraphs
            # Each source's time is held to the fetch before they merge: one after it gives way.
            hints = _merge_hints(_not_after_fetch(hints, raw.fetched_at), _not_after_fetch(text_hints, raw.fetched_at))
    if _body_chars(paragraphs) < options.min_body_chars:
        raise CleaningError(
            "empty_body",
            f"{_body_chars(paragraphs)} body chars found, {options.min_body_chars} needed ({raw.url})",
        )
    return CleanedArticle(
        url=raw.url,
        fetched_at=raw.fetched_at,
        source_format=raw.source_format,
        paragraphs=paragraphs,
        hints=_not_after_fetch(hints, raw.fetched_at),
        crawler_title=raw.title,
    )


def _merge_hints(first: PageHints, second: PageHints) -> PageHints:
    published_at = first.published_at or second.published_at
    return PageHints(
        title=first.title or second.title,
        authors=first.authors or second.authors,
        published_at=published_at,
        published_at_after_fetch=None if published_at else first.published_at_after_fetch or second.published_at_after_fetch,
        canonical_url=first.canonical_url or second.canonical_url,
        site_name=first.site_name or second.site_name,
        language=first.language or second.language,
        description=first.description or second.description,
    )
