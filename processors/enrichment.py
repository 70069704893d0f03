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
from collections import defaultdict
from dataclasses import replace
from typing import Sequence

from processors import vocabulary as vocab
from processors.entities import find_entities_many
from processors.options import StageOptions
from processors.quotes import find_quotes
from schemas.models import ExtractedArticle

__all__ = ["enrich", "enrich_many", "extract_keywords", "paragraphs_of"]

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?")
_POSSESSIVES = frozenset({"'s", "’s"})
_SENTENCE_GAP = re.compile(r"[.!?:;\"“”«»()\[\]]")
_CONNECTORS = frozenset({"of", "de", "del", "der", "von", "van", "al", "bin", "la", "le", "du"})
_MIN_KEYWORD_CHARS = 3
_PHRASE_BONUS = 1.5
_TITLE_WEIGHT, _LEAD_WEIGHT, _BODY_WEIGHT = 3.0, 2.0, 1.0


def _stopwords(language: str | None) -> frozenset[str]:
    if language is None:
        return vocab.CLEANING_STOPWORDS | vocab.KEYWORD_EXTRA_STOPWORDS
    return vocab.STOPWORDS.get(language, frozenset()) | vocab.KEYWORD_EXTRA_STOPWORDS


def _score_segment(
    segment: str,
    weight: float,
    stop: frozenset[str],
    scores: defaultdict[str, float],
    forms: dict[str, dict[str, int]],
) -> None:
    run: list[tuple[str, bool]] = []  # (token, opens a sentence)
    previous_end = 0

    def close_run() -> None:
        while run and run[0][1] and run[0][0].casefold() in stop:
            del run[0]
        while run and run[-1][0].casefold() in _CONNECTORS:
            del run[-1]
        if len(run) >= 2:
            surface = " ".join(token for token, _ in run)
            key = surface.casefold()
            scores[key] += weight * _PHRASE_BONUS
            counts = forms.setdefault(key, {})
            counts[surface] = counts.get(surface, 0) + 2  # a phrase keeps its casing
        run.clear()

    for match in _TOKEN.finditer(segment):
        token = match.group()
        if token[-2:] in _POSSESSIVES:
            token = token[:-2]
        start = match.start()
        if previous_end == 0:
            opens, joined = True, False
        else:
            gap = segment[previous_end:start]
            opens = gap != " " and _SENTENCE_GAP.search(gap) is not None
            joined = not opens and gap.isspace()
        previous_end = match.end()
        lowered = token.casefold()
        if token[0].isupper():
            if run and not joined:
                close_run()
            run.append((token, opens))
        elif run and joined and lowered in _CONNECTORS:
            run.append((token, False))
        elif run:
            close_run()
        if len(lowered) < _MIN_KEYWORD_CHARS or lowered in stop:
            continue
        scores[lowered] += weight
        # A sentence-initial capital says nothing about a word's usual casing: such a form is
        # recorded with no weight, and used only when the word is never seen elsewhere.
        counts = forms.setdefault(lowered, {})
        counts[token] = counts.get(token, 0) + (0 if opens else 1)
    if run:
        close_run()


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
    """
    if max_keywords <= 0 or language in vocab.UNSEGMENTED_LANGUAGES:
        return ()
    stop = _stopwords(language)
    scores: defaultdict[str, float] = defaultdict(float)
    forms: dict[str, dict[str, int]] = {}
    if title:
        _score_segment(title, _TITLE_WEIGHT, stop, scores, forms)
    for index, paragraph in enumerate(paragraphs):
        _score_segment(paragraph, _LEAD_WEIGHT if index == 0 else _BODY_WEIGHT, stop, scores, forms)

    chosen: list[str] = []
    covered: set[str] = set()
    for key in sorted(scores, key=lambda k: (-scores[k], k)):
        if len(chosen) == max_keywords:
            break
        if key in covered:
            continue
        words = key.split()
        if len(words) > 1 and all(w in covered for w in words):
            continue
        form_counts = forms.get(key, {})
        surface = max(sorted(form_counts), key=lambda f: form_counts[f]) if form_counts else key
        chosen.append(surface)
        covered.add(key)
        covered.update(words)
    return tuple(chosen)



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
