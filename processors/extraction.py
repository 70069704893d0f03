"""Extraction: from cleaned paragraphs and page hints to the fields of an enriched record.

Libraries do what they do well: courlan normalises URLs (case, ports, path quoting, its own
tracker list) and finds the registered domain; xxhash gives the id; CLD2 (pycld2), else py3langid,
names the language; jusText's stoplists (read once, in `processors.vocabulary`) say which words carry no
meaning. Written here by hand, because no installed library does it for news records:

* the canonical-URL policy (when to trust a page's canonical link, the tracking parameters of
  `vocabulary.TRACKING_PARAMS`, fragments dropped, one trailing-slash rule), since an article's
  id is derived from it and two spellings of one URL must give one id;
* stripping a site name off a headline ("Headline | Site"), which needs the site's names;
* the lead, cut at a sentence (or else a word) boundary;
* the word count, which counts CJK characters as words: Chinese and Japanese put no spaces
  between words, so `str.split` would count a whole paragraph as one;

Keywords, entities and quotes are enrichment (`processors.enrichment`), computed after dedup.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import filterfalse

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan
import py3langid
import pycld2
import xxhash

from processors import vocabulary as vocab
from processors.options import StageOptions
from schemas.models import CleanedArticle, Entities, ExtractedArticle

__all__ = [
    "article_id",
    "canonical_url",
    "clean_title",
    "count_words",
    "detect_language",
    "extract",
    "identify",
    "make_lead",
    "normalize_url",
    "site_of",
]

_SPACES = re.compile(r"\s+")
_HOST = re.compile(r"^(?=.{4,253}$)(?:(?!-)[^\W_](?:[^\W_]|-){0,62}\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{2,59})$")
_NON_ALNUM = re.compile(r"[\W_]+")

# --- URLs --------------------------------------------------------------------------------------


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in vocab.TRACKING_PARAMS or name.startswith(vocab.TRACKING_PARAM_PREFIXES)


def normalize_url(url: str) -> str:
    """One spelling per URL: lower-case scheme and host, no default port, no fragment, no
    tracking parameters, the others sorted, and no trailing slash except on the root path."""
    parts = urlsplit(url.strip())
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    rebuilt = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    normalised = urlsplit(courlan.normalize_url(rebuilt, strict=False, trailing_slash=False))
    path = normalised.path.rstrip("/") or "/"
    return urlunsplit((normalised.scheme, normalised.netloc, path, normalised.query, ""))


def _plausible(parts) -> bool:  # type: ignore[no-untyped-def]
    if parts.scheme not in ("http", "https"):
        return False
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    return bool(_HOST.match(host))


def canonical_url(url: str, hint: str | None = None) -> str:
    """The article's canonical URL, normalised: the page's own canonical link when it is an
    absolute http(s) URL on a plausible host, else the URL the crawler fetched.

    A canonical link to a site's home page on an article's URL is a known CMS bug; trusting it
    would give every article of that site one id, so it is ignored.
    """
    if hint:
        hinted = urlsplit(hint.strip())
        fetched = urlsplit(url.strip())
        if _plausible(hinted) and not (hinted.path.strip("/") == "" and fetched.path.strip("/")):
            return normalize_url(hint)
    return normalize_url(url)


def article_id(canonical: str) -> str:
    """A stable id from the canonical URL alone: 32 hex digits of XXH3-128."""
    return xxhash.xxh3_128_hexdigest(canonical.encode("utf-8"))


def site_of(url: str) -> str:
    """The registered domain of a URL's host ("rt.com" for https://www.rt.com/news/...)."""
    domain = courlan.extract_domain(url)
    if domain:
        return domain.lower()
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


# --- titles ------------------------------------------------------------------------------------


def _keys(text: str) -> set[str]:
    """Comparable forms of a name: letters and digits only, case folded, with diacritics dropped
    and with German umlauts spelt out ("Börsen-Zeitung" is boersen-zeitung.de)."""
    folded = text.casefold()
    spelt = folded.translate(_UMLAUTS)
    forms = {folded, spelt}
    forms |= {"".join(filterfalse(unicodedata.combining, unicodedata.normalize("NFKD", f))) for f in (folded, spelt)}
    return {_NON_ALNUM.sub("", f) for f in forms} - {""}


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_DATE_SEGMENT = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


def _site_names(site_name: str | None, site: str) -> frozenset[str]:
    names = _keys(site) | _keys(site.split(".")[0])
    if site_name:
        names |= _keys(site_name)
    return frozenset(names)


def _is_site_segment(segment: str, names: frozenset[str], label: str) -> bool:
    words = segment.split()
    if not words or len(words) > vocab.SITE_NAME_MAX_WORDS:
        return False
    keys = _keys(segment)
    if keys & names:
        return True
    # "news.ORF.at" on orf.at: a host name of the site
    if " " not in segment and any(key.endswith(name) for key in keys for name in names if "." not in name and len(name) >= 5):
        return True
    # "Die Neue Südtiroler Tageszeitung" on tageszeitung.it: the site's label ends the name
    if len(label) >= 5 and any(key.endswith(label) or key.startswith(label) for key in keys):
        return True
    # "RT World News" on rt.com: the site's label opens a short segment.
    return len(words) <= 4 and bool(_keys(words[0]) & {label})


def clean_title(title: str | None, site_name: str | None, site: str) -> str | None:
    """A headline without the site name a <title> carries ("Headline | Site", "Headline – DW –
    28.04.2023", "Site: Headline"), whitespace collapsed; None when nothing is left.

    From the right, trailing segments that are dates or short names are dropped up to and
    including the first that names the site; nothing is dropped when none names it."""
    if not title:
        return None
    title = _SPACES.sub(" ", unicodedata.normalize("NFC", title)).strip()
    names = _site_names(site_name, site)
    label = _NON_ALNUM.sub("", site.split(".")[0].casefold())
    title = _strip_site_suffix(title, names, label)
    for separator in vocab.TITLE_PREFIX_SEPARATORS:
        head, found, rest = title.partition(separator)
        if found and rest.strip() and _is_site_segment(head, names, label):
            title = rest.strip()
            break
    return title or None


def _strip_site_suffix(title: str, names: frozenset[str], label: str) -> str:
    cut = None
    rest = title
    for _ in range(vocab.TITLE_MAX_SUFFIXES):
        best = max((rest.rfind(sep), sep) for sep in vocab.TITLE_SEPARATORS)
        position, separator = best
        if position <= 0:
            break
        tail = rest[position + len(separator) :].strip()
        rest = rest[:position].rstrip()
        if _is_site_segment(tail, names, label):
            cut = rest
            break
        if not (_DATE_SEGMENT.match(tail) or len(tail.split()) <= vocab.SITE_NAME_MAX_WORDS):
            break
    return cut if cut else title


# --- language, text, lead, words ---------------------------------------------------------------

_LANGUAGE_SAMPLE_CHARS = 1000
_LANGUAGE_MIN_CHARS = 20
#: CLD2 misses or misnames languages on short samples where py3langid does not (a 90-character
#: Russian sentence full of names, a 60-character German opening): below this it is not asked.
_CLD2_MIN_CHARS = 200
_LANG_CODE = re.compile(r"^([a-z]{2})(?:[-_].*)?$", re.IGNORECASE)


def _cld2_language(sample: str) -> str | None:
    """CLD2's answer when it is sure of it and it has a two-letter code, else None. CLD2 refuses
    some valid text (C1 control characters, lone surrogates): None then too."""
    try:
        reliable, _bytes, details = pycld2.detect(sample)
    except (pycld2.error, UnicodeError):
        return None
    if not reliable:
        return None
    code = details[0][1]
    code = vocab.CLD2_LEGACY_CODES.get(code, code)
    return code if len(code) == 2 else None


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of the text's language, from its first 1,000 characters: CLD2's (pycld2)
    when the sample has at least 200 characters and CLD2 is sure, else py3langid's; when the
    text is too short to tell, or the answer has no two-letter code (py3langid also names
    languages such as "bcl" or "zxx", no linguistic content), the page's own declaration, else
    None. CLD2 is the fast path (a tenth of py3langid's time); py3langid keeps the answers on
    short or mixed samples."""
    sample = text[:_LANGUAGE_SAMPLE_CHARS]
    if len(sample) >= _CLD2_MIN_CHARS:
        language = _cld2_language(sample)
        if language is not None:
            return language
    if len(sample.strip()) >= _LANGUAGE_MIN_CHARS:
        language, _score = py3langid.classify(sample)
        if len(language) == 2:
            return str(language)
    match = _LANG_CODE.match((hint or "").strip())
    return match.group(1).lower() if match else None


def _normal_paragraph(paragraph: str) -> str:
    # str.split and the pattern \s+ know the same whitespace; the split is four times faster.
    # Every whitespace character but the space is unprintable, so a printable paragraph with
    # single inner spaces is spaced already, and most are.
    normal = unicodedata.normalize("NFC", paragraph)
    if normal.isprintable() and "  " not in normal and normal[:1] != " " and normal[-1:] != " ":
        return normal
    return " ".join(normal.split())


_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’»)\]]*(?=\s)|[。！？]")


def make_lead(paragraph: str, max_chars: int) -> str:
    """The paragraph, or its longest opening that ends a sentence within `max_chars`; failing
    that, cut at a word boundary with an ellipsis (counted in `max_chars`)."""
    if len(paragraph) <= max_chars:
        return paragraph
    ends = [m.end() for m in _SENTENCE_BREAK.finditer(paragraph, 0, max_chars) if m.end() <= max_chars]
    if ends:
        return paragraph[: ends[-1]].rstrip()
    cut = paragraph.rfind(" ", 0, max_chars)
    head = paragraph[:cut] if cut > 0 else paragraph[: max_chars - 1]
    return head.rstrip(" ,;:-–—") + "…"


_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_HAS_CJK = re.compile(f"[{_CJK_CHARS}]")
_WORD_OR_CJK_CHAR = re.compile(f"[{_CJK_CHARS}]|[^\\s{_CJK_CHARS}{_CJK_PUNCT}]+")


def count_words(text: str) -> int:
    """Whitespace-separated words; each CJK character (Han, kana) counts as one word."""
    if not _HAS_CJK.search(text):
        return len(text.split())
    return len(_WORD_OR_CJK_CHAR.findall(text))


# --- the stage ---------------------------------------------------------------------------------


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for name in names:
        name = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return tuple(result)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who an article is: its canonical URL, its site (registered domain) and its id."""

    canonical_url: str
    site: str
    id: str


def identify(cleaned: CleanedArticle) -> Identity:
    canonical = canonical_url(cleaned.url, cleaned.hints.canonical_url)
    return Identity(canonical, site_of(canonical), article_id(canonical))


def extract(cleaned: CleanedArticle, options: StageOptions, identity: Identity | None = None) -> ExtractedArticle:
    """The fields every record has, from a cleaned article and its page hints: what dedup needs
    and what a duplicate record carries. Keywords, entities and quotes stay empty: they are
    `processors.enrichment.enrich`'s, paid only by the articles that are published as new.
    `identity` is `identify(cleaned)` when the caller has it already."""
    hints = cleaned.hints
    identity = identity or identify(cleaned)
    canonical, site = identity.canonical_url, identity.site
    paragraphs = tuple(p for p in map(_normal_paragraph, cleaned.paragraphs) if p)
    text = "\n\n".join(paragraphs)
    title = clean_title(hints.title or cleaned.crawler_title, hints.site_name, site)
    language = detect_language(text, hints.language)
    return ExtractedArticle(
        id=identity.id,
        url=cleaned.url,
        canonical_url=canonical,
        site=site,
        title=title,
        authors=_unique(hints.authors),
        published_at=hints.published_at,
        language=language,
        text=text,
        lead=make_lead(paragraphs[0], options.lead_max_chars) if paragraphs else "",
        # Each paragraph is spaced by `_normal_paragraph`: its words are its spaces plus one.
        word_count=count_words(text) if _HAS_CJK.search(text) else text.count(" ") + len(paragraphs),
        entities=Entities(),
        keywords=(),
        fetched_at=cleaned.fetched_at,
        published_at_after_fetch=hints.published_at_after_fetch,
    )
