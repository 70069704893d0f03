"""What a parsed HTML page says about itself: its JSON-LD article, meta tags, headlines, and
the authors all of these credit. Used by the cleaning stage, which holds the parsed tree.

trafilatura reads metadata too, and the cleaning stage still takes its title, date and body;
but its author string is the union of every source it found, title-cased and with dots dropped
("Miguel A Herguedas", "Condé Nast; Philipp Wehsack", "Brazil; Rachel"), so the sources are
read here instead, each for what it is worth:

1. the page's JSON-LD article (the shallowest object of an Article, BlogPosting or Report
   type): its `author` Persons, `@id` references resolved through the page's graph;
2. meta tags naming an author (`vocabulary.AUTHOR_META_NAMES`), URLs skipped;
3. trafilatura's author string (which adds byline heuristics on the markup).

The first source that names a person wins. A name that is the publisher's own (its site name,
domain, or a publisher named in JSON-LD or meta tags) counts as no person; when no source names
a person, the publisher or organisation credited is the author, as the page says.

Names are written by hand into shape, because no installed library does it for bylines:
prefixes ("By", "Von", "Autor:"), roles ("Journalist", "기자") and e-mails, URLs and handles go;
"A and B", "A, B & C", "A / Journalist" are split; ALL-CAPS names get a title case.
"""

from __future__ import annotations

import html
import itertools
import json
import re

import lxml.etree
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from processors import vocabulary as vocab

__all__ = [
    "PageMeta",
    "body_byline",
    "choose_title",
    "markup_authors",
    "with_lead",
    "without_teasers",
    "without_headline",
    "page_authors",
    "read_page",
    "split_author_names",
]

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]+")
_URL = re.compile(r"\(?(?:https?://|www\.)\S+\)?", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?<!\S)@\w+")
_ARTICLE_TYPE = re.compile(r"(?:Article|BlogPosting|Report)$")
_ORGANISATION_TYPE = re.compile(r"Organi[sz]ation$|^(?:Corporation|NewsMediaOrganization)$")
_AUTHOR_SPLIT = re.compile(
    "|".join(re.escape(j) for j in vocab.AUTHOR_JOINERS) + r"|;|\s+[/|]\s+|(?<=[^\W\d_])/(?=[^\W\d_])",
    re.IGNORECASE,
)
#: A byline's prefix where `.match(name, at)` starts (no "^": it would match at 0 only).
_PREFIX = re.compile(
    r"(?:" + "|".join(re.escape(p) for p in sorted(vocab.BYLINE_PREFIXES, key=len, reverse=True))
    + r"):?(?:\s+|(?<=:))",
    re.IGNORECASE,
)
_TWO_WORDS = re.compile(r"\s*\S+\s+\S")
_PARENTHESIS = re.compile(r"\s*\([^()]*\)")
_SLUG = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
_PICTURE_CREDIT = re.compile(
    r"^\W*(?:" + "|".join(re.escape(w) for w in vocab.PICTURE_CREDIT_WORDS) + r")s?\s*:", re.IGNORECASE
)
_INNER_PREFIX_WORDS = frozenset({"by", "von", "par", "por", "door"})
_NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "dem", "da", "di", "del", "la", "le",
                             "al", "el", "bin", "ibn", "du", "dos", "y"})
_MAX_NAME_WORDS = 5
#: A byline paragraph: at most this long, among the body's first or last paragraphs, without
#: sentence punctuation or digits.
_BYLINE_PARAGRAPH_MAX_CHARS = 80
_BYLINE_HEAD = 3
_BYLINE_TAIL = 2
#: A lead is a description of at least this many characters, found by its first characters.
_LEAD_MIN_CHARS = 40
_LEAD_START_CHARS = 24
_LEAD_SEEN_IN = 3
#: A first paragraph this long or longer that is part of a headline is the headline's.
_HEADLINE_PART_MIN_CHARS = 15
_NOT_IN_NAMES = re.compile(r"[.!?:;\"“”«»„()\d]")


# --- JSON-LD and meta tags ---------------------------------------------------------------------


class PageMeta:
    """The facts read off one page's head: its JSON-LD article, meta tags and headline."""

    __slots__ = ("article", "graph", "meta", "h1", "title")

    def __init__(self, article: dict[str, Any] | None, graph: dict[str, dict[str, Any]],
                 meta: dict[str, list[str]], h1: str | None, title: str | None) -> None:
        self.article = article
        self.graph = graph
        self.meta = meta
        self.h1 = h1
        self.title = title

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                if value:
                    return value
        return None

    def headline(self) -> str | None:
        value = self.article.get("headline") if self.article else None
        return _text(value) if isinstance(value, str) else None

    def published(self) -> str | None:
        """The JSON-LD article's `datePublished`, as the page writes it."""
        value = self.article.get("datePublished") if self.article else None
        if isinstance(value, list) and value:
            value = value[0]
        return value.strip() if isinstance(value, str) and value.strip() else None

    def publishers(self) -> list[str]:
        """Names the page gives its publisher: site name, JSON-LD publisher, meta publishers."""
        names = [v for name in vocab.PUBLISHER_META_NAMES for v in self.meta.get(name, ())]
        if self.article:
            for node in _nodes(self.article.get("publisher"), self.graph):
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    names.append(node["name"])
        return [n for n in names if n and not _URL.fullmatch(n.strip())]


def _text(value: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", html.unescape(value))).strip()


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _json_ld(tree) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    for script in tree.iterfind(".//script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            yield json.loads(script.text, strict=False)
        except ValueError:
            continue  # a page's broken JSON-LD only loses that script's facts


def _walk(document: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every object of a JSON-LD document with its depth, breadth first."""
    level, depth = [document], 0
    while level and depth < 12:
        following: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                yield depth, item
                following.extend(item.values())
            elif isinstance(item, list):
                following.extend(item)
        level, depth = following, depth + 1


def read_page(tree) -> PageMeta:  # type: ignore[no-untyped-def]
    """The JSON-LD article (the shallowest article-typed object, first in page order), the
    `@id` index of every JSON-LD object, the meta tags by lower-cased name, the first <h1>."""
    article: tuple[int, dict[str, Any]] | None = None
    graph: dict[str, dict[str, Any]] = {}
    for document in _json_ld(tree):
        for depth, node in _walk(document):
            if isinstance(node.get("@id"), str) and len(node) > 1:
                graph.setdefault(node["@id"], node)
            if (article is None or depth < article[0]) and any(_ARTICLE_TYPE.search(t) for t in _types(node)):
                article = (depth, node)
    meta: dict[str, list[str]] = {}
    for tag in tree.iterfind(".//meta"):
        name = (tag.get("name") or tag.get("property") or tag.get("itemprop") or "").strip().lower()
        content = tag.get("content")
        if name and content and content.strip():
            meta.setdefault(name, []).append(_text(content))
    h1 = tree.find(".//h1")
    title = tree.find(".//title")
    return PageMeta(
        article[1] if article else None,
        graph,
        meta,
        _text(h1.text_content()) if h1 is not None else None,
        _text(title.text_content()) if title is not None else None,
    )


def _nodes(value: Any, graph: dict[str, dict[str, Any]]) -> Iterator[Any]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and set(item) <= {"@id", "@type"} and isinstance(item.get("@id"), str):
            item = graph.get(item["@id"], item)
        yield item


# --- names -------------------------------------------------------------------------------------


def _keys(text: str) -> str:
    """The text's letters and digits, case-folded and without accents ("Énergie" is "energie").
    NFKD parts an accent from its letter, and a combining mark is no letter or digit: the one
    substitution of everything else drops it too."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKD", text.casefold()))


class _Publisher:
    """Tells whether a credited name is the publisher's own."""

    def __init__(self, names: Iterable[str], site: str) -> None:
        host = site.lower().removeprefix("www.")
        label = host.split(".")[0]
        self.label = _keys(label)
        self.keys = {_keys(n) for n in names} | {_keys(host), self.label}
        self.keys = {k for k in self.keys if len(k) >= 2}

    def exactly(self, name: str) -> bool:
        key = _keys(name)
        return not key or key in self.keys

    def __call__(self, name: str) -> bool:
        key = _keys(name)
        if self.exactly(name) or name.casefold() in vocab.AUTHOR_DESKS:
            return True
        # "Mdr De", "mediaindonesia.com developer", "BR24 Redaktion": the site's label opens the
        # credit or the credit names the host.
        return len(self.label) >= 3 and (key.startswith(self.label) or any(
            len(k) >= 5 and (key.startswith(k) or key.endswith(k)) for k in self.keys))


def _title_case(name: str) -> str:
    words = name.split()
    if len(words) >= 2 and all(w.isupper() and sum(c.isalpha() for c in w) >= 2 for w in words if any(c.isalpha() for c in w)):
        return " ".join(w.capitalize() if not w.endswith(".") else w for w in words)
    return name


def _clean_name(part: str) -> str | None:
    name = _SPACES.sub(" ", _PARENTHESIS.sub(" ", part)).strip(" .,;:|-–—·•*()[]\"'")
    if _SLUG.match(name):
        name = name.replace("-", " ").title()  # "chuck-ross", a profile's slug
    # The prefixes are stepped over by position, not sliced off one by one: a part of thousands
    # of them costs one pass. `name` is already stripped at its end.
    at = 0
    while match := _PREFIX.match(name, at):
        rest = match.end()
        while rest < len(name) and name[rest] in " .,;:|-–—":
            rest += 1
        # "Di Maria" is a name, "di Mario Rossi" and "Autor: Rossi" are bylines.
        if not (match.group().rstrip().endswith(":") or _TWO_WORDS.match(name, rest)):
            break
        at = rest
    words = name[at:].split()
    # "Capital von Jemima Kelly": a section or brand before the byline word.
    for i in range(1, len(words) - 2):
        if words[i].casefold() in _INNER_PREFIX_WORDS and words[i + 1].casefold() not in _NAME_PARTICLES:
            words = words[i + 1:]
            break
    while len(words) > 1 and words[-1] in vocab.AUTHOR_ROLE_SUFFIXES:
        words.pop()
    if " ".join(words).casefold() in vocab.AUTHOR_ROLES:
        return None
    name = " ".join(words).strip(" .,;:|-–—")
    if not name or not any(c.isalpha() for c in name) or name.startswith("@"):
        return None
    if len(name.split()) > _MAX_NAME_WORDS:
        return None  # an affiliation or a sentence, not a name
    return _title_case(name)


def split_author_names(credit: str) -> tuple[str, ...]:
    """Person or organisation names from one credit string ("By A and B", "A, B & C",
    "A / Journalist", "Autor: A"), without e-mails, URLs, handles and roles; first seen kept."""
    credit = _HANDLE.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", _text(credit))))
    if _PICTURE_CREDIT.match(credit):
        return ()  # "(Image: Getty Images)": a picture's credit, not the article's
    result: list[str] = []
    seen: set[str] = set()
    for part in _AUTHOR_SPLIT.split(credit):
        name = _clean_name(part)
        if name is None:
            continue
        key = _keys(name)
        if key and key not in seen:
            seen.add(key)
            result.append(name)
    return tuple(result)


def _credits(values: Iterable[str], is_publisher: _Publisher, addresses: bool = False) -> list[str]:
    names: list[str] = []
    for value in values:
        parts = split_author_names(value)
        # "hessenschau.de, Frankfurt, Germany" (a meta tag): a publisher and its address.
        if addresses and len(parts) > 1 and is_publisher(parts[0]) and all(len(p.split()) == 1 for p in parts[1:]):
            parts = parts[:1]
        names.extend(parts)
    return names


def _ld_credits(page: PageMeta) -> tuple[list[str], list[str]]:
    """The JSON-LD article's author names: (persons, organisations), without site accounts."""
    people: list[str] = []
    organisations: list[str] = []
    if not page.article:
        return people, organisations
    for node in _nodes(page.article.get("author"), page.graph):
        if isinstance(node, str):
            people.append(node)
        elif isinstance(node, dict) and isinstance(node.get("name"), str) and not _is_account(node):
            kinds = _types(node)
            target = organisations if any(_ORGANISATION_TYPE.search(k) for k in kinds) else people
            target.append(node["name"])
    return people, organisations


#: A profile address of a publishing system's administrator account ("/author/admin/").
_ACCOUNT_PROFILE = re.compile(r"/(?:author|authors|user|users|profile)/(?:admin|administrator)/?$", re.IGNORECASE)


def _is_account(node: dict[str, Any]) -> bool:
    """A credit whose profile is the site's administrator account: whoever uploaded the article
    into the publishing system under its default user ("Ilanga D" at /author/admin/), not a
    writer."""
    return any(isinstance(node.get(key), str) and _ACCOUNT_PROFILE.search(node[key]) for key in ("@id", "url"))


def _accounts(page: PageMeta) -> set[str]:
    """The keys of the names the JSON-LD article credits through an administrator account."""
    nodes = _nodes(page.article.get("author"), page.graph) if page.article else ()
    return {_keys(n["name"]) for n in nodes if isinstance(n, dict) and isinstance(n.get("name"), str) and _is_account(n)}


def page_authors(
    page: PageMeta, fallback: Callable[[], str | None], site_name: str | None, site: str
) -> tuple[str, ...]:
    """The article's authors, from the first source naming a person (JSON-LD, meta tags,
    `fallback`: trafilatura's author string, asked for only when JSON-LD names no person: it
    is costly to find); else the organisation or publisher credited.

    JSON-LD types its credits: a Person there is a person unless named exactly as the
    publisher ("Der Postillon"), and an Organization other than the publisher (an agency: "SDA",
    "dpa") is kept beside the people. Untyped credits (meta tags, trafilatura) that open with
    or name the site ("mediaindonesia.com developer", "Condé Nast") count as the publisher.
    """
    is_publisher = _publisher(page, site_name, site)
    ld_people, ld_organisations = _ld_credits(page)
    people = [n for n in _credits(ld_people, is_publisher) if not is_publisher.exactly(n)]
    organisations = _credits(ld_organisations, is_publisher)
    if people:
        return _unique(people + [n for n in organisations if not is_publisher(n)])
    meta_values = [v for name in vocab.AUTHOR_META_NAMES for v in page.meta.get(name, ())]
    # trafilatura reads the same meta tags: what it adds is what they do not say.
    in_meta = {_keys(n) for n in _credits(meta_values, is_publisher)}
    trafilaturas = fallback()
    untyped = [
        _credits(meta_values, is_publisher, addresses=True),
        [n for n in _credits([trafilaturas] if trafilaturas else [], is_publisher) if _keys(n) not in in_meta],
    ]
    accounts = _accounts(page)
    if accounts:  # the markup prints the account's name too, where trafilatura finds it
        untyped = [[n for n in names if _keys(n) not in accounts] for names in untyped]
    for names in untyped:
        people = [n for n in names if not is_publisher(n)]
        if people:
            return _unique(people)
    for names in (_credits(ld_people, is_publisher), organisations, *untyped):
        if names:
            return _unique(names)
    return ()


def _publisher(page: PageMeta, site_name: str | None, site: str) -> _Publisher:
    return _Publisher([*(page.publishers()), *_signed(page, site), *([site_name] if site_name else [])], site)


def _signed(page: PageMeta, site: str) -> list[str]:
    """Credits that give the site's own address beside a name ("Deutsche Welle (www.dw.com)"):
    the publisher signing, not a person."""
    host = re.compile(
        r"\(?(?:https?://)?(?:www\.)?" + re.escape(site.lower().removeprefix("www.")) + r"/?\)?\s*$", re.IGNORECASE
    )
    names = []
    for name in vocab.AUTHOR_META_NAMES:
        for value in page.meta.get(name, ()):
            match = host.search(value)
            if match and match.start() > 0:
                names.append(value[:match.start()].strip())
    return names


def _names_only(paragraph: str) -> tuple[str, ...] | None:
    """The names of a paragraph that is nothing but one to three people's names."""
    if len(paragraph) > _BYLINE_PARAGRAPH_MAX_CHARS or _NOT_IN_NAMES.search(paragraph):
        return None
    names = split_author_names(paragraph)
    if not 1 <= len(names) <= 3:
        return None
    return names if all(_name_words(name.split()) for name in names) else None


def _name_words(words: list[str]) -> bool:
    """Two to four words, each capitalised or a particle of a name ("van", "de", "bin")."""
    return 2 <= len(words) <= 4 and all(w[0].isupper() or w.casefold() in _NAME_PARTICLES for w in words)


def _in_bold(tree, paragraph: str) -> bool:  # type: ignore[no-untyped-def]
    key = _keys(paragraph)
    return any(_keys(element.text_content()) == key for element in tree.iter("strong", "b"))


def body_byline(
    paragraphs: tuple[str, ...], authors: tuple[str, ...], page: PageMeta, tree,  # type: ignore[no-untyped-def]
    site_name: str | None, site: str,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The body and the authors, with a byline printed as a paragraph of its own at the body's
    head or tail taken out of the body: "Mohloai Mpesi" in bold above the first paragraph,
    "Lê Phương" under the last.

    Such a paragraph (names only: one to three of two to four capitalised words) goes when it
    names the credited authors. When the page credits no person (only its publisher, or nobody)
    and the paragraph is set in bold, its names become the authors: the annotated pages credit
    the publisher only when nobody else is, and a bold name over the text is somebody else. A
    name-like line in plain type ("Hindi News", "Middle East Crisis") is not taken for a byline.
    """
    if not paragraphs:
        return paragraphs, authors
    credited = {_keys(a) for a in authors}
    is_publisher = _publisher(page, site_name, site)
    nobody = all(is_publisher(a) for a in authors)
    count = len(paragraphs)
    for index in (*range(min(_BYLINE_HEAD, count)), *range(max(count - _BYLINE_TAIL, _BYLINE_HEAD), count)):
        names = _names_only(paragraphs[index])
        if names is None:
            continue
        rest = paragraphs[:index] + paragraphs[index + 1:]
        if {_keys(n) for n in names} <= credited:
            return rest, authors
        if nobody and not any(is_publisher(n) for n in names) and _in_bold(tree, paragraphs[index]):
            return rest, names
    return paragraphs, authors


#: "Von:", "By:": a one-word byline opening as a label, before the credited people's links.
_BYLINE_LABELS = tuple(p.capitalize() + ":" for p in vocab.BYLINE_PREFIXES if p.isalpha())
#: XPath's whitespace, which `normalize-space()` strips.
_XML_SPACE = " \t\r\n"
_AUTHOR_LABELS = ("Autor", "Author", "Auteur")
_BYLINE_CLASS = re.compile("author|Author|byline|Byline|autor")
_NO_BYLINE_WITHIN = frozenset(("script", "style", "head"))


def _byline_elements(tree):  # type: ignore[no-untyped-def]
    """The elements that credit the article in the page's markup, in page order: a link to an
    author's page, an element marked as the author (`rel`, `itemprop`), one whose class names a
    byline, one that opens with an "Author" label, or a labelled list of links ("Von: <a>Bill
    McCarthy</a>, <a>Marisha Goldhamer</a>"); not a comment's author ("comment-author-link": a
    reader, or a blog linking back), nothing within <script>, <style> or <head>.

    What the XPath in tests/unit/test_metadata.py finds, by a walk: the expression's attribute
    tests on every element, and the whole text of every <div> around a link made once per label
    (where only its first characters matter), were its cost."""
    seen: set = set()
    for body in tree.iter("body"):
        above = set(body.iterancestors())
        if above & seen:
            continue  # a <body> within a <body>: its elements are the outer one's
        seen.add(body)
        for element in body.iterdescendants():
            tag = element.tag
            if not isinstance(tag, str):
                continue  # a comment or a processing instruction
            if not _is_byline(element, tag):
                continue
            classes = element.get("class")
            if classes and "comment" in classes:
                continue
            if any(a.tag in _NO_BYLINE_WITHIN for a in element.iterancestors()):
                continue
            yield element


def _is_byline(element, tag: str) -> bool:  # type: ignore[no-untyped-def]
    classes = element.get("class")
    href = element.get("href")
    if (element.get("rel") == "author" or element.get("itemprop") == "author"
            or (classes and _BYLINE_CLASS.search(classes))
            or (href and ("/author/" in href or "/autor" in href))):
        return True
    if tag not in ("li", "p", "div", "dd"):
        return False
    first = next((child for child in element if isinstance(child.tag, str)), None)
    if first is not None and first.tag in ("strong", "b", "span") and _opens_with(first, _AUTHOR_LABELS):
        return True
    return tag != "dd" and _opens_with(element, _BYLINE_LABELS) and next(element.iterdescendants("a"), None) is not None


def _opens_with(element, labels: tuple[str, ...]) -> bool:  # type: ignore[no-untyped-def]
    """XPath's `starts-with(normalize-space(), label)` for labels without spaces, on the first
    characters of the element's text only."""
    initials, chars = _OPENINGS[labels]
    head = (element.text or "").lstrip(_XML_SPACE)
    if head and head[0] not in initials:
        return False  # the element's own text comes first in its text
    opening = ""
    for text in element.itertext():
        opening = (opening + text).lstrip(_XML_SPACE)
        if len(opening) >= chars:
            break
    return opening.startswith(labels)


#: Each label list's first letters and longest label.
_OPENINGS = {labels: (frozenset(label[0] for label in labels), max(map(len, labels))) for labels in (_AUTHOR_LABELS, _BYLINE_LABELS)}
_BYLINE_ELEMENT_MAX_CHARS = 120


def markup_authors(
    authors: tuple[str, ...], page: PageMeta, tree,  # type: ignore[no-untyped-def]
    site_name: str | None, site: str,
) -> tuple[str, ...]:
    """The authors, or when the page's JSON-LD and meta tags credit no person (only the
    publisher, or nobody) the people its markup credits: the first byline element (a link to an
    author's page, `rel=author`, `itemprop=author`, a class naming an author or byline) whose
    text is one to three people's names ("von Dr. Max Kolter", "David Straub, MDR THÜRINGEN").

    When the JSON-LD credits the publisher itself (an organisation named as the publisher: a
    site's default), only the first byline element is read: a later one is a teaser's or a
    video's, and a first one without a person ("von APA") is the credit the page means."""
    is_publisher = _publisher(page, site_name, site)
    if not all(is_publisher(a) for a in authors):
        return authors
    ld_people, ld_organisations = _ld_credits(page)
    ld_self = bool(ld_organisations) and not ld_people and all(is_publisher.exactly(n) for n in ld_organisations)
    if page.article and page.article.get("author") and not ld_self:
        return authors
    for element in _byline_elements(tree):
        text = _text(element.text_content())
        if not text or len(text) > _BYLINE_ELEMENT_MAX_CHARS:
            continue
        names = split_author_names(text)
        people = [n for n in names if _person_like(n) and not is_publisher(n)]
        if 1 <= len(people) <= 3:
            return tuple(people)
        if ld_self or (names and all(is_publisher(n) for n in names)):
            return authors
    return _editor_credit(tree) or _credit_under_headline(tree) or authors


#: How far under the <h1> a credit is looked for: text nodes, up to the first long one.
_HEADER_TEXTS = lxml.etree.XPath("(//body//h1)[1]/following::text()[normalize-space()][position() <= 12]")
_AGENCY_CREDIT_MAX_CHARS = 40
_BODY_TEXT_MIN_CHARS = 200
#: "By TPN", "Von Seb Dumitru": a byline's opening word; the credit may be initials.
_BY_OPENING = re.compile(r"^(?:By|Von|Par|Por|Door)\s+(?=\S)")
_ACRONYM = re.compile(r"^[A-Z]{2,6}$")
_CREDIT_PARTS = re.compile(r"\s*[,/]\s*|\s+with\s+", re.IGNORECASE)


def _credit_under_headline(tree) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """A credit printed on its own between the headline and the text: "By" and the people or
    the initials credited ("By TPN, in News"), or the news agencies of wire copy with a dateline
    ("AFP, MANILA", "Reuters"), however the page's JSON-LD credits the publisher."""
    for node in _HEADER_TEXTS(tree):
        text = _text(str(node))
        if len(text) >= _BODY_TEXT_MIN_CHARS:
            break
        if len(text) > _AGENCY_CREDIT_MAX_CHARS:
            continue
        opening = _BY_OPENING.match(text)
        if opening:
            names = tuple(n for n in split_author_names(text[opening.end():]) if _person_like(n) or _ACRONYM.match(n))
            if names:
                return names
        parts = [part for part in _CREDIT_PARTS.split(text) if part]
        agencies = tuple(part for part in parts if part.casefold() in vocab.NEWS_AGENCIES)
        # the agency first, then agencies or a dateline's place ("MANILA", "New Delhi")
        if agencies and parts[0] == agencies[0] and all(
            part in agencies or (len(part.split()) <= 2 and all(w[0].isupper() for w in part.split()))
            for part in parts
        ):
            return agencies
    return ()


#: "(责编：牛镛、岳弘彬)": the editors' credit under a Chinese article, which names no other writer.
_EDITOR_CREDIT = re.compile(
    r"^[(（\[【]?\s*(?:" + "|".join(vocab.EDITOR_CREDIT_LABELS) + r")\s*[:：]\s*([^()（）\[\]【】]+?)\s*[)）\]】]?$"
)
_EDITOR_CREDITS = lxml.etree.XPath(
    "//body//*[not(*)][" + " or ".join(
        f"contains(., '{label}')" for label in vocab.EDITOR_CREDIT_LABELS
    ) + "][not(ancestor::script or ancestor::style)]"
)
_HAN_NAME = re.compile(r"^[\u3400-\u9fff·]{2,5}$")


def _editor_credit(tree) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The names of an editors' credit printed as an element of its own ("(责编：牛镛、岳弘彬)"):
    Chinese news pages credit their editors so and, when they print no byline, the editors are
    whom the article is credited to."""
    for element in _EDITOR_CREDITS(tree):
        match = _EDITOR_CREDIT.match(_text(element.text_content()))
        if match:
            names = [n for n in re.split(r"[、，,\s]+", match.group(1)) if n]
            if names and all(_HAN_NAME.match(n) for n in names):
                return tuple(names)
    return ()


def _person_like(name: str) -> bool:
    """A person's name: `_name_words`, opening on a capital, without digits."""
    words = name.split()
    return _name_words(words) and words[0][0].isupper() and not any(c.isdigit() for c in name)


_TEXT_CONTAINING = lxml.etree.XPath(
    "//body//text()[contains(., $start)][not(ancestor::script or ancestor::style)]"
)


def without_headline(paragraphs: tuple[str, ...], page: PageMeta, title: str | None) -> tuple[str, ...]:
    """The body without a first paragraph that is the article's headline, as one of the page's
    headlines (`title`, the JSON-LD headline, og:title, twitter:title, <h1>, <title>) has it, or
    a part of one ("Orden fürs Morden" under a kicker): extractors keep a headline set inside
    the body's container."""
    if len(paragraphs) < 2:
        return paragraphs
    first = _keys(paragraphs[0])
    if not first:
        return paragraphs
    for headline in (title, page.headline(), page.first("og:title"), page.first("twitter:title"), page.h1, page.title):
        key = _keys(headline) if headline else ""
        if key and (first == key or (len(paragraphs[0]) >= _HEADLINE_PART_MIN_CHARS and first in key)):
            return paragraphs[1:]
    return paragraphs


def with_lead(paragraphs: tuple[str, ...], tree, page: PageMeta) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The body with the article's lead before it, when the page prints its description
    (og:description, meta description, twitter:description) as an element of its own in the
    body of the page and the body's first paragraphs do not hold it already; else a block under
    the headline whose class marks it as the lead (`_marked_lead`). Extractors leave a lead set
    apart from the body's container (a teaser under the headline) out of the body."""
    description = page.first("og:description", "description", "twitter:description")
    if not description or len(description) < _LEAD_MIN_CHARS or not paragraphs:
        return paragraphs
    key = _keys(description)
    if key in _keys(" ".join(paragraphs[:_LEAD_SEEN_IN])):
        return paragraphs
    start = description[:_LEAD_START_CHARS]
    if " " in start[_LEAD_START_CHARS // 2:]:
        start = start.rsplit(" ", 1)[0]  # whole words: inline markup may follow one
    for node in _TEXT_CONTAINING(tree, start=start):
        element = node.getparent()
        while element is not None:
            found = _keys(element.text_content())
            if len(found) >= len(key):
                if found == key:
                    return (_text(element.text_content()), *paragraphs)
                break
            element = element.getparent()
    lead = _marked_lead(paragraphs, tree)
    return (lead, *paragraphs) if lead else paragraphs


#: Text blocks whose class may name a lead, without blocks, pictures or lists inside them.
_MARKED_LEADS = lxml.etree.XPath(
    "//body//*[self::p or self::div][contains(@class, 'intro') or contains(@class, 'lead')"
    " or contains(@class, 'standfirst')][not(.//p or .//div or .//h1 or .//h2 or .//figure or .//img or .//ul)]"
    "[not(ancestor::figure or ancestor::a)]"
)
_LEAD_CLASS = re.compile(r"(?:^|[\s_-])(?:intro|lead|standfirst)(?:$|[\s_-])", re.IGNORECASE)
_LEAD_MAX_CHARS = 600
#: A marked lead stands under the headline: one of its nearest ancestors holds the <h1>.
_LEAD_HEADLINE_LEVELS = 4


def _marked_lead(paragraphs: tuple[str, ...], tree) -> str | None:  # type: ignore[no-untyped-def]
    """The first text block near the <h1> whose class names a lead ("intro__text", "_lead_",
    "standfirst"), unless the body holds it already: the lead that a page prints in words other
    than its description's."""
    for element in _MARKED_LEADS(tree):
        if not _LEAD_CLASS.search(element.get("class") or ""):
            continue
        text = _text(element.text_content())
        if not _LEAD_MIN_CHARS <= len(text) <= _LEAD_MAX_CHARS:
            continue
        ancestors = itertools.islice(element.iterancestors(), _LEAD_HEADLINE_LEVELS)
        if not any(ancestor.find(".//h1") is not None for ancestor in ancestors):
            continue
        return None if _keys(text) in _keys(" ".join(paragraphs)) else text
    return None


#: Text set inside a link (a teaser's summary: a <p> in the <a> of "You might also like") or
#: inside a figure (a picture's or a video's caption).
#: Three expressions: their union would sort its nodes into document order for nothing.
_SET_APART = tuple(lxml.etree.XPath(path) for path in ("//body//a//p", "//body//figcaption", "//body//figure//p"))
#: A list item whose links hold at least this share of its letters and digits is a pointer to
#: other pages ("Zum Artikel: ...", a kicker and a linked headline, "Topic: link | link").
_LINK_ITEM_SHARE = 0.5


def without_teasers(paragraphs: tuple[str, ...], tree) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The body without paragraphs that the page sets inside a link or a figure: the summaries
    of teasers, the items of link lists and the captions that extractors keep beside or inside
    the body ("Taiwan on alert over Chinese carrier" under "You might also like", "- Zum
    Artikel ...", a video's title under it). An article's own paragraphs are never mostly links,
    nor a figure's."""
    keys = {_keys(element.text_content()) for expression in _SET_APART for element in expression(tree)}
    keys.discard("")
    kept = [paragraph for paragraph in paragraphs if _keys(paragraph) not in keys] if keys else list(paragraphs)
    items = {_squeezed(paragraph[2:]) for paragraph in kept if paragraph.startswith("- ")}
    if items:
        links = _link_items(tree, items)
        kept = [p for p in kept if not (p.startswith("- ") and _squeezed(p[2:]) in links)]
    return tuple(kept) if kept else paragraphs


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _link_items(tree, items: set[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Those of `items` (list items' texts without spaces) that the page prints as list items
    mostly made of links."""
    found = set()
    for item in tree.iter("li"):
        text = _squeezed(item.text_content())
        if text in items:
            linked = sum(len(_squeezed(link.text_content())) for link in item.iter("a"))
            if linked >= _LINK_ITEM_SHARE * len(text):
                found.add(text)
    return found


def _unique(names: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for name in names:
        key = _keys(name)
        if key not in seen:
            seen.add(key)
            result.append(name)
    return tuple(result)


# --- titles ------------------------------------------------------------------------------------

_LEFT_SEPARATORS = frozenset("|｜*")
_RIGHT_SEPARATORS = frozenset("|｜*-–—·•/»«")
_ANY_SEPARATOR = _RIGHT_SEPARATORS | frozenset(":：")


def _extends(longer: str, shorter: str, left: frozenset[str], right: frozenset[str]) -> bool:
    """`longer` is `shorter` with segments added before (after a `left` separator) or after
    (before a `right` separator): "Section | Headline - Site" extends "Headline"."""
    at = longer.find(shorter)
    if at < 0:
        return False
    before, after = longer[:at].rstrip(), longer[at + len(shorter):].lstrip()
    return (not before or before[-1] in left) and (not after or after[0] in right)


def _wrapped(title: str, headline: str) -> bool:
    """"Topic: Headline | Section": a title that adds a site or section after the headline may
    add a search topic before it too, even before a colon."""
    at = title.find(headline)
    after = title[at + len(headline):].lstrip() if at > 0 else ""
    return bool(after) and after[0] in _RIGHT_SEPARATORS and _extends(title, headline, _ANY_SEPARATOR, _RIGHT_SEPARATORS)


def _same_headline(a: str | None, b: str | None) -> bool:
    """The same words (punctuation and case aside), or one the other plus a site or section."""
    if not a or not b:
        return False
    return _keys(a) == _keys(b) or _extends(a, b, _ANY_SEPARATOR, _ANY_SEPARATOR) or _extends(b, a, _ANY_SEPARATOR, _ANY_SEPARATOR)


def _shared_headline(a: str, b: str, names: set[str]) -> str | None:
    """The headline two titles share after different kickers ("Kicker: Headline" beside "Other
    kicker - Headline"): their common end, when each sets it off by a separator, one of them a
    colon, and it is the longer part of each and none of the publisher's `names` (keys): two
    headlines that end with one site name ("A - Site", "B - Site") share only the name."""
    size = 0
    while size < min(len(a), len(b)) and a[-1 - size] == b[-1 - size]:
        size += 1
    shared = a[len(a) - size:].lstrip()
    if shared[:1] in _ANY_SEPARATOR and shared[1:2] == " ":  # "A - Headline" beside "B - Headline"
        shared = shared[1:].lstrip()
    if len(shared) < vocab.TITLE_MIN_CHARS or _keys(shared) in names:
        return None
    kickers = [text[: len(text) - len(shared)].rstrip() for text in (a, b)]
    if any(not _keys(k) or k[-1] not in _ANY_SEPARATOR or len(k) >= len(shared) for k in kickers):
        return None
    if not any(k[-1] in ":：" for k in kickers):
        return None
    # The same kicker set off two ways ("Kicker - Headline", "Kicker: Headline") is no choice.
    return shared if _keys(kickers[0]) != _keys(kickers[1]) else None


def _sides_with_headline(page: PageMeta, headline: str, social: str) -> bool:
    """Whether the page's other headlines side with the JSON-LD `headline` against og:title.

    The <title> is written for search engines, og:title for link previews. When og:title merely
    repeats the <title>, the JSON-LD headline is the editor's (on the annotated pages the <h1> is
    no guide here: it sides with og:title as often as with the JSON-LD headline); so it is when
    the <title> sides with the JSON-LD headline and the <h1> with neither. A <title> worded
    unlike both leaves it to the <h1> and twitter:title together."""
    with_social, with_headline = _same_headline(page.title, social), _same_headline(page.title, headline)
    if with_social != with_headline:
        return with_social or not (_same_headline(page.h1, social) or _same_headline(page.h1, headline))
    if with_social:
        return False
    return all(_same_headline(other, headline) and not _same_headline(other, social)
               for other in (page.h1, page.first("twitter:title")))


def choose_title(title: str | None, page: PageMeta) -> str | None:
    """The headline, from `title` (the page's title as trafilatura reads it) and the page's
    other headlines (JSON-LD `headline`, og:title, twitter:title, <h1>, <title>, meta `headline`).

    When the JSON-LD headline and og:title differ, the JSON-LD headline is taken when the other
    headlines side with it (`_sides_with_headline`). Otherwise `title` stays, without a section
    or site name that another headline shows to be an addition ("Headline - National" beside a
    JSON-LD "Headline", "Section | Headline" beside an <h1> "Headline", unless the JSON-LD
    headline and og:title both carry it); a kicker before a colon is part of a headline and
    stays, unless another headline sets a different kicker before the same words
    (`_shared_headline`).
    """
    headline, social = page.headline(), page.first("og:title")
    if headline and social and not _same_headline(headline, social) and _sides_with_headline(page, headline, social):
        return headline
    if not title:
        return title
    title = _text(title)
    if headline == title and social == title:
        return title  # the JSON-LD headline and og:title say it all, tail and all: no <h1> cuts it
    best: str | None = None
    names = {_keys(name) for name in page.publishers()}
    # The meta tags' own `headline` (Korean and other sites' head carries one beside og:title) only
    # shows what a title adds: alone it may be a teaser's (microdata in the page's body).
    for candidate in (headline, social, page.first("twitter:title"), page.h1, page.title, page.first("headline")):
        if not candidate or candidate == title or len(candidate) < vocab.TITLE_MIN_CHARS:
            continue
        if _extends(title, candidate, _LEFT_SEPARATORS, _RIGHT_SEPARATORS) or _wrapped(title, candidate):
            if best is None or len(candidate) > len(best):
                best = candidate
        elif (shared := _shared_headline(title, candidate, names)) and (best is None or len(shared) > len(best)):
            best = shared
    return best or title

