"""Quotes: the quoted statements of an article, with their speaker when the text names one.

Written by hand because no installable library does this for news text: spaCy has no quote
component, the quote extractors that exist are tied to one language's dependency parse (textacy's
`direct_quotations` needs spaCy's parser, 3x the cost of NER, and knows only English straight and
curly quotes) or are research code that is not on PyPI. A news quote has a small, regular shape,
so a scan of the quote marks plus the attribution next to them does it in microseconds:

* quote marks: “…”, "…", „…“ (or „…”), «…» and »…«, within one paragraph; a quote of fewer than
  `MIN_WORDS` words is a word in scare quotes ("contingencies"), not a statement;
* the attribution is the rest of the sentence after the closing mark (`…,” Colonel Warren
  said.`), else the sentence before the opening mark (`McGurk said: “…”`), and must hold a
  reporting verb (`X said`, `said X`, `X told …`, `X noted`, …) or `according to X`;
* the speaker is, first, one of the article's people (from the entities) named in that clause,
  by full name or surname, and given by full name ("Colonel Warren" -> "Steve Warren"); else the
  capitalised name next to the verb ("Reuters said"); else none ("he said", "a source said");
* a quote with no attribution at all that follows a speaker's quote closely (`FOLLOW_GAP`
  characters after it in the same paragraph, or opening the next paragraph when that quote
  ended its own) goes on in that speaker's words: `“…,” Warren said. “…”`;
* a fragment is not a statement: a quoted phrase inside a sentence, opening in lower case
  without a stop of its own (at its end or inside) or a final comma (`called it “a slap in the face” for workers`), or a name
  in Title Case (`“The Tortured Poets Department”`).

The reporting verbs are English: in other languages the quotes are found, without a speaker.
A quote inside another ('“He said ‘no’ twice,” she said') counts once, as the outer one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from processors.entities import name_forms, strip_title
from schemas.models import Quote

__all__ = ["FOLLOW_GAP", "MAX_QUOTES", "MIN_WORDS", "REPORTING_VERBS", "find_quotes", "speaker_of"]

MIN_WORDS = 3
#: Characters between a speaker's quote and a quote without attribution that goes on in the
#: same speaker's words (room for `, Colonel Steve Warren told reporters on Monday.`).
FOLLOW_GAP = 80
#: Quotes kept per article (a record's size and an article's cost stay bounded).
MAX_QUOTES = 100

#: Verbs that attribute a quote to the name next to them.
REPORTING_VERBS = frozenset(
    """
    said says say saying told tells tell added adds noted notes explained explains stated states
    wrote writes asked asks insisted insists warned warns acknowledged acknowledges declared
    declares announced announces continued continues argued argues claimed claims replied replies
    recalled recalls admitted admits stressed stresses emphasised emphasized confirmed confirms
    """.split()
)
#: Capitalised words that are not a speaker's name when they stand next to the verb.
_NOT_NAMES = frozenset("he she they it we i you the a an this that his her their its one".split())
#: "Ishiba was asked, “…”": the one asked is not the speaker.
_PASSIVE = frozenset("was were is are been being be".split())
_AUXILIARIES = frozenset("has had have also later then previously earlier".split())

_QUOTE = re.compile(
    r"“(?P<a>[^“”]+)”"
    r"|„(?P<b>[^„“”]+)[“”]"
    r"|«(?P<c>[^«»]+)»"
    r"|»(?P<d>[^«»]+)«"
    r'|"(?P<e>[^"]+)"'
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)")
_WORD = re.compile(r"[^\W\d_][\w.’'-]*")
_ACCORDING = re.compile(r"\baccording to\b", re.IGNORECASE)
_ASCII_LETTERS = re.compile("[a-z]+")
_CLAUSE_MAX = 160
_STATEMENT_END = re.compile(r"[.,!?…;:]\s*$")
_INNER_STOP = re.compile(r"[.!?]\s+\S")


def find_quotes(paragraphs: Sequence[str], people: Sequence[str] = ()) -> tuple[Quote, ...]:
    """Each quoted statement in the paragraphs, in order, with its speaker or None; `people`
    are the article's people (full names) to pick speakers from. At most `MAX_QUOTES`: each
    costs a look at 2 x 160 characters around it, so an article's cost stays linear in its size."""
    known = _People.of(people)
    quotes: list[Quote] = []
    #: The speaker of the previous paragraph's last quote, when that quote ended its paragraph.
    carried: str | None = None
    for paragraph in paragraphs:
        last: tuple[int, str | None] | None = None  # (end, speaker) of this paragraph's last quote
        for match in _QUOTE.finditer(paragraph):
            raw = match.group(match.lastgroup or "a") or ""
            text = raw.strip().rstrip(",").strip()
            if len(text.split()) < MIN_WORDS or _is_fragment(raw):
                continue
            after = paragraph[match.end():match.end() + _CLAUSE_MAX]
            end = _SENTENCE_END.search(after)
            after = after[: end.start()] if end else after
            if text.endswith(".") and after.strip()[:1].isupper():
                after = ""  # the quote ended its sentence: what follows is the next one
            before = paragraph[max(0, match.start() - _CLAUSE_MAX):match.start()]
            starts = [m.end() for m in _SENTENCE_END.finditer(before)]
            before = before[starts[-1]:] if starts else before
            may_after, may_before = _may_attribute(after), _may_attribute(before)
            speaker = (_speaker(after, known) if may_after else None) or (
                _speaker(before, known) if may_before else None
            )
            if speaker is None and not ((may_after and _attributes(after)) or (may_before and _attributes(before))):
                if last is not None and match.start() - last[0] <= FOLLOW_GAP:
                    speaker = last[1]
                elif last is None and not paragraph[:match.start()].strip():
                    speaker = carried
            quotes.append(Quote(text, speaker))
            last = (match.end(), speaker)
            if len(quotes) == MAX_QUOTES:
                return tuple(quotes)
        carried = last[1] if last is not None and len(paragraph) - last[0] <= FOLLOW_GAP else None
    return tuple(quotes)


def _is_fragment(quoted: str) -> bool:
    """A quoted phrase rather than a statement: it opens in lower case and has no stop or comma
    of its own, or every word of it is capitalised (a title, a name) and it does not end a
    sentence."""
    letters = [w for w in quoted.split() if w[:1].isalpha()]
    if not letters or _STATEMENT_END.search(quoted) or _INNER_STOP.search(quoted):
        return False
    if letters[0][0].islower():
        return True
    return all(w[0].isupper() for w in letters)


def _may_attribute(clause: str) -> bool:
    """Whether the clause may attribute a quote: it says "according to", or a reporting verb is
    a run of ASCII letters of its own in the case-folded clause. What `_speaker` and
    `_attributes` look for implies it (the verbs are ASCII letters, and whatever can stand next
    to a word folds to no ASCII letter), and it is one scan where they cut the clause into words."""
    return _ACCORDING.search(clause) is not None or not REPORTING_VERBS.isdisjoint(
        _ASCII_LETTERS.findall(clause.casefold())
    )


def _attributes(clause: str) -> bool:
    """The clause attributes a quote to someone, named or not ("he said")."""
    return _ACCORDING.search(clause) is not None or any(
        m.group().rstrip(".’'").casefold() in REPORTING_VERBS for m in _WORD.finditer(clause)
    )


def speaker_of(clause: str, people: Sequence[str] = ()) -> str | None:
    """The speaker a clause next to a quote names, if it attributes the quote at all."""
    return _speaker(clause, _People.of(people))


@dataclass(frozen=True, slots=True)
class _People:
    """The article's people, as one pattern of the forms that name exactly one of them."""

    pattern: re.Pattern[str] | None
    owner: dict[str, str]
    #: given names that name one person: only compared with a name the attribution gives
    #: whole ("Tessa said"), since a given name may be a word that starts a sentence ("Will")
    given: dict[str, str]

    @classmethod
    def of(cls, people: Sequence[str]) -> _People:
        owners: dict[str, set[str]] = {}
        for person in people:
            for form in name_forms(person):
                owners.setdefault(form, set()).add(person)
        owner = {form: next(iter(persons)) for form, persons in owners.items() if len(persons) == 1}
        givens: dict[str, set[str]] = {}
        for person in people:
            if len(person.split()) > 1:
                givens.setdefault(person.split()[0], set()).add(person)
        given = {name: next(iter(p)) for name, p in givens.items() if len(p) == 1 and name not in owners}
        if not owner:
            return cls(None, {}, given)
        forms = "|".join(re.escape(form) for form in sorted(owner, key=len, reverse=True))
        return cls(re.compile(rf"(?<!\w)(?:{forms})(?!\w)"), owner, given)

    def named(self, clause: str, anchor: int) -> str | None:
        """The person the clause names, the nearest to `anchor` if several (a surname shared
        by two people names neither)."""
        if self.pattern is None:
            return None
        found = [(abs(m.start() - anchor), self.owner[m.group()]) for m in self.pattern.finditer(clause)]
        return min(found)[1] if found else None


def _speaker(clause: str, people: _People) -> str | None:
    words = [(m.group().rstrip(".’'"), m.start()) for m in _WORD.finditer(clause)]
    verbs = [
        i for i, (w, _) in enumerate(words)
        if w.casefold() in REPORTING_VERBS and not (i and words[i - 1][0].casefold() in _PASSIVE)
    ]
    according = _ACCORDING.search(clause)
    if not verbs and not according:
        return None
    anchor = words[verbs[0]][1] if verbs else according.end()  # type: ignore[union-attr]
    named = people.named(clause, anchor)
    if named:
        return named
    name = None
    if according:
        first = next((i for i, (_, at) in enumerate(words) if at >= according.end()), len(words))
        name = _capitalised_run(clause, words, first, 1)
    for i in verbs:
        if name:
            break
        before = i - 1
        while before >= 0 and words[before][0].casefold() in _AUXILIARIES:
            before -= 1
        name = _capitalised_run(clause, words, before, -1) or _capitalised_run(clause, words, i + 1, 1)
    if not name:
        return None
    name = strip_title(name)
    return people.named(name, 0) or people.given.get(name) or name


def _capitalised_run(clause: str, words: list[tuple[str, int]], start: int, step: int) -> str | None:
    """The run of adjacent capitalised words from `start` going `step` (-1: backwards), skipping
    up to three lower-case title words when going forwards ("said special envoy Brett McGurk")."""
    i = start
    if step > 0:
        skipped = 0
        while i < len(words) and not words[i][0][:1].isupper() and skipped < 3:
            if words[i][0].casefold() in _NOT_NAMES:
                return None
            i, skipped = i + 1, skipped + 1
    run: list[int] = []
    while 0 <= i < len(words) and words[i][0][:1].isupper() and words[i][0].casefold() not in _NOT_NAMES:
        if run:
            left, right = sorted((run[-1], i))
            if clause[words[left][1] + len(words[left][0]):words[right][1]].strip():
                break  # punctuation between: not one name
        run.append(i)
        i += step
    return " ".join(words[j][0] for j in sorted(run)) or None
