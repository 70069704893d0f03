"""Named entities: from a recogniser's mentions to a record's people, organisations and places.

The recognising itself is a statistical model (spaCy's English pipeline), which is loaded by
the shell once and passed in through `StageOptions.entities` as an `EntityRecogniser`: this
module never loads anything and never imports spaCy, so a test gives it a fake recogniser.

Which languages get entities: those in the recogniser's `languages` (the shell's spaCy
recogniser: English only). An article in another language, or with no detected language, gets
empty entities and is otherwise processed as usual.

Cost is bounded: the model sees at most `max_chars` characters per article (the title and the
first paragraphs that fit), so one article costs at most one model call over that much text.

Written here by hand, because a model gives mentions, not a record's list of names, and no
installed library merges them (spaCy's entity linker needs a knowledge base we do not have):

* names are cleaned of what the model keeps around them ("the", a possessive "'s", a title
  such as "Colonel" before a person), and "A/B" spans are split;
* one name, one kind: a name the model labelled differently in places gets the kind it got
  most; an organisation or place whose name is a person's name or surname is that person;
* short forms are merged into the fullest form when exactly one fuller name fits: "Colonel
  Warren" and "Warren" into "Steve Warren" (a lone given name too: "Tessa" into "Tessa
  Bishop"), "State" into "Islamic State", and initials such as "US" into "United States";
* an organisation span "the Bardo Museum in Tunis" gives the organisation and the place;
* a name's own words may overrule the model: a "person" named like a company, a paper or a
  product ("Chunghwa Telecom", "Uber Eats", "Daily Maverick", one with a digit) is an
  organisation, an "organisation" named like a river or a lake ("Yangtze River") a place
  (`vocabulary.ORGANISATION_HEADS`, `ORGANISATION_OPENERS`, `PLACE_FEATURES`);
* a one-word "person" is an organisation when the name is a known company's or product's
  ("Petronas", "Strava": `vocabulary.ORGANISATION_NAMES`), is written as no name is ("OpenAI":
  capitals after two lower-case letters or a lower-case first one, to its end), or when the
  article also names it with a legal form ("Strava Inc": `vocabulary.LEGAL_FORMS`) and names no
  person of whose name it is a part.

Names are ordered by how often the article mentions them (then by first mention).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal, Protocol, Sequence

from processors import vocabulary as vocab
from schemas.models import Entities

__all__ = [
    "EntityRecogniser",
    "Kind",
    "PERSON_TITLES",
    "find_entities",
    "find_entities_many",
    "merge_mentions",
    "model_input",
    "name_forms",
    "strip_title",
]

Kind = Literal["person", "organization", "place"]
KINDS: tuple[Kind, ...] = ("person", "organization", "place")


class EntityRecogniser(Protocol):
    """What extraction needs from a named-entity model (the shell's adapter implements it)."""

    #: ISO 639-1 codes of the languages the model is meant for; other articles get no entities.
    languages: frozenset[str]

    def recognise(self, text: str) -> Sequence[tuple[str, str]]:
        """(kind, surface text) of each mention, in text order; kind is one of `KINDS`, and
        mentions of other kinds (dates, amounts, nationalities) are left out by the adapter."""
        ...

    def recognise_many(self, texts: Sequence[str]) -> Sequence[Sequence[tuple[str, str]]]:
        """`recognise` of each text, in order: a model reads a batch at a lower cost per text."""
        ...


#: Words before a person's name that are not part of it (compared case-insensitively, with any
#: trailing dot removed). Several words in a row are stripped: "special envoy", "Prime Minister".
PERSON_TITLES = frozenset(
    """
    mr mrs ms miss mx dr prof professor sir dame lord lady rev reverend fr father sister brother
    president vice prime minister secretary chancellor premier governor mayor senator sen
    representative rep congressman congresswoman ambassador envoy special spokesman spokeswoman
    spokesperson chairman chairwoman chair ceo director judge justice king queen prince princess
    pope cardinal bishop archbishop sheikh emir general gen colonel col lieutenant lt major maj
    captain capt commander cmdr admiral adm sergeant sgt corporal cpl private pvt officer
    inspector detective chief deputy coach adv hon honourable mp datuk dato datin seri tun
    """.split()
)

_SPACES = re.compile(r"\s+")
#: Stripped off both ends of a name; not ".", which ends abbreviations ("U.S.", "Corp.").
_EDGE_JUNK = "\"'“”‘’„«»()[]{}<>,;:!?*•·-–—|/\\"
_POSSESSIVE = re.compile(r"[’']s?$")
_LEADING_ARTICLE = re.compile(r"^(?:the|The|THE)\s+")
_IN_PLACE = re.compile(r"^(?P<org>.+?)\s+in\s+(?P<place>[^\W\d_][\w.’'-]*(?:\s+[^\W\d_][\w.’'-]*)*)$")
_INITIALS_SKIP = frozenset({"of", "the", "and", "for", "de", "la", "le", "du", "des", "der", "und", "&"})
#: A word whose capitals run on to its end after two lower-case letters ("OpenAI", "DonNU") or
#: after its lower-case first letter ("eSIM", "mRNA"); no name is written so ("McDonald",
#: "DeSantis" go on in lower case). A surname's particle (Mc, Mac, Fitz, Van, de...) or one
#: lower-case letter after a capital, then capitals, is a surname in a headline set in capitals
#: ("McCAIN", "FitzGERALD", "VanDYKE", "deVOS", "DeWINE").
_CAPITALS_TO_THE_END = re.compile(
    r"(?!(?:Ma?c|Fitz|[Vv][ao]n|[Dd][aeiu]|[Ll][ae]|[Dd]ella?)[A-Z])(?:[^\W\d_]*[a-z]{2}[A-Z]{2,}|[a-z][A-Z]{2,})"
)


def model_input(title: str | None, paragraphs: Sequence[str], max_chars: int) -> str:
    """The text the model sees: the title and the paragraphs that fit in `max_chars`, the last
    one cut at a word boundary when even it does not fit whole."""
    parts: list[str] = []
    used = 0
    for part in ((title,) if title else ()) + tuple(paragraphs):
        room = max_chars - used - (2 if parts else 0)
        if room <= 0:
            break
        if len(part) > room:
            cut = part[:room]
            space = cut.rfind(" ")
            part = cut[:space] if space > 0 else cut
        if part:
            parts.append(part)
            used += len(part) + (2 if len(parts) > 1 else 0)
    return "\n\n".join(parts)


def find_entities(
    title: str | None,
    paragraphs: Sequence[str],
    language: str | None,
    recogniser: EntityRecogniser | None,
    max_chars: int,
) -> Entities:
    """The article's entities, or none when there is no recogniser for its language."""
    if recogniser is None or language not in recogniser.languages or max_chars <= 0:
        return Entities()
    text = model_input(title, paragraphs, max_chars)
    return merge_mentions(recogniser.recognise(text)) if text else Entities()


def find_entities_many(
    articles: Sequence[tuple[str | None, Sequence[str], str | None]],
    recogniser: EntityRecogniser | None,
    max_chars: int,
) -> list[Entities]:
    """`find_entities` of each (title, paragraphs, language), with one call of the model for all
    the texts it is meant for."""
    inputs = [
        model_input(title, paragraphs, max_chars)
        if recogniser is not None and language in recogniser.languages and max_chars > 0
        else ""
        for title, paragraphs, language in articles
    ]
    wanted = [i for i, text in enumerate(inputs) if text]
    found: list[Entities] = [Entities()] * len(inputs)
    if wanted and recogniser is not None:
        for i, mentions in zip(wanted, recogniser.recognise_many([inputs[i] for i in wanted]), strict=True):
            found[i] = merge_mentions(mentions)
    return found


# --- cleaning one name -------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip(_EDGE_JUNK + " ")
    name = _LEADING_ARTICLE.sub("", name)
    if name.count("(") > name.count(")"):  # the span stopped inside a parenthesis
        name = name[: name.rindex("(")].strip()
    name = _POSSESSIVE.sub("", name) if re.search(r"\w[’']s?$", name) else name
    return name.strip(_EDGE_JUNK + " ")


def strip_title(name: str) -> str:
    """A person's name without the titles before it ("Colonel Warren" -> "Warren")."""
    words = name.split()
    while len(words) > 1 and words[0].rstrip(".").casefold() in PERSON_TITLES:
        words.pop(0)
    return " ".join(words)


def _looks_like_name(name: str) -> bool:
    """A name has a letter, and when its script has case, a capital (the model sometimes tags
    page furniture such as "chevron")."""
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return False
    cased = [c for c in letters if c.isupper() or c.islower()]
    return not cased or any(c.isupper() for c in cased)


def _split_mention(kind: str, text: str) -> list[tuple[Kind, str]]:
    if kind not in KINDS:
        return []
    out: list[tuple[Kind, str]] = []
    for piece in text.split("/") if "/" in text and " / " not in text else (text,):
        name = _clean_name(piece)
        if kind == "person":
            name = strip_title(name)
            if name.rstrip(".").casefold() in PERSON_TITLES:
                continue  # titles alone ("Datuk Seri"): no name
        elif kind == "organization" and (m := _IN_PLACE.match(name)) and m["place"][0].isupper():
            out += [("organization", _clean_name(m["org"])), ("place", _clean_name(m["place"]))]
            continue
        out.append((_kind_of_name(kind, name), name))  # type: ignore[arg-type]
    return [(k, n) for k, n in out if _looks_like_name(n)]


def _kind_of_name(kind: str, name: str) -> str:
    """The model's kind, unless the name's own words say otherwise: a person named like a
    company, a paper or a product ("Chunghwa Telecom", "Daily Maverick", a name with a digit)
    is an organisation, an organisation named like a geographic feature ("Yangtze River") a
    place."""
    words = [w.casefold() for w in name.split()]
    if not words:  # nothing left of the mention once cleaned: `_looks_like_name` drops it
        return kind
    if kind == "person" and len(words) > 1 and (
        words[-1] in vocab.ORGANISATION_HEADS or words[0] in vocab.ORGANISATION_OPENERS
    ):
        return "organization"
    if kind == "person" and any(c.isdigit() for c in name):
        return "organization"  # a model number, not a name ("Clothes Airer 3-Tier", "Local 90")
    if kind == "person" and len(words) == 1 and (
        words[0] in vocab.ORGANISATION_NAMES or _CAPITALS_TO_THE_END.fullmatch(name)
    ):
        return "organization"
    if kind == "organization" and words[-1] not in vocab.ORGANISATION_HEADS and (
        any(w in vocab.PLACE_FEATURES for w in words)
    ):
        return "place"
    return kind


# --- merging -----------------------------------------------------------------------------------


@dataclass
class _Name:
    form: str
    first: int
    votes: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.votes.values())

    @property
    def kind(self) -> Kind:
        # most votes; on a tie, the order of KINDS (a person before an organisation)
        return max(KINDS, key=lambda k: (self.votes[k], -KINDS.index(k)))


def _key(name: str) -> str:
    return name.casefold()


def name_forms(full_name: str) -> tuple[str, ...]:
    """The forms a text may use for a person after naming them in full: the full name and the
    surname (the last word)."""
    words = full_name.split()
    return (full_name, words[-1]) if len(words) > 1 else (full_name,)


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.casefold() not in _INITIALS_SKIP]
    return "".join(w[0] for w in words).upper() if len(words) > 1 else ""


def _fuller(short: _Name, kind: Kind, candidates: list[_Name]) -> _Name | None:
    """The one fuller name of the same kind that `short` abbreviates, if exactly one fits."""
    words = short.form.split()
    found = []
    for other in candidates:
        if other is short or len(other.form) <= len(short.form):
            continue
        theirs = other.form.split()
        if len(theirs) > len(words) and kind in ("person", "organization") and (
            [w.casefold() for w in theirs[-len(words):]] == [w.casefold() for w in words]
        ):
            found.append(other)
        elif len(words) == 1 and kind == "person" and theirs[0].casefold() == words[0].casefold():
            found.append(other)  # a given name ("Tessa" of "Tessa Bishop"), or a surname put first
        elif len(words) == 1 and short.form.isupper() and 2 <= len(short.form) <= 6 and (
            _initials(other.form) == short.form.replace(".", "")
        ) and kind in ("organization", "place"):
            found.append(other)
    return found[0] if len(found) == 1 else None


def _companies_by_legal_form(names: dict[str, _Name]) -> None:
    """A one-word "person" that the article also names as an organisation with a legal form
    after it ("Strava" and "Strava Inc") is that company, unless a person's name holds it
    ("Dell" beside "Michael Dell" and "Dell Inc")."""
    bases = {
        base
        for key, entry in names.items()
        if " " in key and (parts := key.rsplit(" ", 1))[1].rstrip(".") in vocab.LEGAL_FORMS
        and " " not in (base := parts[0]) and base in names and entry.kind == "organization"
    }
    if not bases:
        return
    # the words of the people's names of two words or more
    held = {word for key, entry in names.items() if " " in key and entry.kind == "person" for word in key.split()}
    for key in bases - held:
        if names[key].kind == "person":
            names[key].votes = Counter({"organization": names[key].count})


def merge_mentions(mentions: Iterable[tuple[str, str]]) -> Entities:
    """People, organisations and places from a model's (kind, text) mentions: cleaned,
    de-duplicated, short forms merged into the fullest, most mentioned first."""
    names: dict[str, _Name] = {}
    position = 0
    for kind, text in mentions:
        for k, name in _split_mention(kind, text):
            entry = names.setdefault(_key(name), _Name(name, position))
            entry.votes[k] += 1
            position += 1
    _companies_by_legal_form(names)
    # an organisation or place that is a person's name or surname is that person
    people_forms: dict[str, set[str]] = {}
    for key, entry in names.items():
        if entry.kind == "person":
            for form in name_forms(entry.form):
                people_forms.setdefault(_key(form), set()).add(key)
    for key, entry in names.items():
        owners = people_forms.get(key, set()) - {key}
        if entry.kind != "person" and len(owners) == 1:
            entry.votes = Counter({"person": entry.count})
    grouped: dict[Kind, list[_Name]] = {k: [] for k in KINDS}
    for entry in names.values():
        grouped[entry.kind].append(entry)
    result: dict[Kind, tuple[str, ...]] = {}
    for kind, entries in grouped.items():
        # shortest first, so that "Warren" joins "Colonel Warren"'s target before it is merged
        by_length = sorted(entries, key=lambda e: len(e.form))
        target: dict[int, _Name] = {}
        for entry in by_length:
            fuller = _fuller(entry, kind, entries)
            if fuller is not None:
                target[id(entry)] = fuller
        merged: dict[int, tuple[_Name, int, int]] = {}
        for entry in entries:
            root = entry
            while id(root) in target:
                root = target[id(root)]
            _, count, first = merged.get(id(root), (root, 0, root.first))
            merged[id(root)] = (root, count + entry.count, min(first, entry.first))
        ordered = sorted(merged.values(), key=lambda t: (-t[1], t[2]))
        result[kind] = tuple(root.form for root, _, _ in ordered)
    return Entities(result["person"], result["organization"], result["place"])
