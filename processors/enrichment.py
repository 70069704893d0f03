"""Enrichment: what only a published article needs, computed after dedup.

Keywords, named entities and quotes are read by downstream services from the records copydesk
publishes as new (`unique`) or changed (`update`); dedup never looks at them. So they are not
part of extraction: a duplicate is not worth a named-entity model's call (tens of ms per
article), and an article judged a copy is published without them.

Keywords are written here by hand: a position-weighted frequency of non-stopword words and
capitalised phrases. Keyword libraries (YAKE, RAKE, KeyBERT) are not installed, and a frequency
score with title and lead weights is what a news record needs, deterministic and in microseconds.
Entities come from the model the shell passes in (`processors.entities`), quotes from
`processors.quotes`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from operator import itemgetter
from typing import Collection, Iterator, Mapping, Sequence

from processors import vocabulary as vocab
from processors.entities import find_entities_many
from processors.options import StageOptions
from processors.quotes import find_quotes
from schemas.models import ExtractedArticle

__all__ = ["enrich", "enrich_many", "extract_keywords", "paragraphs_of"]

#: Splits a text into gap, word, gap, word, ..., gap in one scan. A word is a letter, then
#: letters, digits, apostrophes or hyphens, ending on a letter or digit; a possessive 's is left
#: out of both ("Trump's" is "Trump").
#: (Written as runs of letters and digits joined by the others, the first run possessive: the
#: same words as `[\w'’-]*[^\W_]` after the first letter, with less backtracking.)
_WORDS = re.compile(r"([^\W\d_][^\W_]*+(?:[_'’-]+[^\W_]+)*(?<!['’]s))(?:['’]s)?")
#: A gap with one of these opens a sentence (a line break: a new paragraph).
_SENTENCE_GAP = re.compile(r"[.!?:;\"“”«»()\[\]\n]")
_CONNECTORS = frozenset({"of", "de", "del", "der", "von", "van", "al", "bin", "la", "le", "du"})
_MIN_KEYWORD_CHARS = 3
_PHRASE_BONUS = 1.5
_TITLE_WEIGHT, _LEAD_WEIGHT, _BODY_WEIGHT = 3, 2, 1


#: Each language's stoplist with the words no keyword list wants, joined once.
_KEYWORD_STOPWORDS = {code: words | vocab.KEYWORD_EXTRA_STOPWORDS for code, words in vocab.STOPWORDS.items()}
_UNKNOWN_LANGUAGE_STOPWORDS = vocab.CLEANING_STOPWORDS | vocab.KEYWORD_EXTRA_STOPWORDS


def _stopwords(language: str | None) -> frozenset[str]:
    if language is None:
        return _UNKNOWN_LANGUAGE_STOPWORDS
    return _KEYWORD_STOPWORDS.get(language, vocab.KEYWORD_EXTRA_STOPWORDS)


class _Segment:
    """The title, the lead or the rest of the body (its paragraphs a line each): its words, the
    gaps before them and its weight."""

    __slots__ = ("words", "gaps", "weight")

    def __init__(self, text: str, weight: int) -> None:
        parts = _WORDS.split(text)
        self.words: list[str] = parts[1::2]
        self.gaps: list[str] = parts[0::2]  # gaps[i] precedes words[i]
        self.weight = weight

    def opens(self, i: int) -> bool:
        """Whether the i-th word opens a sentence. Paragraphs are spaced with single spaces, so
        most gaps are one space and need no look."""
        gap = self.gaps[i]
        return i == 0 or (gap != " " and _SENTENCE_GAP.search(gap) is not None)

    def openers(self) -> list[str]:
        """The words that open a sentence."""
        search = _SENTENCE_GAP.search
        later = [w for w, gap in zip(self.words[1:], self.gaps[1:]) if gap != " " and search(gap)]
        return self.words[:1] + later

    def phrases(self, stop: frozenset[str]) -> Iterator[str]:
        """Runs of capitalised words joined by single spaces, connectors inside ("Bank of
        Canada"); a stopword that opens a sentence opens no phrase ("The")."""
        words, gaps = self.words, self.gaps
        caps = [i for i, w in enumerate(words) if w[0].isupper()]
        # Each capitalised word that joins the one before it, by its pair's place in `caps`:
        # most stand alone (a sentence's first word, a German noun), and only joins make runs.
        joins = [
            k
            for k, (a, b) in enumerate(zip(caps, caps[1:]))
            if gaps[b] == " "
            and (
                b == a + 1
                or words[a + 1].casefold() in _CONNECTORS
                and all(gaps[j] == " " and words[j].casefold() in _CONNECTORS for j in range(a + 1, b))
            )
        ]
        runs: list[list[int]] = []  # [first, last] places in `caps`
        for k in joins:
            if runs and runs[-1][1] == k:
                runs[-1][1] = k + 1
            else:
                runs.append([k, k + 1])
        for first, last in runs:
            lo, hi = caps[first], caps[last] + 1
            if words[lo].casefold() in stop and self.opens(lo):
                lo += 1
            if hi - lo >= 2:
                yield " ".join(words[lo:hi])


def extract_keywords(
    title: str | None,
    paragraphs: tuple[str, ...] | list[str],
    language: str | None,
    max_keywords: int,
) -> tuple[str, ...]:
    """Up to `max_keywords` salient terms, highest score first, ties alphabetical.

    A term is a word outside the language's stoplist or a run of capitalised words ("Islamic
    State"); each occurrence scores 3 in the title, 2 in the first paragraph, 1 elsewhere, and
    phrases half as much again. Words inside a chosen phrase are not listed again. Languages
    written without spaces (Chinese, Japanese, Thai...) give none: they need a segmenter.

    One regular-expression split per segment finds the words; counting, stopwords and ranking
    are done on whole lists and sets, so Python code runs per capitalised word, per distinct
    word at most, and per chosen term, not per word.
    """
    if max_keywords <= 0 or language in vocab.UNSEGMENTED_LANGUAGES:
        return ()
    stop = _stopwords(language)
    segments = (
        _Segment(title or "", _TITLE_WEIGHT),
        _Segment(paragraphs[0] if paragraphs else "", _LEAD_WEIGHT),
        _Segment("\n".join(paragraphs[1:]), _BODY_WEIGHT),
    )
    # An occurrence counts its segment's weight: a title's word is counted three times.
    scores: Counter[str] = Counter()
    for segment in segments:
        scores.update(map(str.casefold, segment.words * segment.weight))
    # The article's distinct words looked up in the stoplist, not the stoplist's words in the
    # article: some stoplists hold thousands of words.
    for word in stop.intersection(scores):
        scores.pop(word)
    phrase_scores: dict[str, float] = {}
    phrases: dict[str, dict[str, int]] = {}  # each phrase's surfaces: a phrase keeps its casing
    for segment in segments:
        for surface in segment.phrases(stop):
            key = surface.casefold()
            phrase_scores[key] = phrase_scores.get(key, 0.0) + segment.weight * _PHRASE_BONUS
            surfaces = phrases.setdefault(key, {})
            surfaces[surface] = surfaces.get(surface, 0) + 2

    chosen: list[str] = []
    covered: set[str] = set()
    forms: _Forms | None = None
    for key in _ranked(scores, phrase_scores, max_keywords):
        if len(chosen) == max_keywords:
            break
        if key in covered:
            continue
        words = key.split()
        if len(words) > 1:
            if all(w in covered for w in words):
                continue
            counts: Mapping[str, int] = phrases[key]
        else:
            forms = forms or _Forms(segments, scores.keys())
            counts = forms.of(key)
        chosen.append(max(sorted(counts), key=counts.__getitem__))
        covered.add(key)
        covered.update(words)
    return tuple(chosen)


class _Forms:
    """How each word is written. A sentence-initial capital says nothing about a word's usual
    casing: such an occurrence counts for nothing, and its form wins only when the word is never
    seen elsewhere. Occurrences are counted only for a word written in more than one way."""

    def __init__(self, segments: Sequence[_Segment], folded: Collection[str]) -> None:
        self.segments = segments
        self.written = set().union(*(segment.words for segment in segments))
        # The forms that are not their own key. `folded` holds every word's key (stopwords
        # may be gone), and case folding is idempotent, so a form missing from it is either a
        # stopword or one that folding changes ("Bank", "große"): set arithmetic in C finds them,
        # and only those are folded here.
        self.other: dict[str, list[str]] = {}
        for form in self.written.difference(folded):
            key = form.casefold()
            if key != form:
                self.other.setdefault(key, []).append(form)
        self.counts: tuple[Counter[str], Counter[str]] | None = None

    def of(self, key: str) -> dict[str, int]:
        forms = [*self.other.get(key, ()), *([key] if key in self.written else ())] or [key]
        if len(forms) == 1:
            return {forms[0]: 0}
        if self.counts is None:
            written, initial = Counter(), Counter()
            for segment in self.segments:
                written.update(segment.words)
                initial.update(segment.openers())
            self.counts = written, initial
        written, initial = self.counts
        return {form: written[form] - initial[form] for form in forms}


def _ranked(scores: Counter[str], phrase_scores: Mapping[str, float], max_keywords: int) -> Iterator[str]:
    """Words (the short ones left out) and phrases, highest score first, ties alphabetical.
    Only the best words are sorted, unless covering uses them all up."""
    # `most_common(n)`'s order (its heap is the stable sort's first n), sorted in C.
    top = sorted(scores.items(), key=itemgetter(1), reverse=True)[: max_keywords * 3]
    cutoff = top[-1][1] if top and len(scores) > len(top) else -1  # no word left out scores more
    best = [(-n, k) for k, n in top if n > cutoff and len(k) >= _MIN_KEYWORD_CHARS]
    best += [(-s, k) for k, s in phrase_scores.items() if s > cutoff]
    yield from (k for _, k in sorted(best))
    if cutoff >= 0:
        rest = [(-n, k) for k, n in scores.items() if n <= cutoff and len(k) >= _MIN_KEYWORD_CHARS]
        rest += [(-s, k) for k, s in phrase_scores.items() if s <= cutoff]
        yield from (k for _, k in sorted(rest))


def paragraphs_of(text: str) -> tuple[str, ...]:
    """An extracted article's paragraphs: its text is them joined by one blank line."""
    return tuple(p for p in text.split("\n\n") if p)


def enrich(article: ExtractedArticle, options: StageOptions) -> ExtractedArticle:
    """`article` with its keywords, entities (English articles, when the options carry a model)
    and quotes."""
    return enrich_many([article], options)[0]


def enrich_many(articles: Sequence[ExtractedArticle], options: StageOptions) -> list[ExtractedArticle]:
    """`enrich` of each article, with one call of the entity model for the whole batch."""
    paragraphs = [paragraphs_of(a.text) for a in articles]
    entities = find_entities_many(
        [(a.title, p, a.language) for a, p in zip(articles, paragraphs)], options.entities, options.entities_max_chars
    )
    return [
        replace(
            article,
            entities=found,
            keywords=extract_keywords(article.title, paras, article.language, options.max_keywords),
            quotes=find_quotes(paras, found.people),
        )
        for article, paras, found in zip(articles, paragraphs, entities)
    ]
