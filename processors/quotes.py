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
* a quote attributed to "he" or "she" (`“…,” he said.`) is the words of the first person named
  in the nearest sentence before it that names one (one of the article's people or a speaker
  found before), in its paragraph or the `REFERENT_PARAGRAPHS` before: the subject a news story
  names before it goes on with "he said". A person the pronoun cannot mean is passed over: a
  "she" is not given to a man when the article tells his sex, by a title before his name ("Mr",
  "spokesman": `vocabulary.MALE_TITLES`, `FEMALE_TITLES`), his given name
  (`vocabulary.MALE_GIVEN_NAMES`, `FEMALE_GIVEN_NAMES`) or an earlier "he said" given to him;
* a fragment is not a statement: a quoted phrase inside a sentence, opening in lower case
  without a stop of its own (at its end or inside) or a final comma (`called it “a slap in the face” for workers`), or a name
  in Title Case (`“The Tortured Poets Department”`); nor is a phrase opening in lower case right
  after a word, with no sentence inside it, whatever mark closes it (`was “an internal decision.”`).

The reporting verbs are English: in other languages the quotes are found, without a speaker.
A quote inside another ('“He said ‘no’ twice,” she said') counts once, as the outer one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

from processors import vocabulary as vocab
from processors.entities import name_forms, strip_title
from schemas.models import Quote

__all__ = ["FOLLOW_GAP", "MAX_QUOTES", "MIN_WORDS", "REPORTING_VERBS", "find_quotes", "speaker_of"]

MIN_WORDS = 3
#: Characters between a speaker's quote and a quote without attribution that goes on in the
#: same speaker's words (room for `, Colonel Steve Warren told reporters on Monday.`).
FOLLOW_GAP = 80
#: Quotes kept per article (a record's size and an article's cost stay bounded).
MAX_QUOTES = 100
#: How many paragraphs before a quote's own are searched for the person its "he said" means.
REFERENT_PARAGRAPHS = 2

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
_VERBS = "|".join(sorted(REPORTING_VERBS))
#: An attribution to a pronoun: "he said", "she also told", "said he".
_PRONOUN_ATTRIBUTION = re.compile(
    rf"\b(?:he|she)\s+(?:(?:also|later|then|has|had)\s+)?(?:{_VERBS})\b|\b(?:{_VERBS})\s+(?:he|she)\b", re.IGNORECASE
)
_INNER_STOP = re.compile(r"[.!?]\s+\S")
#: The word before a name ("Mrs", "Mr.", "spokeswoman"), at the end of the text before it, and
#: the dot after it, if any.
_WORD_BEFORE = re.compile(r"([^\W\d_]+)(\.?)\s+$")

Sex = Literal["he", "she"]


def find_quotes(paragraphs: Sequence[str], people: Sequence[str] = ()) -> tuple[Quote, ...]:
    """Each quoted statement in the paragraphs, in order, with its speaker or None; `people`
    are the article's people (full names) to pick speakers from. At most `MAX_QUOTES`: each
    costs a look at 2 x 160 characters around it, so an article's cost stays linear in its size."""
    known = _People.of(people)
    quotes: list[Quote] = []
    #: The speaker of the previous paragraph's last quote, when that quote ended its paragraph.
    carried: str | None = None
    speakers: list[str] = []  # the names quotes were given so far, for `_referent`
    titled: dict[str, Sex] | None = None  # read off the text when a "he said" first needs it
    bound: dict[str, Sex] = {}  # the people a "he said" or a "she said" was given to
    for index, paragraph in enumerate(paragraphs):
        last: tuple[int, str | None] | None = None  # (end, speaker) of this paragraph's last quote
        for match in _QUOTE.finditer(paragraph):
            raw = match.group(match.lastgroup or "a") or ""
            text = raw.strip().rstrip(",").strip()
            if len(text.split()) < MIN_WORDS or _is_fragment(raw) or _is_partial(raw, paragraph, match.start()):
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
                _speaker(before, known, leads=True) if may_before else None
            )
            if speaker is None and not ((may_after and _attributes(after)) or (may_before and _attributes(before))):
                if last is not None and match.start() - last[0] <= FOLLOW_GAP:
                    speaker = last[1]
                elif last is None and not paragraph[:match.start()].strip():
                    speaker = carried
            elif speaker is None and (
                pronoun := (_pronoun(after) if may_after else None)
                or (_pronoun(before, last=True) if may_before else None)
            ):
                earlier = (*paragraphs[max(0, index - REFERENT_PARAGRAPHS):index], paragraph[:match.start()])
                titled = _titled(paragraphs, known) if titled is None else titled
                speaker = _referent(earlier, known, speakers, lambda name: _sex(name, titled, bound) in (None, pronoun))
                if speaker is not None:
                    bound.setdefault(speaker, pronoun)
            if speaker is not None and speaker not in speakers:
                speakers.append(speaker)
            quotes.append(Quote(text, speaker))
            last = (match.end(), speaker)
            if len(quotes) == MAX_QUOTES:
                return tuple(quotes)
        carried = last[1] if last is not None and len(paragraph) - last[0] <= FOLLOW_GAP else None
    return tuple(quotes)


def _referent(
    texts: Sequence[str], known: _People, speakers: Sequence[str], fits: Callable[[str], bool]
) -> str | None:
    """The person the last sentence of `texts` (in order) that names one of the article's people
    or one of `speakers` that `fits` (the pronoun may mean them) has speak, else the first such
    one it names; when that is a name of two words or more. A sentence that names only people
    the pronoun cannot mean is passed over."""
    for text in reversed(texts):
        starts = [0, *(m.end() for m in _SENTENCE_END.finditer(text))]
        for start, end in zip(reversed(starts), [len(text), *reversed(starts[1:])]):
            sentence = text[start:end]
            found = [(m.start(), known.owner[m.group()]) for m in known.pattern.finditer(sentence)] if known.pattern else []
            found += [(at, name) for name in speakers if (at := _word_at(sentence, name)) >= 0]
            if found:
                # The one the sentence has speak ("..., Medrano said"), else the first it names; a
                # one-word "person" is as often a place or a word the model took for a name.
                spoken = _speaker(sentence, known) if _may_attribute(sentence) else None
                ranked = [name for name in (spoken, *(n for _, n in sorted(found))) if name is None or fits(name)]
                if any(ranked):
                    return next((name for name in ranked[:2] if name and " " in name), None)
    return None


def _pronoun(clause: str, last: bool = False) -> Sex | None:
    """The pronoun a clause attributes a quote to ("she said": she), if it does; the `last` one
    it names in a clause before the quote, the one next to it ("She said he then announced:")."""
    found = [m.group() for m in _PRONOUN_ATTRIBUTION.finditer(clause)]
    if not found:
        return None
    return "she" if "she" in found[-1 if last else 0].casefold().split() else "he"


def _titled(paragraphs: Sequence[str], known: _People) -> dict[str, Sex]:
    """The article's people whom a word before one of their names gives a sex ("Mrs Harris",
    "spokesman John Kirby"); one given both is in neither."""
    seen: dict[str, set[Sex]] = {}
    if known.pattern is None:
        return {}
    for paragraph in paragraphs:
        for name in known.pattern.finditer(paragraph):
            word = _WORD_BEFORE.search(paragraph, max(0, name.start() - 24), name.start())
            title = word.group(1).casefold() if word else ""
            if word and word.group(2) and title not in vocab.ABBREVIATED_TITLES:
                title = ""
            elif word and title in vocab.CAPITALISED_TITLES and not word.group(1)[0].isupper():
                title = ""
            sex: Sex | None = "he" if title in vocab.MALE_TITLES else "she" if title in vocab.FEMALE_TITLES else None
            if sex is not None:
                seen.setdefault(known.owner[name.group()], set()).add(sex)
    return {person: sexes.pop() for person, sexes in seen.items() if len(sexes) == 1}


def _sex(name: str, titled: dict[str, Sex], bound: dict[str, Sex]) -> Sex | None:
    """What the article tells of a person's sex: a title before their name, an earlier pronoun
    given to them, their given name; None when it tells nothing, or both."""
    given = name.split()[0].casefold()
    told = {
        titled.get(name),
        bound.get(name),
        "he" if given in vocab.MALE_GIVEN_NAMES else "she" if given in vocab.FEMALE_GIVEN_NAMES else None,
    } - {None}
    return told.pop() if len(told) == 1 else None  # type: ignore[return-value]


def _word_at(text: str, name: str) -> int:
    """Where `name` stands in `text` as whole words, else -1."""
    at = text.find(name)
    while at >= 0:
        end = at + len(name)
        if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return at
        at = text.find(name, at + 1)
    return -1


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


def _is_partial(quoted: str, paragraph: str, start: int) -> bool:
    """A phrase quoted inside a sentence whose stop or comma sits inside the closing mark, as
    American style puts it (`was “an internal decision.”`, `Sinwar “is someone who grew up
    ...,” said Levitt`): it opens in lower case right after a word other than "that", and holds
    no sentence of its own."""
    if not quoted.lstrip()[:1].islower() or _INNER_STOP.search(quoted) is not None:
        return False
    before = paragraph[max(0, start - 6):start].rstrip()
    # "said that “there must be a full investigation”": a whole clause, the speaker's words.
    return before[-1:].isalnum() and not before.endswith(" that")


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
        by two people names neither): a name before it by its end ("Anzalone said Harris ...":
        Anzalone), a name after it by its start."""
        if self.pattern is None:
            return None
        found = [
            (anchor - m.end() if m.end() <= anchor else m.start() - anchor, self.owner[m.group()])
            for m in self.pattern.finditer(clause)
        ]
        return min(found)[1] if found else None


def _speaker(clause: str, people: _People, leads: bool = False) -> str | None:
    """The speaker the clause names (see the module's docstring). A clause that `leads` into
    its quote ("He said Britain “has ...”") has its speaker before the verb: the name after it
    is the one spoken of, unless the verb opens the clause ("Said Warren: “...”")."""
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
        name = _capitalised_run(clause, words, before, -1) or (
            _capitalised_run(clause, words, i + 1, 1) if not leads or i == 0 else None
        )
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
